"""The exercises of the chapter "Padding, stride and dilation"
(``book/padding_stride_dilation.ipynb``)."""

from __future__ import annotations

import math
from typing import Any

from cnnbook.exercises._answers import ints, verdict
from cnnbook.ops.conv import conv_output_size

__all__ = [
    "check_padding_stride_dilation_1",
    "check_padding_stride_dilation_2",
    "check_padding_stride_dilation_3",
]


def check_padding_stride_dilation_1(size: Any) -> bool:
    """A 5x5 kernel, stride 2, padding 1, no dilation, on a 28x28 input: the output's side."""
    return verdict(size == conv_output_size(28, 5, 2, 1, 1),
                    "n_out = floor((n + 2p - d(k - 1) - 1) / s) + 1; mind the floor.")


def check_padding_stride_dilation_2(answer: Any) -> bool:
    """A 3x3 kernel with dilation 2, no padding, stride 1, on a 28x28 input: ``(span, side)``,
    the input pixels one window spans along an axis and the output's side."""
    span = (3 - 1) * 2 + 1
    return verdict(ints(answer, 2) == (span, conv_output_size(28, 3, 1, 0, 2)),
                    "give (span, side); a dilated kernel's taps are d pixels apart, so k taps "
                    "span d(k - 1) + 1 pixels.")


def check_padding_stride_dilation_3(answer: Any) -> bool:
    """TensorFlow's "same" for a 3x3 kernel with stride 2 on a 28-pixel axis: ``(outputs, top,
    bottom)``, the output's side and the zeros padded before and after."""
    outputs = math.ceil(28 / 2)
    total = max((outputs - 1) * 2 + 3 - 28, 0)
    return verdict(ints(answer, 3) == (outputs, total // 2, total - total // 2),
                    "\"same\" gives ceil(n / s) outputs; the padding is what the last window "
                    "needs, and an odd amount puts the extra zero at the end.")
