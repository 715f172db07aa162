"""Checkers for the chapters' exercises: ``check_<chapter>_<n>(answer)``.

Each prints one line, a verdict and, when the answer is not right, a hint (never the answer),
and returns whether the answer is right. The right answers are computed here, by the package's
own arithmetic (:mod:`cnnbook.ops`, :mod:`cnnbook.models`), never written down, so they follow
the code they are about. Light: no framework is imported.

    >>> from cnnbook.exercises import check_padding_stride_dilation_1
    >>> check_padding_stride_dilation_1(14)
    Not yet: n_out = floor((n + 2p - d(k - 1) - 1) / s) + 1; mind the floor.
    False
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from cnnbook.models.catalogue import get
from cnnbook.models.layers import (
    Conv2dSpec,
    DenseSpec,
    GlobalPool2dSpec,
    LayerSpec,
    Pool2dSpec,
)
from cnnbook.models.shapes import count_macs, param_table, receptive_field
from cnnbook.models.specs import Architecture
from cnnbook.ops.conv import conv_output_size
from cnnbook.ops.pool import avg_pool2d, max_pool2d, max_pool2d_backward

__all__ = [
    "CONVOLUTION_K",
    "POOLING_X",
    "check_convolution_1",
    "check_convolution_2",
    "check_convolution_3",
    "check_channels_and_filters_1",
    "check_channels_and_filters_2",
    "check_channels_and_filters_3",
    "check_hierarchy_1",
    "check_hierarchy_2",
    "check_hierarchy_3",
    "check_padding_stride_dilation_1",
    "check_padding_stride_dilation_2",
    "check_padding_stride_dilation_3",
    "check_pooling_1",
    "check_pooling_2",
    "check_pooling_3",
    "check_layers_1",
    "check_layers_5",
    "check_architectures_1",
    "check_architectures_2",
    "check_architectures_3",
    "check_transfer_learning_1",
]


def _verdict(right: bool, hint: str, well: str = "Right.") -> bool:
    print(well if right else f"Not yet: {hint}")
    return right


def _close(answer: Any, expected: float, rel: float = 1e-3) -> bool:
    try:
        return math.isclose(float(answer), expected, rel_tol=rel, abs_tol=1e-9)
    except (TypeError, ValueError):
        return False


def _ints(answer: Any, length: int) -> tuple[int, ...] | None:
    """``answer`` as ``length`` integers, or ``None`` when it is not that."""
    if not isinstance(answer, Sequence) or isinstance(answer, str) or len(answer) != length:
        return None
    try:
        values = tuple(int(v) for v in answer)
    except (TypeError, ValueError):
        return None
    return values if all(v == a for v, a in zip(values, answer, strict=True)) else None


def _array(answer: Any, shape: tuple[int, ...]) -> np.ndarray | None:
    try:
        array = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array if array.shape == shape else None


# ---- convolution -----------------------------------------------------------------------------

CONVOLUTION_K = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, -1.0]])


def check_convolution_1(side: Any) -> bool:
    """A 3x3 kernel slid over a 28x28 image where it fits: the feature map's side."""
    return _verdict(side == conv_output_size(28, 3), "count the positions where the kernel's "
                                                     "left column can sit.")


def check_convolution_2(kernel: Any) -> bool:
    """The kernel a cross-correlation needs to compute the mathematical convolution with
    ``CONVOLUTION_K`` (``[[1, 2, 0], [0, 1, 0], [0, 0, -1]]``), as a 3x3 array."""
    array = _array(kernel, (3, 3))
    right = array is not None and bool(np.array_equal(array, np.rot90(CONVOLUTION_K, 2)))
    return _verdict(right, "convolution turns the kernel by 180 degrees: flip it upside down "
                           "and left to right.")


def check_convolution_3(weight: Any) -> bool:
    """The weight of each of the nine equal taps of a 3x3 box blur that leaves a constant image
    unchanged (away from the border)."""
    return _verdict(_close(weight, 1 / 9), "on a constant image the output is the input times "
                                           "the sum of the weights.")


# ---- pooling ---------------------------------------------------------------------------------

POOLING_X = np.array([[1.0, 3.0, 2.0, 0.0], [4.0, 2.0, 1.0, 5.0], [0.0, 1.0, 3.0, 2.0],
                      [2.0, 6.0, 1.0, 1.0]])
"""The 4x4 array of the pooling chapter's exercises."""


def check_pooling_1(answer: Any) -> bool:
    """``(max_pooled, avg_pooled)``: 2x2 max and average pooling, stride 2, of ``POOLING_X``,
    each a 2x2 array."""
    x = POOLING_X[None, None]
    try:
        high, mean = (_array(a, (2, 2)) for a in answer)
    except (TypeError, ValueError):
        return _verdict(False, "give two 2x2 arrays: (max_pooled, avg_pooled).")
    right = (high is not None and mean is not None
             and bool(np.allclose(high, max_pool2d(x, 2)[0, 0]))
             and bool(np.allclose(mean, avg_pool2d(x, 2)[0, 0])))
    return _verdict(right, "cut the array into four 2x2 windows, top left first; keep each "
                           "window's largest value, then its mean.")


