"""The exercises of the chapter "Segmentation: a class for every pixel"
(``book/segmentation.ipynb``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnbook.exercises._answers import close, ints, verdict
from cnnbook.metrics.segmentation import mean_iou, pixel_accuracy, segmentation_scores
from cnnbook.ops.conv import conv_transpose2d

__all__ = [
    "SEGMENTATION_CONFUSION",
    "check_segmentation_1",
    "check_segmentation_2",
    "check_segmentation_3",
    "check_segmentation_4",
]


SEGMENTATION_CONFUSION = np.array([[80, 4, 0], [2, 6, 2], [0, 2, 4]])
"""The confusion matrix of exercise 3: 100 pixels, classes background, "1" and "7"; true class
in rows, predicted class in columns."""


def _floats(answer: Any, length: int) -> tuple[float, ...] | None:
    try:
        values = tuple(float(v) for v in answer)
    except (TypeError, ValueError):
        return None
    return values if len(values) == length else None


def _side(kernel: int, stride: int, padding: int) -> int:
    """The side of a transposed convolution's output on an 8x8 map, by running one."""
    x, w = np.zeros((1, 1, 8, 8)), np.zeros((1, 1, kernel, kernel))
    return int(conv_transpose2d(x, w, stride=stride, padding=padding).shape[-1])


def check_segmentation_1(answer: Any) -> bool:
    """``(up, odd)``: the side of the output of a transposed convolution on an 8x8 map with a
    2x2 kernel and stride 2 (the U-Net's), and with a 3x3 kernel, stride 2 and padding 1."""
    return verdict(ints(answer, 2) == (_side(2, 2, 0), _side(3, 2, 1)),
                   "give two integers: n_out = (n - 1) * stride - 2 * padding + kernel; the "
                   "padding crops the output.")


def _stroke_ious() -> tuple[float, float]:
    """IoU of a vertical stroke 3 pixels wide and 20 long with itself moved one pixel sideways,
    and with the one-pixel line down its middle."""
    true = np.zeros((24, 12), dtype=np.int64)
    true[2:22, 4:7] = 1
    thin = np.zeros_like(true)
    thin[2:22, 5] = 1
    shifted = np.roll(true, 1, axis=1)
    return (float(segmentation_scores(true, shifted, 2).iou[1]),
            float(segmentation_scores(true, thin, 2).iou[1]))


def check_segmentation_2(answer: Any) -> bool:
    """``(shifted, thin)``: the IoU of a stroke 3 pixels wide and 20 long with a prediction of
    the same stroke one pixel to the side, and with a prediction one pixel wide down its
    middle."""
    values = _floats(answer, 2)
    right = values is not None and all(close(v, e) for v, e in zip(values, _stroke_ious(),
                                                                    strict=True))
    return verdict(right, "give two numbers: the pixels both masks mark, divided by the pixels "
                           "either marks; a sideways shift loses a column and adds one.")


def check_segmentation_3(answer: Any) -> bool:
    """``(pixel_accuracy, mean_iou)`` of ``SEGMENTATION_CONFUSION``."""
    values = _floats(answer, 2)
    expected = (pixel_accuracy(SEGMENTATION_CONFUSION), mean_iou(SEGMENTATION_CONFUSION))
    right = values is not None and all(close(v, e) for v, e in zip(values, expected,
                                                                    strict=True))
    return verdict(right, "give two numbers: the diagonal over the total; then per class TP / "
                           "(TP + FP + FN), a row's and a column's off-diagonal counts both "
                           "count, averaged over the three classes.")


def _all_background() -> tuple[float, float]:
    """A 64x64 mask with 410 pixels of one digit class, predicted as background everywhere."""
    true = np.zeros((64, 64), dtype=np.int64)
    true.flat[:410] = 4  # a "3": class 1 + digit
    scores = segmentation_scores(true, np.zeros_like(true), 11)
    return scores.pixel_accuracy, scores.mean_iou


def check_segmentation_4(answer: Any) -> bool:
    """``(pixel_accuracy, mean_iou)`` of predicting background everywhere on a 64x64 scene whose
    only digit, a 3, covers 410 pixels (11 classes)."""
    values = _floats(answer, 2)
    right = values is not None and all(close(v, e) for v, e in zip(values, _all_background(),
                                                                    strict=True))
    return verdict(right, "give two numbers; the mean IoU runs over the classes present in the "
                           "target or in the prediction, not over all eleven.")
