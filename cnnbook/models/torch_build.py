"""A spec builds its torch model: :func:`build_torch` turns an
:class:`~cnnbook.models.specs.Architecture` into an ``nn.Module`` (NCHW: ``(N, C, H, W)`` in,
logits out).

Each layer spec becomes one submodule named by its label (``net.conv1``; a block's layers are
named inside it, ``net.res1.conv2``; an unlabelled layer gets :func:`layer_names`' name,
``conv2d_1``), so the state_dict keys are the spec's labels and weights port name for name to the
Keras build (:mod:`cnnbook.models.keras_build`, ``res1_conv2``). ``forward`` applies the layers in
the spec's order. A final softmax spec is left out: a torch classifier returns logits, which
``nn.CrossEntropyLoss`` expects (the Keras build keeps it, for Keras' loss).

The initial weights are those the book's hand-written classes gave for a seed, to the bit
(``tests/test_models_fingerprints.py``): torch initialises each module from the global RNG when
it is made, so modules are made in the spec's order (except the labels in ``made_last``), a
dense layer after a flatten is sized by one dummy forward pass in training mode through the
layers before it, as those classes did (its dropout draws and its batch norms' first running
statistics are part of that initial state), and a conv's ``bias_fill`` is applied after it is
made.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from cnnbook._optional import needs
from cnnbook.models import layers as spec
from cnnbook.models.shapes import Shape, output_shapes
from cnnbook.models.specs import Architecture

with needs("torch"):
    import torch
    from torch import nn

__all__ = ["GlobalPool2d", "SpecBlock", "SpecNet", "build_torch"]

_ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}


class GlobalPool2d(nn.Module):
    """Global max (or average) pooling: ``(N, C, H, W) -> (N, C)``."""

    def __init__(self, mode: str = "max") -> None:
        super().__init__()
        self.mode = mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.amax(dim=(2, 3)) if self.mode == "max" else x.mean(dim=(2, 3))  # (N, C)


class _Chain(nn.Module):
    """Submodules applied in ``self.steps`` order (their names), which may differ from the
    order they were made and registered in."""

    steps: tuple[str, ...]

    def run(self, x: torch.Tensor) -> torch.Tensor:
        for name in self.steps:
            x = self.get_submodule(name)(x)
        return x


class SpecBlock(_Chain):
    """A block of a spec: ``x + body(x)`` (:class:`ResidualSpec`) or ``concat([x, body(x)])``
    along the channels (:class:`SkipConcatSpec`); ``(N, C, H, W)`` in, the same ``H, W`` out."""

    def __init__(self, body: tuple[spec.LayerSpec, ...], shape: Shape, concat: bool) -> None:
        super().__init__()
        self.concat = concat
        self.steps = _make(self, body, shape, made_last=())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        body = self.run(x)  # (N, C_body, H, W)
        return torch.cat([x, body], dim=1) if self.concat else x + body


class SpecNet(_Chain):
    """The torch model of ``architecture``: NCHW in, logits out (see the module docstring).

    Attributes:
        architecture: the spec it was built from.
        catalogue_name: the catalogue model it is (``None`` for a bare spec).
        multiple: a net whose output is a map needs a height and width that are multiples of its
            pooling strides' product (so that its output cells line up with input pixels); 1
            for a classifier.
    """

    def __init__(self, architecture: Architecture, *, catalogue_name: str | None = None,
                 made_last: Iterable[str] = ()) -> None:
        super().__init__()
        self.architecture = architecture
        self.catalogue_name = catalogue_name
        layers = architecture.layers
        if layers and isinstance(layers[-1], spec.ActivationSpec) and layers[-1].name == "softmax":
            layers = layers[:-1]  # logits: the loss applies log-softmax
        shapes = architecture.output_shapes()  # a ValueError when the input is too small
        self.multiple = _pooling(layers) if len(shapes[-1]) == 3 else 1
        self.steps = _make(self, layers, architecture.input_shape, made_last=tuple(made_last))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C, H, W) -> (N, num_classes)`` logits, or ``(N, K, H', W')`` for a map."""
        if self.multiple > 1 and (x.shape[-2] % self.multiple or x.shape[-1] % self.multiple):
            raise ValueError(f"{self.catalogue_name or 'this net'} needs a height and width that "
                             f"are multiples of {self.multiple}, not {tuple(x.shape[-2:])}")
        return self.run(x)