def check_pooling_2(grad: Any) -> bool:
    """The gradient that reaches ``POOLING_X`` (a 4x4 array) through 2x2 max pooling when every
    output's upstream gradient is 1."""
    x = POOLING_X[None, None]
    array = _array(grad, (4, 4))
    expected = max_pool2d_backward(np.ones((1, 1, 2, 2)), x, 2)[0, 0]
    return _verdict(array is not None and bool(np.allclose(array, expected)),
                    "each window passes its gradient to the one input that won it; the others "
                    "get 0.")


def check_pooling_3(side: Any) -> bool:
    """3x3 max pooling with stride 2 on a 13x13 map: the output's side."""
    return _verdict(side == conv_output_size(13, 3, 2), "pooling windows follow the "
                                                         "convolution's size rule.")


# ---- padding, stride and dilation ------------------------------------------------------------

def check_padding_stride_dilation_1(size: Any) -> bool:
    """A 5x5 kernel, stride 2, padding 1, no dilation, on a 28x28 input: the output's side."""
    return _verdict(size == conv_output_size(28, 5, 2, 1, 1),
                    "n_out = floor((n + 2p - d(k - 1) - 1) / s) + 1; mind the floor.")


def check_padding_stride_dilation_2(answer: Any) -> bool:
    """A 3x3 kernel with dilation 2, no padding, stride 1, on a 28x28 input: ``(span, side)``,
    the input pixels one window spans along an axis and the output's side."""
    span = (3 - 1) * 2 + 1
    return _verdict(_ints(answer, 2) == (span, conv_output_size(28, 3, 1, 0, 2)),
                    "give (span, side); a dilated kernel's taps are d pixels apart, so k taps "
                    "span d(k - 1) + 1 pixels.")


