"""Layer specs: small frozen dataclasses that describe a CNN as pure data (no framework).

Each spec carries its own rules (as micrograd's ops carry theirs): :meth:`~LayerRules.output`
(its output shape and trainable parameters for an input shape), :meth:`~LayerRules.grow_field`
(how it grows a receptive field, by the recurrence of :mod:`cnnbook.models.shapes`),
:meth:`~LayerRules.export_form` (what the browser page runs, :mod:`cnnbook.saving.browser`) and
:meth:`~LayerRules.weight_shapes`. :mod:`cnnbook.models.shapes` walks a list of specs with them;
the framework builders (:mod:`cnnbook.models.torch_build`, :mod:`cnnbook.models.keras_build`)
make one module or layer per spec. A new layer kind is one class here, plus its module and layer
there.

Shapes are channels-first ``(C, H, W)``. Each spec takes an optional keyword ``label`` (e.g.
``"conv1"``) that names it in tables; unlabelled layers get ``"conv2d_1"``, ``"max_pool2d_1"`` ...
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from cnnbook.ops._args import IntPair, Padding, pair, positive_pair
from cnnbook.ops.conv import conv_output_size

__all__ = [
    "Conv2dSpec",
    "Pool2dSpec",
    "FlattenSpec",
    "DenseSpec",
    "DropoutSpec",
    "ActivationSpec",
    "BatchNorm2dSpec",
    "GlobalPool2dSpec",
    "ResidualSpec",
    "ConvTranspose2dSpec",
    "SkipConcatSpec",
    "LayerRules",
    "LayerSpec",
    "layer_names",
]

Shape = tuple[int, ...]
Field = tuple[int, int, float]  # receptive field: size, jump, start (cnnbook.models.shapes)


class LayerRules:
    """What every layer spec knows about itself; the defaults are those of a layer that keeps
    its input's shape and field and has no parameters."""

    kind_name = "layer"  # the name of unlabelled layers, numbered: "conv2d_1"
    ends_field = False  # after it every unit sees the whole input (flatten, dense, global pool)

    @property
    def kind(self) -> str:
        """What unlabelled layers of this kind are called, numbered: ``conv2d_1``."""
        return self.kind_name

    def output(self, shape: Shape, index: int) -> tuple[Shape, int]:
        """``(output shape, trainable parameters)`` for an input ``shape``; ``index`` (the
        layer's place) names it in a one-line ``ValueError`` when the shape does not fit."""
        return shape, 0

    def grow_field(self, rf: Field, index: int, axis: int) -> Field:
        """The receptive field ``(size, jump, start)`` after this layer, along ``axis``."""
        return rf

    def macs(self, shape: Shape, index: int) -> int:
        """Multiply-accumulates of one forward pass of one input of ``shape``: those of the
        convolutions and dense layers only (as ``torch.utils.flop_counter`` counts, which
        reports two FLOPs per MAC); pooling, activations, normalisation and additions are
        cheap beside them and count 0."""
        return 0

    def export_form(self, name: str) -> dict[str, Any] | None:
        """The layer as the browser page's JSON (``None``: an identity at inference); a
        ``ValueError`` for a layer the page cannot run."""
        raise ValueError(f"layer {name} ({type(self).__name__}) cannot be exported: conv2d, max "
                         "pooling, relu, softmax, flatten, dense and dropout only")

    def weight_shapes(self, shape: Shape) -> dict[str, tuple[int, ...]]:
        """``{"weight": ..., "bias": ...}`` shapes in torch's layout for an input ``shape``."""
        return {}

    def norms(self) -> list[int]:
        """The channels of each batch norm in it (nested ones included)."""
        return []


def _spatial(shape: Shape, layer: LayerRules, index: int) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ValueError(
            f"layer {index} ({type(layer).__name__}) needs a (C, H, W) input, got {shape}"
        )
    c, h, w = shape
    return c, h, w


