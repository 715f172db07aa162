"""A spec builds its NumPy model: :func:`build_numpy` turns an
:class:`~cnnbook.models.specs.Architecture` into a :class:`NumpyNet` whose forward and backward
passes are made of :mod:`cnnbook.ops` (NCHW: ``(N, C, H, W)`` in, logits out). NumPy only.

It is the network of the book's "from scratch" chapter: what ``fit`` does for you, written out.
Each layer keeps what its forward pass read and turns the gradient of its output into the
gradients of its input and its parameters:

- a convolution (:func:`~cnnbook.ops.conv2d`, im2col: one matrix product per layer) and its
  backward pass (:func:`~cnnbook.ops.conv2d_backward`);
- max or average pooling, ReLU, flatten, a dense layer (``x @ W.T + b``, torch's ``(out, in)``
  layout), dropout (a mask scaled by ``1 / (1 - p)`` in training, nothing in evaluation) and
  batch norm (:func:`~cnnbook.ops.batch_norm2d`, torch's conventions; its running statistics
  are buffers, in the state dict but not trained);
- a final softmax is left out, as in the torch build: the net returns logits, and
  :func:`~cnnbook.ops.cross_entropy` applies log-softmax.

Parameters are named as the torch build names them (``conv1.weight``, ``fc1.bias``), in the
same layouts (OIHW, ``(out, in)``), so :meth:`NumpyNet.state_dict` loads into
``catalogue.get(name).build("torch")`` and back unchanged. Other layer kinds (residual
blocks, global pooling, transposed convolutions) have no NumPy layer here; a spec with one is
refused in one line.

Initial weights are He-normal (``N(0, 2 / fan_in)``, the scale that keeps a ReLU net's
activations from shrinking or growing with depth) from a seeded NumPy generator, biases zero.
:mod:`cnnbook.models.numpy_fit` trains it (SGD with momentum, as ``torch.optim.SGD``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from cnnbook import ops
from cnnbook.models import layers as spec
from cnnbook.models.shapes import Shape, output_shapes
from cnnbook.models.specs import Architecture

__all__ = ["NumpyLayer", "NumpyNet", "build_numpy", "supports"]


class NumpyLayer:
    """One layer: :meth:`forward` keeps what :meth:`backward` needs; ``params`` and ``grads``
    hold arrays by short name (``"weight"``, ``"bias"``) in torch's layouts, ``buffers`` the state
    that is not trained (batch norm's running statistics)."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout


class _Conv(NumpyLayer):
    def __init__(self, layer: spec.Conv2dSpec, rng: np.random.Generator, dtype: Any) -> None:
        super().__init__()
        kh, kw = (layer.kernel_size,) * 2 if isinstance(layer.kernel_size, int) else \
            layer.kernel_size
        fan_in = layer.in_channels * kh * kw
        shape = (layer.out_channels, layer.in_channels, kh, kw)
        self.params["weight"] = (rng.standard_normal(shape) * math.sqrt(2 / fan_in)).astype(dtype)
        if layer.bias:
            self.params["bias"] = np.zeros(layer.out_channels, dtype)
        self.layer = layer

    def forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        self.x = x  # (N, C_in, H, W)
        return ops.conv2d(x, self.params["weight"], self.params.get("bias"),
                          stride=self.layer.stride, padding=self.layer.padding,
                          dilation=self.layer.dilation)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, dw, db = ops.conv2d_backward(dout, self.x, self.params["weight"],
                                         stride=self.layer.stride, padding=self.layer.padding,
                                         dilation=self.layer.dilation)
        self.grads["weight"] = dw
        if "bias" in self.params:
            self.grads["bias"] = db
        return dx


class _Dense(NumpyLayer):
    def __init__(self, layer: spec.DenseSpec, features: int, rng: np.random.Generator,
                 dtype: Any) -> None:
        super().__init__()
        shape = (layer.out_features, features)  # torch's (out, in)
        self.params["weight"] = (rng.standard_normal(shape) * math.sqrt(2 / features)).astype(
            dtype)
        if layer.bias:
            self.params["bias"] = np.zeros(layer.out_features, dtype)

    def forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        self.x = x  # (N, in)
        out = x @ self.params["weight"].T  # (N, out)
        return out + self.params["bias"] if "bias" in self.params else out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self.grads["weight"] = dout.T @ self.x  # (out, in)
        if "bias" in self.params:
            self.grads["bias"] = dout.sum(axis=0)
        return dout @ self.params["weight"]  # (N, in)


class _Pool(NumpyLayer):
    def __init__(self, layer: spec.Pool2dSpec) -> None:
        super().__init__()
        self.max = layer.mode == "max"
        self.args = (layer.kernel_size, layer.stride, layer.padding)

    def forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        self.x = x
        return (ops.max_pool2d if self.max else ops.avg_pool2d)(x, *self.args)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        backward = ops.max_pool2d_backward if self.max else ops.avg_pool2d_backward
        return backward(dout, self.x, *self.args)


class _ReLU(NumpyLayer):
    def forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        self.x = x
        return ops.relu(x)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return ops.relu_backward(dout, self.x)


class _Flatten(NumpyLayer):
    def forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        self.shape = x.shape
        return x.reshape(x.shape[0], -1)  # (N, C*H*W), in (C, H, W) order as torch

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout.reshape(self.shape)


class _Dropout(NumpyLayer):
    """Inverted dropout: in training each value is kept with probability ``1 - p`` and scaled
    by ``1 / (1 - p)``, so that its expectation is unchanged; in evaluation, the identity."""

    def __init__(self, p: float, rng: np.random.Generator) -> None:
        super().__init__()
        self.p, self.rng = p, rng

    def forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        if not train or self.p == 0:
            self.mask = None
            return x
        keep = self.rng.random(x.shape) >= self.p
        self.mask = keep.astype(x.dtype) / np.asarray(1 - self.p, x.dtype)
        return x * self.mask

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout if self.mask is None else dout * self.mask


class _BatchNorm(NumpyLayer):
    """Batch norm with torch's conventions (momentum 0.1, unbiased running variance, eps 1e-5),
    :func:`cnnbook.ops.batch_norm2d`; ``num_batches_tracked`` counts training batches as torch's
    buffer does."""

    EPS = 1e-5

    def __init__(self, channels: int, dtype: Any) -> None:
        super().__init__()
        self.params = {"weight": np.ones(channels, dtype), "bias": np.zeros(channels, dtype)}
        self.buffers = {"running_mean": np.zeros(channels, dtype),
                        "running_var": np.ones(channels, dtype),
                        "num_batches_tracked": np.zeros((), np.int64)}

    def forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        self.x, self.train = x, train
        out, mean, var = ops.batch_norm2d(
            x, self.params["weight"], self.params["bias"], self.buffers["running_mean"],
            self.buffers["running_var"], training=train, eps=self.EPS)
        if train:
            self.buffers["running_mean"][...] = mean
            self.buffers["running_var"][...] = var
            self.buffers["num_batches_tracked"] += 1
        return out.astype(x.dtype, copy=False)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        running = None if self.train else (self.buffers["running_mean"],
                                            self.buffers["running_var"])
        dx, dgamma, dbeta = ops.batch_norm2d_backward(dout, self.x, self.params["weight"],
                                                      eps=self.EPS, running=running)
        self.grads["weight"], self.grads["bias"] = dgamma, dbeta
        return dx.astype(dout.dtype, copy=False)


def _layer(layer: spec.LayerSpec, shape: Shape, rng: np.random.Generator,
           dtype: Any) -> NumpyLayer:
    if isinstance(layer, spec.Conv2dSpec):
        if layer.groups != 1:
            raise ValueError(f"no NumPy layer for a grouped convolution (groups={layer.groups})")
        return _Conv(layer, rng, dtype)
    if isinstance(layer, spec.DenseSpec):
        return _Dense(layer, math.prod(shape), rng, dtype)
    if isinstance(layer, spec.Pool2dSpec):
        return _Pool(layer)
    if isinstance(layer, spec.FlattenSpec):
        return _Flatten()
    if isinstance(layer, spec.DropoutSpec):
        return _Dropout(layer.p, rng)
    if isinstance(layer, spec.BatchNorm2dSpec):
        return _BatchNorm(layer.num_features, dtype)
    if isinstance(layer, spec.ActivationSpec) and layer.name == "relu":
        return _ReLU()
    raise ValueError(f"no NumPy layer for {type(layer).__name__}"
                     f"{f' {layer.name!r}' if isinstance(layer, spec.ActivationSpec) else ''}: "
                     "conv2d, pooling, relu, flatten, dense, dropout and batch norm only")


def _logit_layers(architecture: Architecture) -> tuple[spec.LayerSpec, ...]:
    layers = architecture.layers
    if layers and isinstance(layers[-1], spec.ActivationSpec) and layers[-1].name == "softmax":
        layers = layers[:-1]  # logits, as the torch build
    return layers


def supports(architecture: Architecture) -> bool:
    """Whether every layer of ``architecture`` has a NumPy layer here."""
    try:
        for layer in _logit_layers(architecture):
            _layer(layer, (1, 1, 1), np.random.default_rng(0), np.float32)
    except ValueError:
        return False
    return True


class NumpyNet:
    """The NumPy model of an architecture (see the module docstring).

    Attributes:
        architecture: the spec it was built from; ``catalogue_name``: the catalogue model it is.
        layers: ``{label: layer}`` in forward order (the spec's labels, as the torch build's
            submodules).
    """

    def __init__(self, architecture: Architecture, *, catalogue_name: str | None = None,
                 seed: int = 0, dtype: Any = np.float32) -> None:
        self.architecture, self.catalogue_name = architecture, catalogue_name
        self.dtype = np.dtype(dtype)
        layers = _logit_layers(architecture)
        shapes = [architecture.input_shape, *output_shapes(list(layers),
                                                           architecture.input_shape)]
        rng = np.random.default_rng(seed)
        self.layers: dict[str, NumpyLayer] = {
            name: _layer(layer, shape, rng, self.dtype)
            for name, layer, shape in zip(spec.layer_names(list(layers)), layers, shapes,
                                          strict=False)}

    def forward(self, x: np.ndarray, *, train: bool = False) -> np.ndarray:
        """Logits ``(N, classes)`` of NCHW inputs ``x`` ``(N, C, H, W)``; ``train=True`` draws
        dropout masks and keeps what :meth:`backward` needs."""
        out = np.asarray(x, self.dtype)
        for layer in self.layers.values():
            out = layer.forward(out, train)
        return out

    __call__ = forward

    def backward(self, dlogits: np.ndarray) -> np.ndarray:
        """Back-propagate the gradient of the loss with respect to the logits of the last
        :meth:`forward`: each layer's ``grads`` are set; returns the gradient of the input."""
        grad = np.asarray(dlogits, self.dtype)
        for layer in reversed(self.layers.values()):
            grad = layer.backward(grad)
        return grad

    def loss_and_gradients(self, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """Forward in training mode, the mean cross-entropy against integer labels ``y``, and
        backward: ``(loss, logits (N, classes))``; the gradients are in :meth:`gradients`."""
        logits = self.forward(x, train=True)
        loss = ops.cross_entropy(logits, y)
        self.backward(ops.cross_entropy_backward(logits, y))
        return loss, logits

    def parameters(self) -> dict[str, np.ndarray]:
        """``{"conv1.weight": array, ...}``: the arrays themselves (an update changes the net)."""
        return {f"{name}.{key}": value for name, layer in self.layers.items()
                for key, value in layer.params.items()}

    def gradients(self) -> dict[str, np.ndarray]:
        """The gradients of the last :meth:`backward`, keyed as :meth:`parameters`."""
        return {f"{name}.{key}": layer.grads[key] for name, layer in self.layers.items()
                for key in layer.params}

    def _state(self) -> dict[str, np.ndarray]:
        """Parameters and buffers, the arrays themselves, in torch's ``state_dict`` order."""
        return {f"{name}.{key}": value for name, layer in self.layers.items()
                for key, value in {**layer.params, **layer.buffers}.items()}

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameters and buffers (batch norm's running statistics and batch
        count), keyed and laid out as the torch build's ``state_dict``."""
        return {key: value.copy() for key, value in self._state().items()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Set every parameter and buffer from ``state`` (NumPy arrays or CPU torch tensors, e.g.
        a torch build's ``state_dict()``): the same keys and shapes, else a one-line
        ``ValueError``."""
        own = self._state()
        missing, unexpected = sorted(own.keys() - state.keys()), sorted(state.keys() - own.keys())
        if missing or unexpected:
            raise ValueError(f"state does not match the net: missing {missing[:3]}, "
                             f"unexpected {unexpected[:3]}")
        for key, value in own.items():
            new = np.asarray(state[key].detach().cpu() if hasattr(state[key], "detach")
                             else state[key])
            if new.shape != value.shape:
                raise ValueError(f"{key}: shape {new.shape}, but the net has {value.shape}")
            value[...] = new


def build_numpy(architecture: Architecture, *, catalogue_name: str | None = None, seed: int = 0,
                dtype: Any = np.float32) -> NumpyNet:
    """A fresh :class:`NumpyNet` of ``architecture`` (input ``(C, H, W)``), He-initialised from
    ``np.random.default_rng(seed)``, its arrays of ``dtype`` (``np.float64`` for a gradient
    check). A ``ValueError`` names a layer kind it has no NumPy layer for."""
    return NumpyNet(architecture, catalogue_name=catalogue_name, seed=seed, dtype=dtype)
