"""The post's three CNNs as Keras 3 models (NHWC: inputs are ``(N, H, W, C)`` floats in [0, 1]).

Each function is the Keras builder of the catalogue entry of the same name
(:mod:`cnnbook.models.catalogue`); the tests check it against the entry's spec.

- :func:`post_tensorflow`: the post's TensorFlow model (MNIST 28x28x1).
- :func:`post_keras`: the post's Keras model (MNIST 28x28x1).
- :func:`post_pytorch`: a Keras twin of the post's PyTorch CNN (CIFAR-10 32x32x3), with dropout in
  the same three places and **logits** output, like the torch original.
- :func:`post_pytorch_bn`, :func:`cifar_small`, :func:`cifar_resnet_small`: twins of the CIFAR-10
  rungs of "training a CNN well" (batch norm with torch's epsilon and momentum; logits).

The code is backend-agnostic Keras 3 (``import keras``), so it runs on TensorFlow, JAX or torch.
Importing this module sets nothing in the environment: to silence TensorFlow's start-up lines,
set ``TF_CPP_MIN_LOG_LEVEL=1`` before Keras is first imported (the Makefile does).
Every convolution is 3x3 with ``"valid"`` padding and every pooling is 2x2, as in the post.

Layer names are stable (``conv1``, ``pool1``, ``conv2``, ``pool2``, ``flatten``, ``fc1``, ``fc2``,
``dropout1`` ...) and match the attribute names of :mod:`cnnbook.models.torch_nets`, so weights
can be ported name for name. Note that Keras flattens NHWC feature maps while torch flattens NCHW,
so the first dense layer's rows must be permuted when porting.

The builders return **uncompiled** models: compiling is a training decision, and the book shows
it. :func:`compile_like_post` applies the post's settings (Adam, categorical cross-entropy,
accuracy) in one call.
"""

from __future__ import annotations

import importlib

from cnnbook._optional import require

require("keras")  # an ImportError that names the extra to install when keras is missing
import keras  # noqa: E402
from keras import layers  # noqa: E402


def post_tensorflow(input_shape: tuple[int, int, int] = (28, 28, 1),
                          num_classes: int = 10) -> keras.Model:
    """The post's TensorFlow model: Conv2D 32 3x3 relu, MaxPool 2x2, Flatten, Dense softmax.

    Input ``(N, 28, 28, 1)``, output class probabilities ``(N, num_classes)``.
    """
    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(32, (3, 3), activation="relu", name="conv1"),  # (N, 26, 26, 32)
        layers.MaxPooling2D((2, 2), name="pool1"),  # (N, 13, 13, 32)
        layers.Flatten(name="flatten"),  # (N, 5408)
        layers.Dense(num_classes, activation="softmax", name="fc1"),  # (N, 10)
    ], name="post_tensorflow")


def post_keras(input_shape: tuple[int, int, int] = (28, 28, 1),
                     num_classes: int = 10) -> keras.Model:
    """The post's Keras model: two Conv2D/MaxPool blocks (32, 64 filters), Dense 128, Dense softmax.

    Input ``(N, 28, 28, 1)``, output class probabilities ``(N, num_classes)``.
    """
    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(32, (3, 3), activation="relu", name="conv1"),  # (N, 26, 26, 32)
        layers.MaxPooling2D((2, 2), name="pool1"),  # (N, 13, 13, 32)
        layers.Conv2D(64, (3, 3), activation="relu", name="conv2"),  # (N, 11, 11, 64)
        layers.MaxPooling2D((2, 2), name="pool2"),  # (N, 5, 5, 64)
        layers.Flatten(name="flatten"),  # (N, 1600)
        layers.Dense(128, activation="relu", name="fc1"),  # (N, 128)
        layers.Dense(num_classes, activation="softmax", name="fc2"),  # (N, 10)
    ], name="post_keras")