def build_torch(architecture: Architecture, *, catalogue_name: str | None = None,
                made_last: Iterable[str] = ()) -> SpecNet:
    """A fresh :class:`SpecNet` of ``architecture``, initialised from torch's global RNG.

    Args:
        architecture: the spec, input ``(C, H, W)``.
        catalogue_name: the catalogue model it is, kept on the net for the checkpoint and
            export checks.
        made_last: labels of top-level layers made after all the others (their place in
            ``forward`` is the spec's): the order a hand-written class made them in, which
            decides their initial weights.
    """
    return SpecNet(architecture, catalogue_name=catalogue_name, made_last=made_last)


def _pooling(layers: Iterable[spec.LayerSpec]) -> int:
    """The product of the pooling strides along the deepest path through ``layers``."""
    own = math.prod(_stride(layer) for layer in layers if isinstance(layer, spec.Pool2dSpec))
    nested = [_pooling(layer.body) for layer in layers
              if isinstance(layer, (spec.ResidualSpec, spec.SkipConcatSpec))]
    return own * max(nested, default=1)


def _stride(pool: spec.Pool2dSpec) -> int:
    stride = pool.kernel_size if pool.stride is None else pool.stride
    return stride if isinstance(stride, int) else max(stride)


def _make(parent: _Chain, layers: tuple[spec.LayerSpec, ...], shape: Shape,
          made_last: tuple[str, ...]) -> tuple[str, ...]:
    """Make and register a module per layer of ``layers`` (input ``shape``) on ``parent``;
    their names in forward order."""
    names = spec.layer_names(list(layers))
    shapes = [shape, *output_shapes(list(layers), shape)]  # shapes[i] goes into layers[i]
    unknown = set(made_last) - set(names)
    if unknown:
        raise ValueError(f"made_last names no layer: {sorted(unknown)}")
    first = [i for i, name in enumerate(names) if name not in made_last]
    last = [names.index(name) for name in made_last]
    for i in first + last:
        layer = layers[i]
        flattened = i > 0 and isinstance(layers[i - 1], spec.FlattenSpec)
        if isinstance(layer, spec.DenseSpec) and flattened:
            if made_last:
                raise ValueError("a net with made_last layers cannot size a dense layer by a "
                                 "dummy forward pass")
            _dummy_forward(parent, names[:i], shapes[0])
        parent.add_module(names[i], _module(layer, shapes[i]))
    return tuple(names)


def _dummy_forward(parent: _Chain, names: list[str], shape: Shape) -> None:
    """One zero image through the modules ``names`` in training mode, as the hand-written
    classes' ``flatten_size`` did before they made their first dense layer."""
    with torch.no_grad():
        x = torch.zeros(1, *shape)  # (1, C, H, W)
        for name in names:
            x = parent.get_submodule(name)(x)


def _module(layer: spec.LayerSpec, shape: Shape) -> nn.Module:
    """The torch module of one spec whose input has ``shape`` (channels first)."""
    if isinstance(layer, spec.Conv2dSpec):
        conv = nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride,
                         layer.padding, layer.dilation, groups=layer.groups, bias=layer.bias)
        if layer.bias_fill is not None and conv.bias is not None:
            count, value = layer.bias_fill
            nn.init.constant_(conv.bias[:count], value)
        return conv
    if isinstance(layer, spec.Pool2dSpec):
        pool = nn.MaxPool2d if layer.mode == "max" else nn.AvgPool2d
        return pool(layer.kernel_size, layer.stride, layer.padding)
    if isinstance(layer, spec.FlattenSpec):
        return nn.Flatten()
    if isinstance(layer, spec.DenseSpec):
        return nn.Linear(math.prod(shape), layer.out_features, bias=layer.bias)
    if isinstance(layer, spec.DropoutSpec):
        return nn.Dropout(layer.p)
    if isinstance(layer, spec.ActivationSpec):
        if layer.name == "softmax":
            return nn.Softmax(dim=1)
        if layer.name not in _ACTIVATIONS:
            raise ValueError(f"no torch module for the activation {layer.name!r}")
        return _ACTIVATIONS[layer.name]()
    if isinstance(layer, spec.BatchNorm2dSpec):
        return nn.BatchNorm2d(layer.num_features)
    if isinstance(layer, spec.GlobalPool2dSpec):
        return GlobalPool2d(layer.mode)
    if isinstance(layer, spec.ConvTranspose2dSpec):
        return nn.ConvTranspose2d(layer.in_channels, layer.out_channels, layer.kernel_size,
                                  layer.stride, layer.padding, bias=layer.bias)
    if isinstance(layer, (spec.ResidualSpec, spec.SkipConcatSpec)):
        return SpecBlock(layer.body, shape, concat=isinstance(layer, spec.SkipConcatSpec))
    raise TypeError(f"no torch module for {type(layer).__name__}")
