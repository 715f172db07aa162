"""Segmentation metrics from the confusion matrix: pixel accuracy, per-class IoU, mean IoU.

Masks are integer class maps of any shape (e.g. ``(N, H, W)``), the target and the prediction of
the same shape (NumPy arrays or torch tensors); every pixel counts once. NumPy only.

Conventions (those of torchmetrics' ``MulticlassJaccardIndex``, which the tests check to 1e-6):

- the confusion matrix has the true class in rows and the predicted class in columns
  (scikit-learn's ``confusion_matrix``);
- the IoU of class ``c`` is ``TP / (TP + FP + FN)``; a class that appears neither in the target
  nor in the prediction (``TP + FP + FN = 0``) is **absent**: its IoU is ``absent`` (0 by default,
  torchmetrics' ``zero_division``);
- the mean IoU averages the IoU of the classes that are present (in the target or in the
  prediction) and leaves absent classes out (torchmetrics' ``average="macro"``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from cnnbook.metrics._checks import check_mask

__all__ = ["SegmentationScores", "confusion_matrix", "mean_iou", "per_class_iou",
           "pixel_accuracy", "present_classes", "segmentation_scores"]


def confusion_matrix(target: ArrayLike, prediction: ArrayLike, num_classes: int) -> np.ndarray:
    """``(num_classes, num_classes)`` int64 counts: row = true class, column = predicted class.

    Raises:
        ValueError: one line: shapes differ, or a value is not an integer class in
            ``[0, num_classes)`` (naming the mask and the first bad pixel's index).
    """
    t, p = check_mask(target, num_classes, "target"), check_mask(prediction, num_classes,
                                                                 "prediction")
    if t.shape != p.shape:
        raise ValueError(f"target {t.shape} and prediction {p.shape} must have the same shape")
    flat = t.astype(np.int64).ravel() * num_classes + p.astype(np.int64).ravel()
    return np.bincount(flat, minlength=num_classes ** 2).reshape(num_classes, num_classes)


def _check_confusion(confusion: np.ndarray) -> np.ndarray:
    c = np.asarray(confusion)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise ValueError(f"a confusion matrix must be square (C, C), not {c.shape}")
    return c.astype(np.float64)


def pixel_accuracy(confusion: ArrayLike) -> float:
    """Fraction of pixels whose predicted class is the true class (0 for no pixels)."""
    c = _check_confusion(np.asarray(confusion))
    total = c.sum()
    return float(np.trace(c) / total) if total else 0.0


def present_classes(confusion: ArrayLike) -> np.ndarray:
    """``(C,)`` bool: the class occurs in the target or in the prediction."""
    c = _check_confusion(np.asarray(confusion))
    return (c.sum(0) + c.sum(1)) > 0


def per_class_iou(confusion: ArrayLike, *, absent: float = 0.0) -> np.ndarray:
    """``(C,)`` float64 IoU ``TP / (TP + FP + FN)`` per class; ``absent`` for an absent class
    (0 like torchmetrics' default ``zero_division``; pass ``np.nan`` to mark it)."""
    c = _check_confusion(np.asarray(confusion))
    tp = np.diag(c)
    union = c.sum(0) + c.sum(1) - tp
    iou = np.full(c.shape[0], float(absent))
    np.divide(tp, union, out=iou, where=union > 0)
    return iou


def mean_iou(confusion: ArrayLike) -> float:
    """Mean of the per-class IoU over the present classes (absent classes left out)."""
    present = present_classes(confusion)
    if not present.any():
        return 0.0
    return float(per_class_iou(confusion)[present].mean())


@dataclass(frozen=True)
class SegmentationScores:
    """The scores of one prediction: ``confusion`` ``(C, C)`` (rows true), ``iou`` ``(C,)``
    (``nan`` for an absent class), ``present`` ``(C,)`` bool, and the two summaries."""

    confusion: np.ndarray
    pixel_accuracy: float
    iou: np.ndarray
    present: np.ndarray
    mean_iou: float

    def describe(self, names: tuple[str, ...] | None = None) -> str:
        """A small table: pixel accuracy, mean IoU, then the IoU of every class."""
        names = names or tuple(str(i) for i in range(len(self.iou)))
        rows = [f"pixel accuracy {self.pixel_accuracy:.4f}   mean IoU {self.mean_iou:.4f}"]
        rows += [f"  {name:>12s}  IoU {v:.4f}" if ok else f"  {name:>12s}  absent"
                 for name, v, ok in zip(names, self.iou, self.present, strict=True)]
        return "\n".join(rows)


def segmentation_scores(target: ArrayLike, prediction: ArrayLike,
                        num_classes: int) -> SegmentationScores:
    """Confusion matrix, pixel accuracy, per-class IoU and mean IoU of integer masks.

    Raises:
        ValueError: one line, as :func:`confusion_matrix` raises it.
    """
    confusion = confusion_matrix(target, prediction, num_classes)
    return SegmentationScores(confusion, pixel_accuracy(confusion),
                              per_class_iou(confusion, absent=np.nan),
                              present_classes(confusion), mean_iou(confusion))
