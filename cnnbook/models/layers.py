"""Layer specs: small frozen dataclasses that describe a CNN as pure data (no framework).

The book works out shapes, parameter counts and receptive fields from these specs
(:mod:`cnnbook.models.shapes`) before it builds the same model in Keras or PyTorch.
Shapes are channels-first ``(C, H, W)``. Each spec takes an optional keyword ``label`` (e.g.
``"conv1"``) that names it in tables; unlabelled layers get ``"conv2d_1"``, ``"max_pool2d_1"`` ...
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cnnbook.ops._args import IntPair, Padding

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
    "LayerSpec",
    "layer_names",
]


@dataclass(frozen=True)
class Conv2dSpec:
    """A 2-D convolution: ``(C_in, H, W) -> (C_out, H_out, W_out)``, weights OIHW plus a bias.

    ``bias_fill=(count, value)`` starts the bias's first ``count`` values at ``value`` (the rest
    keeps the framework's initialisation): a detector's prior, as CenterNet's heatmap bias.
    """

    in_channels: int
    out_channels: int
    kernel_size: IntPair
    stride: IntPair = 1
    padding: Padding = 0
    dilation: IntPair = 1
    bias: bool = field(default=True, kw_only=True)
    bias_fill: tuple[int, float] | None = field(default=None, kw_only=True)
    label: str | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class Pool2dSpec:
    """Max (or average) pooling; ``stride`` defaults to ``kernel_size``. No parameters."""

    kernel_size: IntPair
    stride: IntPair | None = None
    padding: IntPair = 0
    mode: str = field(default="max", kw_only=True)
    label: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if self.mode not in ("max", "avg"):
            raise ValueError(f"Pool2dSpec mode must be 'max' or 'avg', got {self.mode!r}")


@dataclass(frozen=True)
class FlattenSpec:
    """``(C, H, W) -> (C * H * W,)`` (PyTorch order; Keras flattens ``(H, W, C)``, same size)."""

    label: str | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class DenseSpec:
    """A fully connected layer; ``in_features=None`` means "whatever the previous layer gives"."""

    in_features: int | None = None
    out_features: int = 0
    bias: bool = field(default=True, kw_only=True)
    label: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if self.out_features < 1:
            raise ValueError(f"DenseSpec needs out_features >= 1, got {self.out_features}")


@dataclass(frozen=True)
class DropoutSpec:
    """Dropout with drop probability ``p``; shape unchanged, no parameters."""

    p: float
    label: str | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class ActivationSpec:
    """An element-wise activation such as ``"relu"`` or ``"softmax"``; shape unchanged."""

    name: str
    label: str | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class BatchNorm2dSpec:
    """Batch normalisation over the channels of ``(C, H, W)``; shape unchanged.

    Trainable parameters: a scale and a shift per channel, ``2 * num_features``. The running mean
    and variance are state (torch buffers, Keras non-trainable weights), not parameters.
    """

    num_features: int
    label: str | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class GlobalPool2dSpec:
    """Global max (or average) pooling: ``(C, H, W) -> (C,)``, one value per channel. No
    parameters; it replaces a flatten before the classifier and works at any input size."""

    mode: str = "max"
    label: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if self.mode not in ("max", "avg"):
            raise ValueError(f"GlobalPool2dSpec mode must be 'max' or 'avg', got {self.mode!r}")


@dataclass(frozen=True)
class ResidualSpec:
    """A residual connection: ``x + body(x)``, where ``body`` keeps the shape ``(C, H, W)``.

    Its parameters are those of ``body``. The body's labels name its layers inside the block:
    the torch module ``res1.conv1`` is the Keras layer ``res1_conv1``.
    """

    body: tuple[LayerSpec, ...]
    label: str | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class ConvTranspose2dSpec:
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


@dataclass(frozen=True)
class SkipConcatSpec:
    """A skip connection that concatenates: ``concat([x, body(x)])`` along the channels, where
    ``body`` keeps the height and width (it may go down and back up: a U-Net level).
    ``(C, H, W) -> (C + C_body, H, W)``; its parameters are those of ``body``, whose labels name
    its layers inside the block (``down1.conv1``)."""

    body: tuple[LayerSpec, ...]
    label: str | None = field(default=None, kw_only=True)


LayerSpec = (Conv2dSpec | Pool2dSpec | FlattenSpec | DenseSpec | DropoutSpec | ActivationSpec
             | BatchNorm2dSpec | GlobalPool2dSpec | ResidualSpec | ConvTranspose2dSpec
             | SkipConcatSpec)


def layer_names(layers: list[LayerSpec]) -> list[str]:
    """Each layer's ``label``, or its kind and a running number (``conv2d_1``, ``dense_2``)."""
    seen: dict[str, int] = {}
    names = []
    for layer in layers:
        kind = _KINDS.get(type(layer), "layer")
        if isinstance(layer, Pool2dSpec):
            kind = f"{layer.mode}_pool2d"
        elif isinstance(layer, GlobalPool2dSpec):
            kind = f"global_{layer.mode}_pool2d"
        seen[kind] = seen.get(kind, 0) + 1
        names.append(getattr(layer, "label", None) or f"{kind}_{seen[kind]}")
    return names


_KINDS = {
    Conv2dSpec: "conv2d",
    FlattenSpec: "flatten",
    DenseSpec: "dense",
    DropoutSpec: "dropout",
    ActivationSpec: "activation",
    BatchNorm2dSpec: "batch_norm2d",
    ResidualSpec: "residual",
    ConvTranspose2dSpec: "conv_transpose2d",
    SkipConcatSpec: "skip_concat",
}