def post_pytorch(input_shape: tuple[int, int, int] = (32, 32, 3), num_classes: int = 10,
                       dropout: float = 0.5) -> keras.Model:
    """Keras twin of the post's PyTorch CNN; returns logits ``(N, num_classes)``.

    Input ``(N, 32, 32, 3)``. Dropout follows each pooling and ``fc1``, as in the post's
    ``forward``. Compile it with ``from_logits=True`` (:func:`compile_like_post` does).
    """
    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(32, (3, 3), activation="relu", name="conv1"),  # (N, 30, 30, 32)
        layers.MaxPooling2D((2, 2), name="pool1"),  # (N, 15, 15, 32)
        layers.Dropout(dropout, name="dropout1"),
        layers.Conv2D(64, (3, 3), activation="relu", name="conv2"),  # (N, 13, 13, 64)
        layers.MaxPooling2D((2, 2), name="pool2"),  # (N, 6, 6, 64)
        layers.Dropout(dropout, name="dropout2"),
        layers.Flatten(name="flatten"),  # (N, 2304)
        layers.Dense(128, activation="relu", name="fc1"),  # (N, 128)
        layers.Dropout(dropout, name="dropout3"),
        layers.Dense(num_classes, name="fc2"),  # (N, 10) logits
    ], name="post_pytorch")


def compile_like_post(model: keras.Model, *, sparse_labels: bool = False) -> keras.Model:
    """Compile ``model`` with the post's settings: ``adam``, cross-entropy, ``accuracy``.

    The loss matches the model's output: probabilities for a final softmax (the post's models),
    logits otherwise (:func:`post_pytorch`). With ``sparse_labels=True`` the labels are
    integer class ids ``(N,)`` instead of one-hot ``(N, num_classes)``.

    Returns:
        The same model, compiled, for chaining.
    """
    last = model.layers[-1]
    from_logits = getattr(last, "activation", None) is not keras.activations.softmax
    if sparse_labels:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    else:
        loss = keras.losses.CategoricalCrossentropy(from_logits=from_logits)
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


def backend_device() -> str:
    """Where Keras computes, for any backend: e.g. ``"cpu (tensorflow backend)"``, ``"cuda (torch
    backend)"``. Imports only the backend Keras already loaded."""
    backend = keras.config.backend()
    module = importlib.import_module(backend)
    if backend == "tensorflow":
        device = "gpu" if module.config.list_physical_devices("GPU") else "cpu"
    elif backend == "torch":
        device = "cuda" if module.cuda.is_available() else "cpu"
    elif backend == "jax":
        device = module.devices()[0].platform
    else:
        device = "cpu"
    return f"{device} ({backend} backend)"


def mnist_mlp(input_shape: tuple[int, int, int] = (28, 28, 1), num_classes: int = 10,
              hidden: int = 69) -> keras.Model:
    """Keras twin of :class:`cnnbook.models.torch_nets.MnistMlp`: Flatten, Dense ``hidden`` relu,
    Dense softmax. Input ``(N, 28, 28, 1)``, output class probabilities ``(N, num_classes)``."""
    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Flatten(name="flatten"),  # (N, 784)
        layers.Dense(hidden, activation="relu", name="fc1"),  # (N, hidden)
        layers.Dense(num_classes, activation="softmax", name="fc2"),  # (N, 10)
    ], name="mnist_mlp")


def _batch_norm(name: str) -> keras.layers.Layer:
    """Keras batch norm with torch's defaults (``epsilon=1e-5``; Keras' ``momentum=0.9`` is
    torch's ``momentum=0.1``), so a twin behaves like its torch model and ports to it."""
    return layers.BatchNormalization(epsilon=1e-5, momentum=0.9, name=name)


def post_pytorch_bn(input_shape: tuple[int, int, int] = (32, 32, 3), num_classes: int = 10,
                    dropout: float = 0.5) -> keras.Model:
    """Keras twin of :class:`cnnbook.models.torch_nets.PostPytorchBn`: :func:`post_pytorch` with
    batch norm after each conv (conv, BN, ReLU, pool, dropout). Input ``(N, 32, 32, 3)``, output
    logits ``(N, num_classes)``."""
    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(32, (3, 3), name="conv1"),  # (N, 30, 30, 32)
        _batch_norm("bn1"),
        layers.Activation("relu", name="relu1"),
        layers.MaxPooling2D((2, 2), name="pool1"),  # (N, 15, 15, 32)
        layers.Dropout(dropout, name="dropout1"),
        layers.Conv2D(64, (3, 3), name="conv2"),  # (N, 13, 13, 64)
        _batch_norm("bn2"),
        layers.Activation("relu", name="relu2"),
        layers.MaxPooling2D((2, 2), name="pool2"),  # (N, 6, 6, 64)
        layers.Dropout(dropout, name="dropout2"),
        layers.Flatten(name="flatten"),  # (N, 2304)
        layers.Dense(128, activation="relu", name="fc1"),  # (N, 128)
        layers.Dropout(dropout, name="dropout3"),
        layers.Dense(num_classes, name="fc2"),  # (N, 10) logits
    ], name="post_pytorch_bn")


