"""The exercises of the page "Keras internals" (``book/keras_internals.ipynb``), computed with
:mod:`cnnbook.ops`, which follows Keras's rule for probabilities (rescale, clip, log)."""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnbook.exercises._answers import close, verdict
from cnnbook.ops.activations import softmax
from cnnbook.ops.losses import cross_entropy, cross_entropy_backward

__all__ = [
    "check_keras_internals_1",
    "check_keras_internals_2",
    "check_keras_internals_3",
]


def _row(wrong: float) -> np.ndarray:
    """The page's logits: ten classes, true class 0 at 0, class 1 at ``wrong``, the rest 0."""
    z = np.zeros((1, 10))
    z[0, 1] = wrong
    return z


def _pair(answer: Any) -> tuple[float, float] | None:
    try:
        a, b = answer
        return float(a), float(b)
    except (TypeError, ValueError):
        return None


def check_keras_internals_1(answer: Any) -> bool:
    """``(numpy_loss, tensor_loss)``: with the wrong logit at 40 instead of 30, what
    ``categorical_crossentropy`` reports on a NumPy array of the probabilities, and on the
    softmax layer's output tensor on the TensorFlow backend."""
    pair, z, y = _pair(answer), _row(40.0), np.array([0])
    right = pair is not None and close(pair[0], cross_entropy(softmax(z), y, from_logits=False)) \
        and close(pair[1], cross_entropy(z, y))
    return verdict(right, "the NumPy array has lost its logits, so it is clipped; the tensor "
                           "still carries them, so its loss is the exact one, from the logits.")


def check_keras_internals_2(answer: Any) -> bool:
    """``(change_11, change_10)``: one SGD step, learning rate 0.1, of the identity ``Dense``
    softmax layer on the logit-5 row alone (true class 0): how much the weights ``W[1, 1]`` and
    ``W[1, 0]`` change."""
    pair, z, y = _pair(answer), _row(5.0), np.array([0])
    change = -0.1 * np.outer(z[0], cross_entropy_backward(z, y)[0])  # x^T (p - onehot), one row
    right = pair is not None and close(pair[0], change[1, 1]) and close(pair[1], change[1, 0])
    return verdict(right, "the gradient at the logits is p - onehot; the weights from input i "
                           "get input i times it; the step goes against the gradient.")


def check_keras_internals_3(answer: Any) -> bool:
    """``(logit_30_loss, logit_5_loss)``: the loss ``categorical_crossentropy`` reports on a NumPy
    array of the two rows' probabilities after ``keras.config.set_epsilon(1e-4)``."""
    pair, y = _pair(answer), np.array([0])
    eps = 1e-4  # keras.config.set_epsilon(1e-4): a coarser clip than the default
    losses = [cross_entropy(softmax(_row(m)), y, from_logits=False, eps=eps) for m in (30, 5)]
    right = pair is not None and close(pair[0], losses[0]) and close(pair[1], losses[1])
    return verdict(right, "a probability below epsilon is raised to epsilon before the log; one "
                           "above it is left alone.")
