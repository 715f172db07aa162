"""The exercises of the chapter "Learning a filter" (``book/learning_a_filter.ipynb``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnbook.exercises._answers import as_array, close, verdict
from cnnbook.ops.conv import conv2d, conv2d_backward

__all__ = [
    "LEARNING_A_FILTER_X",
    "LEARNING_A_FILTER_Y",
    "check_learning_a_filter_1",
    "check_learning_a_filter_2",
    "check_learning_a_filter_3",
]


LEARNING_A_FILTER_X = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 1.0, 1.0]])
"""The 3x3 input of exercises 1 and 2."""
LEARNING_A_FILTER_Y = np.array([[1.0, -1.0], [0.0, 2.0]])
"""Their 2x2 target: what a 2x2 kernel (no bias) should make of ``LEARNING_A_FILTER_X``."""
_SOBEL_X = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])  # the chapter's


def _gradient(w: np.ndarray) -> np.ndarray:
    """dL/dw of the mean squared error of the 2x2 kernel ``w`` on the exercises' input."""
    x, y = LEARNING_A_FILTER_X[None, None], LEARNING_A_FILTER_Y[None, None]
    pred = conv2d(x, w[None, None])  # (1, 1, 2, 2)
    _, dw, _ = conv2d_backward(2.0 * (pred - y) / y.size, x, w[None, None])
    return dw[0, 0]


def check_learning_a_filter_1(grad: Any) -> bool:
    """The gradient of the mean squared error with respect to a 2x2 kernel (no bias) that starts
    at zero, for the input ``LEARNING_A_FILTER_X`` and the target ``LEARNING_A_FILTER_Y``, as a
    2x2 array."""
    array = as_array(grad, (2, 2))
    right = array is not None and bool(np.allclose(array, _gradient(np.zeros((2, 2)))))
    return verdict(right, "at zero the error is minus the target; g = 2 * error / M with M "
                           "outputs, and dL/dw[u, v] sums g[i, j] * x[i + u, j + v].")


def check_learning_a_filter_2(kernel: Any) -> bool:
    """The 2x2 kernel after two steps of gradient descent with momentum 0.9 and learning rate
    0.1, from zero (velocity zero too), on the task of exercise 1."""
    w, v = np.zeros((2, 2)), np.zeros((2, 2))
    for _ in range(2):
        v = 0.9 * v + _gradient(w)
        w = w - 0.1 * v
    array = as_array(kernel, (2, 2))
    right = array is not None and bool(np.allclose(array, w))
    return verdict(right, "recompute the gradient at the kernel after the first step; the "
                           "second step moves by the learning rate times the velocity, "
                           "0.9 times the first gradient plus the new one.")


def check_learning_a_filter_3(answer: Any) -> bool:
    """``(kernel, bias)``: what gradient descent converges to when the target is twice the Sobel
    x image of the input, minus its Sobel y image (the Sobel x kernel transposed), plus 0.5."""
    try:
        kernel, bias = answer
        kernel = as_array(kernel, (3, 3))
        right = kernel is not None and close(bias, 0.5)
    except (TypeError, ValueError):
        return verdict(False, "give a 3x3 kernel and a number: (kernel, bias).")
    if right:  # the kernel and bias that produce the target are the single minimum
        x = np.random.default_rng(0).normal(size=(1, 1, 12, 12))
        target = (2 * conv2d(x, _SOBEL_X[None, None]) - conv2d(x, _SOBEL_X.T[None, None])
                  + 0.5)
        right = bool(np.allclose(conv2d(x, np.asarray(kernel)[None, None], np.array([bias])),
                                 target))
    return verdict(right, "a convolution is linear in its kernel: the output of a sum of "
                           "kernels is the sum of their outputs, and a constant added to every "
                           "output is a bias.")
