"""Feature maps, saliency and Grad-CAM for Keras 3 models, on whichever backend is active
(NHWC: inputs ``(N, H, W, C)``, feature maps ``(N, h, w, C')``).

Keras 3 has no backend-agnostic gradient yet, so :func:`_gradient` dispatches once: a
``tf.GradientTape`` on TensorFlow, ``torch.autograd`` on torch (JAX raises: its gradients need a
stateless model call). Callers see one function per method, the same on every backend, with the
definitions of the torch twins: :func:`keras_grad_cam` is :func:`cnnbook.explain.grad_cam` and
:func:`keras_saliency` is :func:`cnnbook.explain.saliency`, transposed to NHWC (the tests check
both against torch on weights ported by :func:`cnnbook.models.port.torch_to_keras`, on the
TensorFlow and torch backends, to 1e-4).

**Sequential models** are run layer by layer, so a layer's output is caught without
``model.inputs`` or ``layer.output`` (which fail on a ``Sequential`` that was never called, the
complaint about the keras.io Grad-CAM example under Keras 3); functional models get a sub-model
with the layer's output as an extra output. Layers are the model's top-level layers, by name.

**Scores.** A model that ends in a softmax (the post's Keras models) is explained by its
pre-softmax score, as Grad-CAM prescribes and as the torch twins' logits: the last layer's
softmax is switched off for the call (``logits=True``, the default). Models run with
``training=False``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np

from cnnbook._optional import needs, require

with needs("keras"):
    import keras

from cnnbook.explain._checks import Target, as_targets, batches
from cnnbook.explain.maps import smooth_grad

__all__ = ["keras_activations", "keras_grad_cam", "keras_predictor", "keras_saliency"]

Method = Literal["gradient", "gradient_x_input", "smoothgrad"]
Output = Literal["logits", "probabilities"]


def _layer(model: keras.Model, name: str) -> keras.layers.Layer:
    names = [layer.name for layer in model.layers]
    if name not in names:
        raise ValueError(f"model {model.name!r} has no layer {name!r}; layers: {', '.join(names)}")
    return model.get_layer(name)


@contextmanager
def _logits(model: keras.Model, enabled: bool) -> Iterator[None]:
    """The model's last layer without its softmax for the block, when ``enabled``."""
    last = model.layers[-1]
    swap = enabled and getattr(last, "activation", None) is keras.activations.softmax
    if swap:
        last.activation = keras.activations.linear
    try:
        yield
    finally:
        if swap:
            last.activation = keras.activations.softmax


def _run(model: keras.Model, x: Any, layer: str | None,
         pre_activation: bool = False) -> tuple[Any, Any]:
    """``(output of layer, model output)`` for ``x``; ``layer=None`` gives ``(None, output)``.
    With ``pre_activation``, the layer's output before its own ``activation``."""
    if pre_activation and layer is not None:
        return _run_before_activation(model, x, _layer(model, layer))
    if isinstance(model, keras.Sequential):
        caught, h = None, x
        for each in model.layers:
            h = each(h, training=False)
            if each.name == layer:
                caught = h
        return caught, h
    if layer is None:
        return None, model(x, training=False)
    sub = keras.Model(model.inputs, [_layer(model, layer).output, *model.outputs])
    caught, *outputs = sub(x, training=False)
    return caught, outputs[0]


def _run_before_activation(model: keras.Model, x: Any,
                           layer: keras.layers.Layer) -> tuple[Any, Any]:
    """Run ``model`` with ``layer.activation`` wrapped to record its input (the layer's output
    before the activation; a model runs eagerly here, so the wrapper sees the real tensor)."""
    activation = getattr(layer, "activation", None)
    if activation is None:
        raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}) has no activation "
                         "to look before")
    caught: list[Any] = []

    def spy(z: Any) -> Any:
        caught.append(z)
        return activation(z)

    layer.activation = spy
    try:
        _, outputs = _run(model, x, None)
    finally:
        layer.activation = activation
    if len(caught) != 1:
        raise ValueError(f"layer {layer.name!r} ran {len(caught)} times in one forward pass")
    return caught[0], outputs


def _gradient(fn: Callable[[Any], tuple[Any, Any]], x: np.ndarray) -> tuple[np.ndarray, ...]:
    """Run ``fn`` on ``x`` as a backend tensor; ``fn`` returns ``(score, wrt)``, a scalar and the
    tensor to differentiate it by (the input itself, or a layer's output computed from it).
    Returns ``(wrt, d score / d wrt)`` as NumPy arrays."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        tf = require("tensorflow")
        inputs = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            score, wrt = fn(inputs)
        grad = tape.gradient(score, wrt)
    elif backend == "torch":
        torch = require("torch")
        inputs = keras.ops.convert_to_tensor(x).detach().requires_grad_(True)
        with torch.enable_grad():
            score, wrt = fn(inputs)
            (grad,) = torch.autograd.grad(score, wrt)
        wrt = wrt.detach()
    else:
        raise NotImplementedError(f"gradients on the Keras {backend!r} backend are not "
                                  "supported; use KERAS_BACKEND=tensorflow or torch")
    if grad is None:
        raise ValueError("the target score does not depend on the chosen layer's output")
    return keras.ops.convert_to_numpy(wrt), keras.ops.convert_to_numpy(grad)


def _score(outputs: Any, targets: np.ndarray) -> Any:
    """Sum over the batch of each output's target entry (a one-hot product: any backend)."""
    onehot = np.eye(outputs.shape[-1], dtype=np.float32)[targets]  # (B, K)
    return keras.ops.sum(outputs * keras.ops.convert_to_tensor(onehot))


