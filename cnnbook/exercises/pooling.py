"""The exercises of the chapter "Pooling" (``book/pooling.ipynb``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnbook.exercises._answers import as_array, verdict
from cnnbook.ops.conv import conv_output_size
from cnnbook.ops.pool import avg_pool2d, max_pool2d, max_pool2d_backward

__all__ = [
    "POOLING_X",
    "check_pooling_1",
    "check_pooling_2",
    "check_pooling_3",
]


POOLING_X = np.array([[1.0, 3.0, 2.0, 0.0], [4.0, 2.0, 1.0, 5.0], [0.0, 1.0, 3.0, 2.0],
                      [2.0, 6.0, 1.0, 1.0]])
"""The 4x4 array of the pooling chapter's exercises."""


def check_pooling_1(answer: Any) -> bool:
    """``(max_pooled, avg_pooled)``: 2x2 max and average pooling, stride 2, of ``POOLING_X``,
    each a 2x2 array."""
    x = POOLING_X[None, None]
    try:
        high, mean = (as_array(a, (2, 2)) for a in answer)
    except (TypeError, ValueError):
        return verdict(False, "give two 2x2 arrays: (max_pooled, avg_pooled).")
    right = (high is not None and mean is not None
             and bool(np.allclose(high, max_pool2d(x, 2)[0, 0]))
             and bool(np.allclose(mean, avg_pool2d(x, 2)[0, 0])))
    return verdict(right, "cut the array into four 2x2 windows, top left first; keep each "
                           "window's largest value, then its mean.")


def check_pooling_2(grad: Any) -> bool:
    """The gradient that reaches ``POOLING_X`` (a 4x4 array) through 2x2 max pooling when every
    output's upstream gradient is 1."""
    x = POOLING_X[None, None]
    array = as_array(grad, (4, 4))
    expected = max_pool2d_backward(np.ones((1, 1, 2, 2)), x, 2)[0, 0]
    return verdict(array is not None and bool(np.allclose(array, expected)),
                    "each window passes its gradient to the one input that won it; the others "
                    "get 0.")


def check_pooling_3(side: Any) -> bool:
    """3x3 max pooling with stride 2 on a 13x13 map: the output's side."""
    return verdict(side == conv_output_size(13, 3, 2), "pooling windows follow the "
                                                         "convolution's size rule.")
