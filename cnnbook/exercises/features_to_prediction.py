"""The exercises of the chapter "From features to a prediction"
(``book/features_to_prediction.ipynb``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnbook.exercises._answers import as_array, close, ints, verdict
from cnnbook.ops.losses import cross_entropy, cross_entropy_backward, one_hot

__all__ = [
    "FEATURES_TO_PREDICTION_Z",
    "check_features_to_prediction_1",
    "check_features_to_prediction_2",
    "check_features_to_prediction_3",
]


FEATURES_TO_PREDICTION_Z = np.array([2.0, 1.0, 0.0])
"""The logits of exercise 1 (three classes); the true class is 1."""


def check_features_to_prediction_1(answer: Any) -> bool:
    """``(loss, grad)``: the cross-entropy of the logits ``FEATURES_TO_PREDICTION_Z`` for true
    class 1, and its gradient with respect to the three logits."""
    z, y = FEATURES_TO_PREDICTION_Z[None], np.array([1])
    try:
        loss, grad = answer
        grad = as_array(grad, (3,))
    except (TypeError, ValueError):
        return verdict(False, "give a number and three gradients: (loss, grad).")
    right = (close(loss, cross_entropy(z, y)) and grad is not None
             and bool(np.allclose(grad, cross_entropy_backward(z, y)[0], atol=1e-4)))
    return verdict(right, "softmax the logits first; the loss is minus the log of the true "
                           "class's probability, the gradient the probabilities minus the "
                           "one-hot target.")


def check_features_to_prediction_2(answer: Any) -> bool:
    """``(torch_position, keras_position)``: where the value of channel 5 at row 2, column 3 of
    a 32x13x13 stack of feature maps lands in PyTorch's flatten (NCHW) and in Keras's (NHWC),
    counting from 0."""
    channels, height, width = 32, 13, 13
    positions = ints(answer, 2)
    expected = (int(np.ravel_multi_index((5, 2, 3), (channels, height, width))),
                int(np.ravel_multi_index((2, 3, 5), (height, width, channels))))
    return verdict(positions == expected, "NCHW walks a whole channel before the next one; "
                                          "NHWC walks all the channels of one position before "
                                          "the next position.")


def check_features_to_prediction_3(floor: Any) -> bool:
    """The lowest loss that softmax followed by ``CrossEntropyLoss`` (the doubled softmax) can
    reach with 100 classes."""
    classes = 100
    best = one_hot(np.array([0]), classes)  # the most confident right probabilities
    expected = cross_entropy(best, np.array([0]))  # read as logits: the second softmax
    return verdict(close(floor, expected), "the best the first softmax can pass on is 1 for the "
                                           "right class and 0 for every other; put that through "
                                           "a second softmax with K = 100.")