def keras_activations(model: keras.Model, x: Any, layer: str, *, pre_activation: bool = False,
                      batch_size: int = 256) -> np.ndarray:
    """The output of ``layer`` for inputs ``x`` ``(N, H, W, C)``: ``(N, h, w, C')`` for a
    convolution; float32 NumPy, ``training=False``. ``pre_activation``: before the layer's own
    activation (module docstring)."""
    _layer(model, layer)
    x = np.asarray(x, dtype=np.float32)
    parts = []
    for part in batches(len(x), batch_size):
        caught, _ = _run(model, keras.ops.convert_to_tensor(x[part]), layer, pre_activation)
        parts.append(keras.ops.convert_to_numpy(caught).astype(np.float32))
    return np.concatenate(parts)


def keras_grad_cam(model: keras.Model, x: Any, layer: str, target: Target, *,
                   relu: bool = True, logits: bool = True, pre_activation: bool = False,
                   batch_size: int = 64) -> np.ndarray:
    """Grad-CAM of ``target`` at ``layer`` for inputs ``x`` ``(N, H, W, C)``: ``(N, h, w)``
    float32, as :func:`cnnbook.explain.grad_cam` (``alpha_k`` = spatial mean of the gradient of
    the target's score; ``cam = ReLU(sum_k alpha_k A_k)``).

    Args:
        model: a Keras 3 model, ``Sequential`` or functional, on any backend but JAX.
        layer: the name of a top-level layer with output ``(N, h, w, C')``.
        target: class index, one for all inputs or one per input.
        relu: keep only the positive part.
        logits: explain the pre-softmax score when the model ends in a softmax.
        pre_activation: take the layer's maps before its own activation (module docstring).
    """
    _layer(model, layer)
    x = np.asarray(x, dtype=np.float32)
    targets = as_targets(target, len(x))
    parts = []
    with _logits(model, logits):
        for part in batches(len(x), batch_size):
            def fn(inputs: Any, part: slice = part) -> tuple[Any, Any]:
                maps, outputs = _run(model, inputs, layer, pre_activation)
                return _score(outputs, targets[part]), maps

            maps, grads = _gradient(fn, x[part])  # (B, h, w, C') each
            if maps.ndim != 4:
                raise ValueError(f"Grad-CAM needs a (N, H, W, C) layer output; {layer!r} gives "
                                 f"{maps.shape}")
            weights = grads.mean(axis=(1, 2))  # (B, C'): alpha_k
            cam = np.einsum("bhwk,bk->bhw", maps, weights)  # (B, h, w)
            parts.append(np.maximum(cam, 0) if relu else cam)
    return np.concatenate(parts).astype(np.float32)


def _input_gradient(model: keras.Model, x: np.ndarray, targets: np.ndarray,
                    batch_size: int) -> np.ndarray:
    parts = []
    for part in batches(len(x), batch_size):
        def fn(inputs: Any, part: slice = part) -> tuple[Any, Any]:
            return _score(_run(model, inputs, None)[1], targets[part]), inputs

        parts.append(_gradient(fn, x[part])[1])
    return np.concatenate(parts).astype(np.float32)


def keras_saliency(model: keras.Model, x: Any, target: Target, *,
                   method: Method = "gradient", samples: int = 25, sigma: float = 0.15,
                   seed: int = 0, absolute: bool = False, logits: bool = True,
                   batch_size: int = 64) -> np.ndarray:
    """Saliency of ``target`` for inputs ``x`` ``(N, H, W, C)``: ``(N, H, W, C)`` float32, as
    :func:`cnnbook.explain.saliency` (methods ``"gradient"``, ``"gradient_x_input"``,
    ``"smoothgrad"``; the same seed gives the same noise as the torch version)."""
    if method not in ("gradient", "gradient_x_input", "smoothgrad"):
        raise ValueError("method must be one of gradient, gradient_x_input, smoothgrad, "
                         f"got {method!r}")
    x = np.asarray(x, dtype=np.float32)
    targets = as_targets(target, len(x))
    with _logits(model, logits):
        if method == "smoothgrad":  # noise drawn in NCHW order: the torch twin's noise
            maps = smooth_grad(
                lambda noisy: _input_gradient(model, noisy.transpose(0, 2, 3, 1), targets,
                                              batch_size).transpose(0, 3, 1, 2),
                x.transpose(0, 3, 1, 2), samples=samples, sigma=sigma, seed=seed,
            ).transpose(0, 2, 3, 1)
        else:
            maps = _input_gradient(model, x, targets, batch_size)
            if method == "gradient_x_input":
                maps = maps * x
    return np.abs(maps) if absolute else maps


def keras_predictor(model: keras.Model, *, output: Output = "logits",
                    batch_size: int = 256) -> Callable[[np.ndarray], np.ndarray]:
    """A function from a NumPy batch ``(N, H, W, C)`` to ``(N, K)`` scores, like
    :func:`cnnbook.explain.predictor`: ``"logits"`` (the pre-softmax score of a model that ends
    in a softmax) or ``"probabilities"`` (their softmax)."""
    if output not in ("logits", "probabilities"):
        raise ValueError(f"output must be 'logits' or 'probabilities', got {output!r}")

    def forward(batch: np.ndarray) -> np.ndarray:
        parts = []
        with _logits(model, True):
            for part in batches(len(batch), batch_size):
                scores = _run(model, keras.ops.convert_to_tensor(
                    np.asarray(batch[part], dtype=np.float32)), None)[1]
                if output == "probabilities":
                    scores = keras.ops.softmax(scores, axis=-1)
                parts.append(keras.ops.convert_to_numpy(scores).astype(np.float32))
        return np.concatenate(parts)

    return forward
