"""The trivial detector that a real one must beat: one box at the image centre (NumPy only)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cnnbook.detection.targets import Detections
from cnnbook.metrics._checks import check_box_list

__all__ = ["centre_box_detections", "mean_box_size"]


def mean_box_size(boxes: Sequence[np.ndarray]) -> tuple[float, float]:
    """The mean ``(width, height)`` of ``(K_i, 4)`` boxes ``(x1, y1, x2, y2)`` over all images."""
    checked = check_box_list(boxes, "boxes")
    stacked = np.concatenate(checked) if checked else np.zeros((0, 4))
    if len(stacked) == 0:
        raise ValueError("no boxes to average")
    return (float((stacked[:, 2] - stacked[:, 0]).mean()),
            float((stacked[:, 3] - stacked[:, 1]).mean()))


def centre_box_detections(n: int, image_size: tuple[int, int], box_size: tuple[float, float],
                          num_classes: int = 10) -> Detections:
    """For each of ``n`` images, one box of ``box_size`` ``(w, h)`` centred in the image
    ``(H, W)``, offered once for every class with score 1 (the most a detector that ignores the
    image can do: it never misses a class, only the place)."""
    if n < 0 or num_classes < 1:
        raise ValueError(f"need n >= 0 and num_classes >= 1, got {n} and {num_classes}")
    if not all(np.isfinite(v) and v >= 0 for v in box_size):
        raise ValueError(f"box_size must be a finite (w, h) >= 0, got {tuple(box_size)}")
    (h, w), (bw, bh) = image_size, box_size
    box = np.array([w / 2 - bw / 2, h / 2 - bh / 2, w / 2 + bw / 2, h / 2 + bh / 2], np.float32)
    return Detections(boxes=[np.tile(box, (num_classes, 1)) for _ in range(n)],
                      scores=[np.ones(num_classes, np.float32) for _ in range(n)],
                      labels=[np.arange(num_classes, dtype=np.int64) for _ in range(n)])
