"""The twins that chapters quote, as Keras 3 models (NHWC: inputs are ``(N, H, W, C)`` floats in
[0, 1]).

Every other catalogue model is built from its spec (:mod:`cnnbook.models.keras_build`); these
functions are the Keras models of the catalogue entries of the same name, registered for them
(:mod:`cnnbook.models.twins`), because the book prints their code. The tests check each against
its spec's build.

- :func:`post_tensorflow`: the post's TensorFlow model (MNIST 28x28x1).
- :func:`post_keras`: the post's Keras model (MNIST 28x28x1).
- :func:`post_pytorch`: a Keras twin of the post's PyTorch CNN (CIFAR-10 32x32x3), with dropout in
  the same three places and **logits** output, like the torch original.

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
from typing import Any

from cnnbook._optional import needs
from cnnbook.models.twins import register

with needs("keras"):
    import keras
    from keras import layers

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


# The catalogue's Keras twins, registered where they are defined. Not by decorator: the book
# prints inspect.getsource(post_keras), which would show one.
register("post_tensorflow", "keras")(post_tensorflow)
register("post_keras", "keras")(post_keras)
register("post_pytorch", "keras")(post_pytorch)

# Builders of 0.1 that restated a catalogue spec: the spec builds those models now.
_SPEC_BUILT = ("mnist_mlp", "post_pytorch_bn", "cifar_small", "cifar_resnet_small")


def __getattr__(name: str) -> Any:
    if name in _SPEC_BUILT:
        raise AttributeError(f"{name} was removed in 0.2: its catalogue spec builds the model, "
                             f"catalogue.get({name!r}).build('keras')")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
