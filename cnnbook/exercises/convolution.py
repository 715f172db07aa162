"""The exercises of the chapter "Convolution" (``book/convolution.ipynb``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnbook.exercises._answers import as_array, close, verdict
from cnnbook.ops.conv import conv_output_size

__all__ = [
    "CONVOLUTION_K",
    "check_convolution_1",
    "check_convolution_2",
    "check_convolution_3",
]


CONVOLUTION_K = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, -1.0]])


def check_convolution_1(side: Any) -> bool:
    """A 3x3 kernel slid over a 28x28 image where it fits: the feature map's side."""
    return verdict(side == conv_output_size(28, 3), "count the positions where the kernel's "
                                                     "left column can sit.")


def check_convolution_2(kernel: Any) -> bool:
    """The kernel a cross-correlation needs to compute the mathematical convolution with
    ``CONVOLUTION_K`` (``[[1, 2, 0], [0, 1, 0], [0, 0, -1]]``), as a 3x3 array."""
    array = as_array(kernel, (3, 3))
    right = array is not None and bool(np.array_equal(array, np.rot90(CONVOLUTION_K, 2)))
    return verdict(right, "convolution turns the kernel by 180 degrees: flip it upside down "
                           "and left to right.")


def check_convolution_3(weight: Any) -> bool:
    """The weight of each of the nine equal taps of a 3x3 box blur that leaves a constant image
    unchanged (away from the border)."""
    return verdict(close(weight, 1 / 9), "on a constant image the output is the input times "
                                           "the sum of the weights.")
