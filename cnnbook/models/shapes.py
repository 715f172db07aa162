"""Shape arithmetic for CNN specs: output shapes, parameter counts, receptive fields.

The one-axis rule :func:`cnnbook.ops.conv_output_size` lives with the kernels it describes.

Layers are described by the frozen dataclasses of :mod:`cnnbook.models.layers`, so the book can work
out a model's shapes and parameter count before building it in Keras or PyTorch; each spec
carries its own rules (output shape and parameters, receptive-field growth), which this module
applies layer after layer. Shapes are
channels-first ``(C, H, W)``, as in PyTorch; a Keras summary shows the same numbers as
``(H, W, C)``.

Receptive fields use the classic recurrence (Dumoulin & Visin 2016; Araujo et al., "Computing
receptive fields of convolutional neural networks", Distill 2019), per layer with kernel ``k``,
stride ``s``, padding ``p`` and dilation ``d``:

    r_out = r_in + (k - 1) * d * j_in        (receptive field size, in input pixels)
    j_out = j_in * s                          (jump: input pixels between neighbouring outputs)
    start_out = start_in + ((k - 1) * d / 2 - p) * j_in   (input coordinate of output 0's centre)
"""

from __future__ import annotations

from typing import NamedTuple

from cnnbook.models.layers import Field, LayerRules, LayerSpec, Shape, layer_names

__all__ = [
    "Shape",
    "output_shapes",
    "param_table",
    "format_param_table",
    "ReceptiveField",
    "receptive_field",
    "batch_norm_features",
    "count_macs",
]


def _spec(layer: LayerSpec, index: int) -> LayerSpec:
    if not isinstance(layer, LayerRules):
        raise TypeError(f"layer {index} is not a layer spec: {layer!r}")
    return layer


def _layer_output(layer: LayerSpec, shape: Shape, index: int) -> tuple[Shape, int]:
    """``(output shape, parameter count)`` of one layer given its input shape (its own rule)."""
    return _spec(layer, index).output(shape, index)


def output_shapes(layers: list[LayerSpec], input_shape_chw: Shape) -> list[Shape]:
    """Output shape of every layer, ``(C, H, W)`` or ``(features,)``, for a ``(C, H, W)`` input."""
    shape, shapes = tuple(input_shape_chw), []
    for index, layer in enumerate(layers):
        shape, _ = _layer_output(layer, shape, index)
        shapes.append(shape)
    return shapes


def param_table(layers: list[LayerSpec], input_shape_chw: Shape) -> list[tuple[str, Shape, int]]:
    """One row per layer: ``(name, output shape, trainable parameters)``.

    The name is the layer's ``label`` or its kind plus a number, e.g. ``"conv2d_1"``.
    """
    shape, rows = tuple(input_shape_chw), []
    for index, (name, layer) in enumerate(zip(layer_names(layers), layers, strict=True)):
        shape, params = _layer_output(layer, shape, index)
        rows.append((name, shape, params))
    return rows


def format_param_table(layers: list[LayerSpec], input_shape_chw: Shape) -> str:
    """:func:`param_table` as aligned text with an input and a total line, like a model summary."""
    rows = [("input", tuple(input_shape_chw), 0), *param_table(layers, input_shape_chw)]
    lines = [f"{'layer':<14}{'output shape (C, H, W)':<26}{'params':>10}"]
    lines += [f"{name:<14}{str(shape):<26}{params:>10,}" for name, shape, params in rows]
    lines.append(f"{'total':<40}{sum(r[2] for r in rows):>10,}")
    return "\n".join(lines)


def count_macs(layers: list[LayerSpec], input_shape_chw: Shape) -> int:
    """Multiply-accumulates of one forward pass of one ``(C, H, W)`` input: a convolution's
    weights times its output positions (a transposed one's times its input positions), a dense
    layer's weights; other layers count 0 (:meth:`~cnnbook.models.layers.LayerRules.macs`).
    ``torch.utils.flop_counter.FlopCounterMode`` reports twice this, as FLOPs."""
    shape, total = tuple(input_shape_chw), 0
    for index, layer in enumerate(layers):
        total += _spec(layer, index).macs(shape, index)
        shape, _ = _layer_output(layer, shape, index)
    return total


def batch_norm_features(layers: list[LayerSpec]) -> list[int]:
    """``num_features`` of every :class:`BatchNorm2dSpec`, in order, the bodies of residual and
    skip layers included."""
    return [n for layer in layers for n in layer.norms()]


class ReceptiveField(NamedTuple):
    """Receptive field after one layer, along one spatial axis, in input pixels."""

    name: str
    size: int  # r: how many input pixels one output sees
    jump: int  # j: input pixels between neighbouring outputs (the effective stride)
    start: float  # input coordinate of the centre of output 0's field (may be negative: padding)


def receptive_field(layers: list[LayerSpec], *, axis: int = 0) -> list[ReceptiveField]:
    """Receptive field size, jump and start after each spatial layer, for one axis (0 = H, 1 = W).

    Layers are read until the first :class:`FlattenSpec`, :class:`DenseSpec` or
    :class:`GlobalPool2dSpec` (after which every unit sees the whole input). Dropout, batch norm
    and activations keep the field unchanged; a :class:`ResidualSpec` or a
    :class:`SkipConcatSpec` has its body's field (the identity path sees less). A
    :class:`ConvTranspose2dSpec` divides the jump by its stride; the outputs that share an input
    cell are all centred on that cell, so after upsampling the field of one output pixel can be
    off the recurrence by up to a quarter of the coarse jump on each side. ``"same"`` padding is
    not allowed here because its amount depends
    on the input size.
    """
    if axis not in (0, 1):
        raise ValueError(f"axis must be 0 (height) or 1 (width), got {axis}")
    rf: Field = (1, 1, 0.0)  # size, jump, start
    fields = []
    for index, (name, layer) in enumerate(zip(layer_names(layers), layers, strict=True)):
        if _spec(layer, index).ends_field:
            break
        rf = layer.grow_field(rf, index, axis)
        fields.append(ReceptiveField(name, *rf))
    return fields