def check_padding_stride_dilation_3(answer: Any) -> bool:
    """TensorFlow's "same" for a 3x3 kernel with stride 2 on a 28-pixel axis: ``(outputs, top,
    bottom)``, the output's side and the zeros padded before and after."""
    outputs = math.ceil(28 / 2)
    total = max((outputs - 1) * 2 + 3 - 28, 0)
    return _verdict(_ints(answer, 3) == (outputs, total // 2, total - total // 2),
                    "\"same\" gives ceil(n / s) outputs; the padding is what the last window "
                    "needs, and an odd amount puts the extra zero at the end.")


# ---- channels and filters ------------------------------------------------------------------

def check_channels_and_filters_1(params: Any) -> bool:
    """A convolution with 16 filters of 5x5 over 3 input channels, with biases: its
    parameters."""
    _, expected = Conv2dSpec(3, 16, 5).output((3, 32, 32), 0)
    return _verdict(params == expected, "each filter has a weight per input channel and kernel "
                                        "position, plus one bias.")


def check_channels_and_filters_2(shape: Any) -> bool:
    """``(C, H, W)`` of 64 filters of 3x3, no padding, stride 1, over a ``(32, 13, 13)`` input."""
    expected, _ = Conv2dSpec(32, 64, 3).output((32, 13, 13), 0)
    return _verdict(_ints(shape, 3) == expected, "give (channels, height, width): one channel "
                                                 "per filter, and the size rule for each side.")


def check_channels_and_filters_3(params: Any) -> bool:
    """A dense layer from a 32x32x3 image to as many outputs as the convolution of exercise 1
    gives on it (no padding): its parameters."""
    outputs, _ = Conv2dSpec(3, 16, 5).output((3, 32, 32), 0)
    _, expected = DenseSpec(None, math.prod(outputs)).output((3 * 32 * 32,), 0)
    return _verdict(params == expected, "count the convolution's outputs (channels x height x "
                                        "width); each dense output has a weight per input "
                                        "value, plus a bias.")


# ---- hierarchy and receptive fields ----------------------------------------------------------

def _convs_to_cover(size: int, *, dilation: int = 1, pool_every: int | None = None) -> int:
    """How many 3x3 convolutions (stride 1, ``dilation``), with a 2x2 max pool after every
    ``pool_every`` of them, a unit needs before its receptive field covers ``size`` pixels."""
    layers: list[LayerSpec] = []
    convs = 0
    while not layers or receptive_field(layers)[-1].size < size:
        layers.append(Conv2dSpec(1, 1, 3, dilation=dilation))
        convs += 1
        if pool_every and convs % pool_every == 0 and receptive_field(layers)[-1].size < size:
            layers.append(Pool2dSpec(2))
    return convs


def check_hierarchy_1(size: Any) -> bool:
    """The receptive field after two 3x3 convolutions, a 2x2 max pool and a 3x3 convolution (no
    padding, stride 1 for the convolutions)."""
    layers: list[LayerSpec] = [Conv2dSpec(1, 1, 3), Conv2dSpec(1, 1, 3), Pool2dSpec(2),
                               Conv2dSpec(1, 1, 3)]
    return _verdict(size == receptive_field(layers)[-1].size,
                    "each k x k window adds (k - 1) x jump; the pool doubles the jump for the "
                    "layer after it.")


def check_hierarchy_2(jump: Any) -> bool:
    """The jump (input pixels between neighbouring units) after three 2x2 max pools."""
    layers: list[LayerSpec] = [Pool2dSpec(2), Pool2dSpec(2), Pool2dSpec(2)]
    return _verdict(jump == receptive_field(layers)[-1].jump, "every stride multiplies the "
                                                              "jump.")


def check_hierarchy_3(count: Any) -> bool:
    """How many 3x3 convolutions with dilation 2 (stride 1) a unit needs before its field
    covers 28 pixels."""
    return _verdict(count == _convs_to_cover(28, dilation=2),
                    "a dilated 3x3 window adds (3 - 1) x dilation pixels to the field.")


# ---- the layers you have been using ----------------------------------------------------------

def check_layers_1(answer: Any) -> bool:
    """Dropout with rate 0.8 applied to ones in training: ``(low, high, variance)``, the two values
    an input of 1 can become and the variance of the output."""
    p = 0.8
    low, high, variance = 0.0, 1 / (1 - p), p / (1 - p)
    try:
        a, b, v = (float(x) for x in answer)
    except (TypeError, ValueError):
        return _verdict(False, "give three numbers: (low, high, variance).")
    right = _close(a, low) and _close(b, high) and _close(v, variance)
    return _verdict(right, "a kept value is divided by 1 - p; the output is 0 or that, with "
                           "probability p and 1 - p; variance = E[x^2] - E[x]^2.")


def check_layers_5(answer: Any) -> bool:
    """The focal loss with gamma = 2: ``(at_0_9, at_0_5)``, the factor by which it weights an
    example against cross-entropy at p_t = 0.9 and at p_t = 0.5."""
    try:
        a, b = (float(x) for x in answer)
    except (TypeError, ValueError):
        return _verdict(False, "give two numbers: the factors at p_t = 0.9 and at p_t = 0.5.")
    right = _close(a, (1 - 0.9) ** 2) and _close(b, (1 - 0.5) ** 2)
    return _verdict(right, "the focal loss is cross-entropy times (1 - p_t) ** gamma.")


# ---- architectures ---------------------------------------------------------------------------

def _separable_costs() -> tuple[int, int, int, int]:
    shape = (128, 8, 8)
    full: list[LayerSpec] = [Conv2dSpec(128, 256, 3, padding=1, bias=False)]
    separable: list[LayerSpec] = [Conv2dSpec(128, 128, 3, padding=1, bias=False, groups=128),
                                  Conv2dSpec(128, 256, 1, bias=False)]
    costs = []
    for layers in (full, separable):
        costs += [sum(p for _, _, p in param_table(layers, shape)), count_macs(layers, shape)]
    return costs[0], costs[1], costs[2], costs[3]


def check_architectures_1(answer: Any) -> bool:
    """A 3x3 convolution (padding 1, no bias) from 128 to 256 channels on an 8x8 map, and its
    depthwise-separable replacement: ``(weights, macs, separable_weights, separable_macs)``."""
    values = _ints(answer, 4)
    expected = _separable_costs()
    if values is None:
        return _verdict(False, "give four integers: (weights, macs, separable weights, "
                               "separable macs).")
    wrong = [name for name, v, e in zip(("weights", "MACs", "separable weights",
                                         "separable MACs"), values, expected, strict=True)
             if v != e]
    return _verdict(not wrong, f"check the {', '.join(wrong)}: a convolution's MACs are its "
                               "weights times its output positions; depthwise is one 3x3 "
                               "filter per channel, pointwise a 1x1 convolution.")


def check_architectures_2(answer: Any) -> bool:
    """``(plain, pooled)``: how many 3x3 convolutions (stride 1) a unit needs before its field
    covers 32 pixels, without pooling, and with a 2x2 max pool after every two convolutions."""
    right = _ints(answer, 2) == (_convs_to_cover(32), _convs_to_cover(32, pool_every=2))
    return _verdict(right, "each 3x3 convolution adds 2 x jump to the field; a 2x2 pool adds 1 x "
                           "jump and doubles the jump.")


def check_architectures_3(params: Any) -> bool:
    """LeNet-5 with its three dense layers replaced by global average pooling and one linear
    layer from 16 channels to 10 classes: its trainable parameters."""
    lenet = get("lenet5").spec
    labels = [layer.label for layer in lenet.layers]
    conv_part = lenet.layers[:labels.index("flatten")]  # conv1 ... pool2
    spec = Architecture(lenet.input_shape, (*conv_part, GlobalPool2dSpec("avg"),
                                            DenseSpec(None, 10)))
    return _verdict(params == spec.count_params(),
                    "keep conv1 and conv2 as they are; the new linear layer has 16 x 10 "
                    "weights and 10 biases.")


# ---- transfer learning -----------------------------------------------------------------------

def check_transfer_learning_1(params: Any) -> bool:
    """The linear probe's trainable parameters when the new task has five classes."""
    spec = get("cifar_resnet_small").spec_for(num_classes=5)
    head = [p for name, _, p in spec.param_table() if name == "fc"][0]
    return _verdict(params == head, "only the head trains: one weight per pooled feature and "
                                    "class, and one bias per class.")
