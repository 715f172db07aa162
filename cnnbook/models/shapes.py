"""Shape arithmetic for CNN specs: output shapes, parameter counts, receptive fields.

The one-axis rule :func:`cnnbook.ops.conv_output_size` lives with the kernels it describes.

Layers are described by the frozen dataclasses of :mod:`cnnbook.models.layers`, so the book can work
out a model's shapes and parameter count before building it in Keras or PyTorch. Shapes are
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

import math
from typing import NamedTuple

from cnnbook.models.layers import (
    ActivationSpec,
    BatchNorm2dSpec,
    Conv2dSpec,
    ConvTranspose2dSpec,
    DenseSpec,
    DropoutSpec,
    FlattenSpec,
    GlobalPool2dSpec,
    LayerSpec,
    Pool2dSpec,
    ResidualSpec,
    SkipConcatSpec,
    layer_names,
)
from cnnbook.ops._args import pair, positive_pair
from cnnbook.ops.conv import conv_output_size

__all__ = [
    "Shape",
    "output_shapes",
    "param_table",
    "format_param_table",
    "ReceptiveField",
    "receptive_field",
    "batch_norm_features",
]


Shape = tuple[int, ...]


def _spatial(shape: Shape, layer: LayerSpec, index: int) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ValueError(
            f"layer {index} ({type(layer).__name__}) needs a (C, H, W) input, got {shape}"
        )
    c, h, w = shape
    return c, h, w


def _layer_output(layer: LayerSpec, shape: Shape, index: int) -> tuple[Shape, int]:
    """``(output shape, parameter count)`` of one layer given its input shape."""
    if isinstance(layer, Conv2dSpec):
        c, h, w = _spatial(shape, layer, index)
        if c != layer.in_channels:
            raise ValueError(
                f"layer {index} (Conv2dSpec) expects {layer.in_channels} channels, got {c}"
            )
        k, s, d = (
            positive_pair(v, n)
            for v, n in (
                (layer.kernel_size, "kernel_size"),
                (layer.stride, "stride"),
                (layer.dilation, "dilation"),
            )
        )
        p = layer.padding if isinstance(layer.padding, str) else pair(layer.padding, "padding")
        ph, pw = (p, p) if isinstance(p, str) else p
        out = (
            layer.out_channels,
            conv_output_size(h, k[0], s[0], ph, d[0]),
            conv_output_size(w, k[1], s[1], pw, d[1]),
        )
        params = layer.out_channels * c * k[0] * k[1] + (layer.out_channels if layer.bias else 0)
        return out, params
    if isinstance(layer, Pool2dSpec):
        c, h, w = _spatial(shape, layer, index)
        k = positive_pair(layer.kernel_size, "kernel_size")
        s = k if layer.stride is None else positive_pair(layer.stride, "stride")
        p = pair(layer.padding, "padding")
        return (c, conv_output_size(h, k[0], s[0], p[0]), conv_output_size(w, k[1], s[1], p[1])), 0
    if isinstance(layer, FlattenSpec):
        return (math.prod(shape),), 0
    if isinstance(layer, DenseSpec):
        if len(shape) != 1:
            raise ValueError(
                f"layer {index} (DenseSpec) needs a flat input, got {shape}: add a FlattenSpec"
            )
        if layer.in_features is not None and layer.in_features != shape[0]:
            raise ValueError(
                f"layer {index} (DenseSpec) expects {layer.in_features} features, got {shape[0]}"
            )
        params = shape[0] * layer.out_features + (layer.out_features if layer.bias else 0)
        return (layer.out_features,), params
    if isinstance(layer, (DropoutSpec, ActivationSpec)):
        return shape, 0
    if isinstance(layer, BatchNorm2dSpec):
        c, _, _ = _spatial(shape, layer, index)
        if c != layer.num_features:
            raise ValueError(
                f"layer {index} (BatchNorm2dSpec) expects {layer.num_features} channels, got {c}"
            )
        return shape, 2 * c  # a scale and a shift per channel; running statistics are not trained
    if isinstance(layer, GlobalPool2dSpec):
        c, _, _ = _spatial(shape, layer, index)
        return (c,), 0
    if isinstance(layer, ResidualSpec):
        body_shape, params = shape, 0
        for inner in layer.body:
            body_shape, inner_params = _layer_output(inner, body_shape, index)
            params += inner_params
        if body_shape != shape:
            raise ValueError(
                f"layer {index} (ResidualSpec) body maps {shape} to {body_shape}: "
                "x + body(x) needs the same shape"
            )
        return shape, params
    if isinstance(layer, ConvTranspose2dSpec):
        c, h, w = _spatial(shape, layer, index)
        if c != layer.in_channels:
            raise ValueError(
                f"layer {index} (ConvTranspose2dSpec) expects {layer.in_channels} channels, "
                f"got {c}"
            )
        k = positive_pair(layer.kernel_size, "kernel_size")
        st = positive_pair(layer.stride, "stride")
        p = pair(layer.padding, "padding")
        out = (layer.out_channels, (h - 1) * st[0] - 2 * p[0] + k[0],
               (w - 1) * st[1] - 2 * p[1] + k[1])
        params = c * layer.out_channels * k[0] * k[1] + (layer.out_channels if layer.bias else 0)
        return out, params
    if isinstance(layer, SkipConcatSpec):
        c, h, w = _spatial(shape, layer, index)
        body_shape, params = shape, 0
        for inner in layer.body:
            body_shape, inner_params = _layer_output(inner, body_shape, index)
            params += inner_params
        if len(body_shape) != 3 or body_shape[1:] != (h, w):
            raise ValueError(
                f"layer {index} (SkipConcatSpec) body maps {shape} to {body_shape}: "
                "concat([x, body(x)]) needs the same height and width"
            )
        return (c + body_shape[0], h, w), params
    raise TypeError(f"layer {index} is not a layer spec: {layer!r}")


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


def batch_norm_features(layers: list[LayerSpec]) -> list[int]:
    """``num_features`` of every :class:`BatchNorm2dSpec`, in order, the bodies of residual and
    skip layers included."""
    found: list[int] = []
    for layer in layers:
        if isinstance(layer, BatchNorm2dSpec):
            found.append(layer.num_features)
        elif isinstance(layer, (ResidualSpec, SkipConcatSpec)):
            found += batch_norm_features(list(layer.body))
    return found


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
    rf = (1, 1, 0.0)  # size, jump, start
    fields = []
    for index, (name, layer) in enumerate(zip(layer_names(layers), layers, strict=True)):
        if isinstance(layer, (FlattenSpec, DenseSpec, GlobalPool2dSpec)):
            break
        rf = _grow_field(layer, rf, index, axis)
        fields.append(ReceptiveField(name, *rf))
    return fields


def _grow_field(layer: LayerSpec, rf: tuple[int, int, float], index: int,
                axis: int) -> tuple[int, int, float]:
    """``(size, jump, start)`` after ``layer``, by the recurrence of the module docstring."""
    size, jump, start = rf
    if isinstance(layer, ConvTranspose2dSpec):
        # Output o depends on the inputs i with o = i * s - p + t, 0 <= t < k: at most
        # ceil(k / s) neighbouring inputs, centred on input (o + p - (k - 1) / 2) / s.
        k = positive_pair(layer.kernel_size, "kernel_size")[axis]
        s = positive_pair(layer.stride, "stride")[axis]
        p = pair(layer.padding, "padding")[axis]
        if jump % s:
            raise ValueError(f"layer {index}: upsampling by {s} goes finer than the input grid "
                             f"(jump {jump})")
        return (size + (math.ceil(k / s) - 1) * jump, jump // s,
                start + (p - (k - 1) / 2) / s * jump)
    if isinstance(layer, (ResidualSpec, SkipConcatSpec)):
        for inner in layer.body:
            rf = _grow_field(inner, rf, index, axis)
        return rf
    if isinstance(layer, (Conv2dSpec, Pool2dSpec)):
        k = positive_pair(layer.kernel_size, "kernel_size")[axis]
        if isinstance(layer, Conv2dSpec):
            s = positive_pair(layer.stride, "stride")[axis]
            d = positive_pair(layer.dilation, "dilation")[axis]
        else:
            s = k if layer.stride is None else positive_pair(layer.stride, "stride")[axis]
            d = 1
        if isinstance(layer.padding, str):
            if layer.padding.lower() != "valid":
                raise ValueError(
                    f"layer {index}: receptive_field needs numeric padding, not 'same'"
                )
            p = 0
        else:
            p = pair(layer.padding, "padding")[axis]
        return size + (k - 1) * d * jump, jump * s, start + ((k - 1) * d / 2 - p) * jump
    if isinstance(layer, (DropoutSpec, ActivationSpec, BatchNorm2dSpec)):
        return rf
    raise TypeError(f"layer {index} is not a layer spec: {layer!r}")
