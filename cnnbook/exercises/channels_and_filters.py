"""The exercises of the chapter "Channels and filters" (``book/channels_and_filters.ipynb``)."""

from __future__ import annotations

import math
from typing import Any

from cnnbook.exercises._answers import ints, verdict
from cnnbook.models.layers import (
    Conv2dSpec,
    DenseSpec,
)

__all__ = [
    "check_channels_and_filters_1",
    "check_channels_and_filters_2",
    "check_channels_and_filters_3",
]


def check_channels_and_filters_1(params: Any) -> bool:
    """A convolution with 16 filters of 5x5 over 3 input channels, with biases: its
    parameters."""
    _, expected = Conv2dSpec(3, 16, 5).output((3, 32, 32), 0)
    return verdict(params == expected, "each filter has a weight per input channel and kernel "
                                        "position, plus one bias.")


def check_channels_and_filters_2(shape: Any) -> bool:
    """``(C, H, W)`` of 64 filters of 3x3, no padding, stride 1, over a ``(32, 13, 13)`` input."""
    expected, _ = Conv2dSpec(32, 64, 3).output((32, 13, 13), 0)
    return verdict(ints(shape, 3) == expected, "give (channels, height, width): one channel "
                                                 "per filter, and the size rule for each side.")


def check_channels_and_filters_3(params: Any) -> bool:
    """A dense layer from a 32x32x3 image to as many outputs as the convolution of exercise 1
    gives on it (no padding): its parameters."""
    outputs, _ = Conv2dSpec(3, 16, 5).output((3, 32, 32), 0)
    _, expected = DenseSpec(None, math.prod(outputs)).output((3 * 32 * 32,), 0)
    return verdict(params == expected, "count the convolution's outputs (channels x height x "
                                        "width); each dense output has a weight per input "
                                        "value, plus a bias.")