def _group(x: keras.KerasTensor, index: int, filters: int) -> keras.KerasTensor:
    """3x3 "same" conv without bias, 2x2 max pool, batch norm, GELU: halves H and W (NHWC)."""
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{index}")(x)
    x = layers.MaxPooling2D(2, name=f"pool{index}")(x)
    x = _batch_norm(f"bn{index}")(x)
    return layers.Activation("gelu", name=f"gelu{index}")(x)


def _residual(x: keras.KerasTensor, name: str) -> keras.KerasTensor:
    """``x + body(x)``, body = two (3x3 "same" conv without bias, batch norm, GELU); the layers
    are ``{name}_conv1`` ... (torch: ``{name}.conv1``) and the sum is the layer ``name``."""
    body = x
    for i in (1, 2):
        body = layers.Conv2D(x.shape[-1], 3, padding="same", use_bias=False,
                             name=f"{name}_conv{i}")(body)
        body = _batch_norm(f"{name}_bn{i}")(body)
        body = layers.Activation("gelu", name=f"{name}_gelu{i}")(body)
    return layers.Add(name=name)([x, body])


def _cifar(name: str, input_shape: tuple[int, int, int], num_classes: int,
           widths: tuple[int, int, int], residual: bool) -> keras.Model:
    inputs = keras.Input(shape=input_shape)
    x = _group(inputs, 1, widths[0])  # (N, 16, 16, 40)
    if residual:
        x = _residual(x, "res1")  # (N, 16, 16, 40)
    x = _group(x, 2, widths[1])  # (N, 8, 8, 80)
    x = _group(x, 3, widths[2])  # (N, 4, 4, 160)
    x = layers.GlobalMaxPooling2D(name="global_pool")(x)  # (N, 160)
    outputs = layers.Dense(num_classes, name="fc")(x)  # (N, 10) logits
    return keras.Model(inputs, outputs, name=name)


def cifar_small(input_shape: tuple[int, int, int] = (32, 32, 3), num_classes: int = 10,
                widths: tuple[int, int, int] = (40, 80, 160)) -> keras.Model:
    """Keras twin of :class:`cnnbook.models.torch_nets.CifarSmall`: three conv-pool-BN-GELU
    groups, global max pooling, Dense logits. Input ``(N, 32, 32, 3)``, output ``(N, 10)`` logits
    (compile with ``from_logits=True``).

    Augmentation in Keras is a pair of layers in front of the model, active only in training:
    ``keras.Sequential([layers.RandomTranslation(2 / 32, 2 / 32, fill_mode="reflect",
    interpolation="nearest"), layers.RandomFlip("horizontal"), model])``: a shift of up to 2
    pixels with reflected borders, like :func:`cnnbook.training.augment.random_crop` with
    ``padding=2``. (``layers.RandomCrop`` after ``ZeroPadding2D`` is not the same: in Keras 3.15
    it draws one crop position for the whole batch, and pads with zeros.)
    """
    return _cifar("cifar_small", input_shape, num_classes, widths, residual=False)


def cifar_resnet_small(input_shape: tuple[int, int, int] = (32, 32, 3), num_classes: int = 10,
                       widths: tuple[int, int, int] = (40, 80, 160)) -> keras.Model:
    """Keras twin of :class:`cnnbook.models.torch_nets.CifarResnetSmall`: :func:`cifar_small`
    with a residual block (``res1``: two conv-BN-GELU, added to its input) after the first
    group. Input ``(N, 32, 32, 3)``, output ``(N, 10)`` logits; augment as in
    :func:`cifar_small`."""
    return _cifar("cifar_resnet_small", input_shape, num_classes, widths, residual=True)