def _channels(shape: Shape, layer: LayerRules, index: int, expected: int) -> tuple[int, int, int]:
    c, h, w = _spatial(shape, layer, index)
    if c != expected:
        raise ValueError(f"layer {index} ({type(layer).__name__}) expects {expected} channels, "
                         f"got {c}")
    return c, h, w


def _window_field(rf: Field, index: int, k: int, s: int, d: int, padding: Any,
                  axis: int) -> Field:
    """The recurrence for a sliding window (convolution or pooling)."""
    size, jump, start = rf
    if isinstance(padding, str):
        if padding.lower() != "valid":
            raise ValueError(f"layer {index}: receptive_field needs numeric padding, not 'same'")
        p = 0
    else:
        p = pair(padding, "padding")[axis]
    return size + (k - 1) * d * jump, jump * s, start + ((k - 1) * d / 2 - p) * jump


def _ints(value: Any) -> list[int]:
    return [int(value), int(value)] if isinstance(value, int) else [int(v) for v in value]


@dataclass(frozen=True)
class Conv2dSpec(LayerRules):
    """A 2-D convolution: ``(C_in, H, W) -> (C_out, H_out, W_out)``, weights OIHW plus a bias.

    ``bias_fill=(count, value)`` starts the bias's first ``count`` values at ``value`` (the rest
    keeps the framework's initialisation): a detector's prior, as CenterNet's heatmap bias.
    ``groups`` splits the channels into that many groups convolved apart (weights
    ``(C_out, C_in / groups, kh, kw)``); ``groups == in_channels`` is a depthwise convolution, one
    filter per channel (MobileNet's depthwise-separable block pairs it with a 1x1 convolution).
    """

    in_channels: int
    out_channels: int
    kernel_size: IntPair
    stride: IntPair = 1
    padding: Padding = 0
    dilation: IntPair = 1
    bias: bool = field(default=True, kw_only=True)
    bias_fill: tuple[int, float] | None = field(default=None, kw_only=True)
    groups: int = field(default=1, kw_only=True)
    label: str | None = field(default=None, kw_only=True)
    kind_name = "conv2d"

    def __post_init__(self) -> None:
        if (self.groups < 1 or self.in_channels % self.groups
                or self.out_channels % self.groups):
            raise ValueError(f"Conv2dSpec groups={self.groups} must divide in_channels "
                             f"({self.in_channels}) and out_channels ({self.out_channels})")

    def output(self, shape: Shape, index: int) -> tuple[Shape, int]:
        c, h, w = _channels(shape, self, index, self.in_channels)
        c //= self.groups  # each output channel sees the channels of its group
        k, s, d = (positive_pair(v, n) for v, n in ((self.kernel_size, "kernel_size"),
                                                     (self.stride, "stride"),
                                                     (self.dilation, "dilation")))
        p = self.padding if isinstance(self.padding, str) else pair(self.padding, "padding")
        ph, pw = (p, p) if isinstance(p, str) else p
        out = (self.out_channels, conv_output_size(h, k[0], s[0], ph, d[0]),
               conv_output_size(w, k[1], s[1], pw, d[1]))
        return out, self.out_channels * c * k[0] * k[1] + (self.out_channels if self.bias else 0)

    def macs(self, shape: Shape, index: int) -> int:
        (_, h, w), params = self.output(shape, index)
        return (params - (self.out_channels if self.bias else 0)) * h * w  # weights x positions

    def grow_field(self, rf: Field, index: int, axis: int) -> Field:
        k = positive_pair(self.kernel_size, "kernel_size")[axis]
        s = positive_pair(self.stride, "stride")[axis]
        d = positive_pair(self.dilation, "dilation")[axis]
        return _window_field(rf, index, k, s, d, self.padding, axis)

    def export_form(self, name: str) -> dict[str, Any] | None:
        if (self.dilation not in (1, (1, 1)) or isinstance(self.padding, str)
                or self.groups != 1):
            raise ValueError(f"layer {name}: only ungrouped, undilated convolutions with numeric "
                             "padding can be exported")
        return {"kind": "conv2d", "label": name, "stride": _ints(self.stride),
                "padding": _ints(self.padding), "bias": self.bias}

    def weight_shapes(self, shape: Shape) -> dict[str, tuple[int, ...]]:
        kh, kw = _ints(self.kernel_size)
        return {"weight": (self.out_channels, self.in_channels // self.groups, kh, kw),
                "bias": (self.out_channels,)}


class _Pooling(LayerRules):
    """Max or average pooling, named ``max_pool2d`` / ``global_avg_pool2d`` ..."""

    mode: str
    prefix = ""  # "global_" for a global pooling

    def __post_init__(self) -> None:
        if self.mode not in ("max", "avg"):
            raise ValueError(f"{type(self).__name__} mode must be 'max' or 'avg', "
                             f"got {self.mode!r}")

    @property
    def kind(self) -> str:
        return f"{self.prefix}{self.mode}_pool2d"


@dataclass(frozen=True)
class Pool2dSpec(_Pooling):
    """Max (or average) pooling; ``stride`` defaults to ``kernel_size``. No parameters."""

    kernel_size: IntPair
    stride: IntPair | None = None
    padding: IntPair = 0
    mode: str = field(default="max", kw_only=True)
    label: str | None = field(default=None, kw_only=True)

    def output(self, shape: Shape, index: int) -> tuple[Shape, int]:
        c, h, w = _spatial(shape, self, index)
        k = positive_pair(self.kernel_size, "kernel_size")
        s = k if self.stride is None else positive_pair(self.stride, "stride")
        p = pair(self.padding, "padding")
        return (c, conv_output_size(h, k[0], s[0], p[0]), conv_output_size(w, k[1], s[1], p[1])), 0

    def grow_field(self, rf: Field, index: int, axis: int) -> Field:
        k = positive_pair(self.kernel_size, "kernel_size")[axis]
        s = k if self.stride is None else positive_pair(self.stride, "stride")[axis]
        return _window_field(rf, index, k, s, 1, self.padding, axis)

    def export_form(self, name: str) -> dict[str, Any] | None:
        if self.mode != "max" or self.padding not in (0, (0, 0)):
            return super().export_form(name)
        kernel = _ints(self.kernel_size)
        stride = kernel if self.stride is None else _ints(self.stride)
        return {"kind": "max_pool2d", "label": name, "kernel": kernel, "stride": stride}


@dataclass(frozen=True)
class FlattenSpec(LayerRules):
    """``(C, H, W) -> (C * H * W,)`` (PyTorch order; Keras flattens ``(H, W, C)``, same size)."""

    label: str | None = field(default=None, kw_only=True)
    kind_name = "flatten"
    ends_field = True

    def output(self, shape: Shape, index: int) -> tuple[Shape, int]:
        return (math.prod(shape),), 0

    def export_form(self, name: str) -> dict[str, Any] | None:
        return {"kind": "flatten", "label": name}


@dataclass(frozen=True)
class DenseSpec(LayerRules):
    """A fully connected layer; ``in_features=None`` means "whatever the previous layer gives"."""

    in_features: int | None = None
    out_features: int = 0
    bias: bool = field(default=True, kw_only=True)
    label: str | None = field(default=None, kw_only=True)
    kind_name = "dense"
    ends_field = True

    def __post_init__(self) -> None:
        if self.out_features < 1:
            raise ValueError(f"DenseSpec needs out_features >= 1, got {self.out_features}")

    def output(self, shape: Shape, index: int) -> tuple[Shape, int]:
        if len(shape) != 1:
            raise ValueError(
                f"layer {index} (DenseSpec) needs a flat input, got {shape}: add a FlattenSpec"
            )
        if self.in_features is not None and self.in_features != shape[0]:
            raise ValueError(
                f"layer {index} (DenseSpec) expects {self.in_features} features, got {shape[0]}"
            )
        return (self.out_features,), shape[0] * self.out_features + (
            self.out_features if self.bias else 0)

    def macs(self, shape: Shape, index: int) -> int:
        self.output(shape, index)
        return shape[0] * self.out_features

    def export_form(self, name: str) -> dict[str, Any] | None:
        return {"kind": "dense", "label": name, "bias": self.bias}

    def weight_shapes(self, shape: Shape) -> dict[str, tuple[int, ...]]:
        return {"weight": (self.out_features, math.prod(shape)), "bias": (self.out_features,)}


@dataclass(frozen=True)
class DropoutSpec(LayerRules):
    """Dropout with drop probability ``p``; shape unchanged, no parameters."""

    p: float
    label: str | None = field(default=None, kw_only=True)
    kind_name = "dropout"

    def export_form(self, name: str) -> dict[str, Any] | None:
        return None  # an identity at inference


@dataclass(frozen=True)
class ActivationSpec(LayerRules):
    """An element-wise activation such as ``"relu"`` or ``"softmax"``; shape unchanged."""

    name: str
    label: str | None = field(default=None, kw_only=True)
    kind_name = "activation"

    def export_form(self, name: str) -> dict[str, Any] | None:
        if self.name not in ("relu", "softmax"):
            return super().export_form(name)
        return {"kind": self.name, "label": name}


@dataclass(frozen=True)
class BatchNorm2dSpec(LayerRules):
    """Batch normalisation over the channels of ``(C, H, W)``; shape unchanged.

    Trainable parameters: a scale and a shift per channel, ``2 * num_features``. The running mean
    and variance are state (torch buffers, Keras non-trainable weights), not parameters.
    """

    num_features: int
    label: str | None = field(default=None, kw_only=True)
    kind_name = "batch_norm2d"

    def output(self, shape: Shape, index: int) -> tuple[Shape, int]:
        c, _, _ = _channels(shape, self, index, self.num_features)
        return shape, 2 * c  # a scale and a shift per channel; running statistics are not trained

    def norms(self) -> list[int]:
        return [self.num_features]


@dataclass(frozen=True)
class GlobalPool2dSpec(_Pooling):
    """Global max (or average) pooling: ``(C, H, W) -> (C,)``, one value per channel. No
    parameters; it replaces a flatten before the classifier and works at any input size."""

    mode: str = "max"
    label: str | None = field(default=None, kw_only=True)
    ends_field = True
    prefix = "global_"

    def output(self, shape: Shape, index: int) -> tuple[Shape, int]:
        c, _, _ = _spatial(shape, self, index)
        return (c,), 0


class _Block(LayerRules):
    """A layer with a ``body`` of specs: its parameters, field and norms are its body's."""

    body: tuple[LayerSpec, ...]

    def body_output(self, shape: Shape, index: int) -> tuple[Shape, int]:
        params = 0
        for inner in self.body:
            shape, inner_params = inner.output(shape, index)
            params += inner_params
        return shape, params

    def grow_field(self, rf: Field, index: int, axis: int) -> Field:
        for inner in self.body:
            rf = inner.grow_field(rf, index, axis)
        return rf

    def macs(self, shape: Shape, index: int) -> int:
        total = 0
        for inner in self.body:
            total += inner.macs(shape, index)
            shape, _ = inner.output(shape, index)
        return total

    def norms(self) -> list[int]:
        return [n for inner in self.body for n in inner.norms()]


@dataclass(frozen=True)
class ResidualSpec(_Block):
    """A residual connection: ``x + body(x)``, where ``body`` keeps the shape ``(C, H, W)``.

    Its parameters are those of ``body``. The body's labels name its layers inside the block:
    the torch module ``res1.conv1`` is the Keras layer ``res1_conv1``.
    """

    body: tuple[LayerSpec, ...]
    label: str | None = field(default=None, kw_only=True)
    kind_name = "residual"

    def output(self, shape: Shape, index: int) -> tuple[Shape, int]:
        body_shape, params = self.body_output(shape, index)
        if body_shape != shape:
            raise ValueError(f"layer {index} (ResidualSpec) body maps {shape} to {body_shape}: "
                             "x + body(x) needs the same shape")
        return shape, params


@dataclass(frozen=True)
class ConvTranspose2dSpec(LayerRules):
    """A transposed ("up") convolution: ``(C_in, H, W) -> (C_out, (H - 1) * s - 2p + k, ...)``;
    with ``kernel_size == stride == 2`` it doubles the height and width. Weights ``(C_in, C_out,
    k, k)`` (torch's layout) plus a bias."""

    in_channels: int
    out_channels: int
    kernel_size: IntPair
    stride: IntPair = 1
    padding: IntPair = 0
    bias: bool = field(default=True, kw_only=True)
    label: str | None = field(default=None, kw_only=True)
    kind_name = "conv_transpose2d"

    def output(self, shape: Shape, index: int) -> tuple[Shape, int]:
        c, h, w = _channels(shape, self, index, self.in_channels)
        k = positive_pair(self.kernel_size, "kernel_size")
        st = positive_pair(self.stride, "stride")
        p = pair(self.padding, "padding")
        out = (self.out_channels, (h - 1) * st[0] - 2 * p[0] + k[0],
               (w - 1) * st[1] - 2 * p[1] + k[1])
        return out, c * self.out_channels * k[0] * k[1] + (self.out_channels if self.bias else 0)

    def macs(self, shape: Shape, index: int) -> int:
        _, params = self.output(shape, index)
        _, h, w = shape
        return (params - (self.out_channels if self.bias else 0)) * h * w  # each input scatters

    def grow_field(self, rf: Field, index: int, axis: int) -> Field:
        # Output o depends on the inputs i with o = i * s - p + t, 0 <= t < k: at most
        # ceil(k / s) neighbouring inputs, centred on input (o + p - (k - 1) / 2) / s.
        size, jump, start = rf
        k = positive_pair(self.kernel_size, "kernel_size")[axis]
        s = positive_pair(self.stride, "stride")[axis]
        p = pair(self.padding, "padding")[axis]
        if jump % s:
            raise ValueError(f"layer {index}: upsampling by {s} goes finer than the input grid "
                             f"(jump {jump})")
        return (size + (math.ceil(k / s) - 1) * jump, jump // s,
                start + (p - (k - 1) / 2) / s * jump)


@dataclass(frozen=True)
class SkipConcatSpec(_Block):
    """A skip connection that concatenates: ``concat([x, body(x)])`` along the channels, where
    ``body`` keeps the height and width (it may go down and back up: a U-Net level).
    ``(C, H, W) -> (C + C_body, H, W)``; its parameters are those of ``body``, whose labels name
    its layers inside the block (``down1.conv1``)."""

    body: tuple[LayerSpec, ...]
    label: str | None = field(default=None, kw_only=True)
    kind_name = "skip_concat"

    def output(self, shape: Shape, index: int) -> tuple[Shape, int]:
        c, h, w = _spatial(shape, self, index)
        body_shape, params = self.body_output(shape, index)
        if len(body_shape) != 3 or body_shape[1:] != (h, w):
            raise ValueError(f"layer {index} (SkipConcatSpec) body maps {shape} to {body_shape}: "
                             "concat([x, body(x)]) needs the same height and width")
        return (c + body_shape[0], h, w), params


LayerSpec = (Conv2dSpec | Pool2dSpec | FlattenSpec | DenseSpec | DropoutSpec | ActivationSpec
             | BatchNorm2dSpec | GlobalPool2dSpec | ResidualSpec | ConvTranspose2dSpec
             | SkipConcatSpec)


def layer_names(layers: list[LayerSpec]) -> list[str]:
    """Each layer's ``label``, or its kind and a running number (``conv2d_1``, ``dense_2``)."""
    seen: dict[str, int] = {}
    names = []
    for layer in layers:
        kind = getattr(layer, "kind", "layer")
        seen[kind] = seen.get(kind, 0) + 1
        names.append(getattr(layer, "label", None) or f"{kind}_{seen[kind]}")
    return names
