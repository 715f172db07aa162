"""The exercises of the chapter "Detection: boxes and classes" (``book/detection.ipynb``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnbook.detection.targets import DEFAULT_LAYOUT, decode_detections, peaks
from cnnbook.exercises._answers import as_array, close, verdict
from cnnbook.metrics.detection import box_iou, evaluate_detections, nms

__all__ = [
    "DETECTION_BOXES",
    "DETECTION_HEATMAP",
    "DETECTION_SCORES",
    "check_detection_1",
    "check_detection_2",
    "check_detection_3",
    "check_detection_4",
    "check_detection_5",
]


DETECTION_BOXES = np.array([[10, 10, 30, 40], [12, 12, 32, 42], [20, 20, 40, 50],
                            [14, 16, 34, 46]], dtype=np.float64)
"""Four boxes of one class, ``(x1, y1, x2, y2)`` in pixels: exercises 1 and 2."""

DETECTION_SCORES = np.array([0.9, 0.8, 0.7, 0.6])
"""The scores of ``DETECTION_BOXES``: exercise 2."""

DETECTION_HEATMAP = np.array([[0.1, 0.2, 0.1, 0.0, 0.0],
                              [0.2, 0.9, 0.3, 0.1, 0.0],
                              [0.1, 0.4, 0.2, 0.6, 0.5],
                              [0.0, 0.1, 0.3, 0.3, 0.2],
                              [0.0, 0.0, 0.1, 0.2, 0.35]])
"""A 5x5 heatmap of one class (probabilities): exercise 3."""


def _pairs(answer: Any) -> set[tuple[int, int]] | None:
    """``answer`` as a set of ``(row, column)`` pairs, or ``None`` when it is not that."""
    try:
        pairs = [tuple(int(v) for v in pair) for pair in answer]
    except (TypeError, ValueError):
        return None
    if isinstance(answer, str) or any(len(p) != 2 for p in pairs):
        return None
    return {(p[0], p[1]) for p in pairs}


def check_detection_1(iou: Any) -> bool:
    """The IoU of the first and the third box of ``DETECTION_BOXES``."""
    expected = float(box_iou(DETECTION_BOXES[:1], DETECTION_BOXES[2:3])[0, 0])
    return verdict(close(iou, expected), "the area both boxes cover, divided by the area "
                                         "either covers: the two areas added, the shared "
                                         "one taken off once.")


def check_detection_2(kept: Any) -> bool:
    """The indices of the boxes of ``DETECTION_BOXES`` (scores ``DETECTION_SCORES``) that
    greedy non-maximum suppression at IoU 0.5 keeps, in any order."""
    expected = {int(i) for i in nms(DETECTION_BOXES, DETECTION_SCORES, 0.5)}
    try:
        answer = {int(i) for i in kept}
    except (TypeError, ValueError):
        answer = None
    return verdict(answer == expected, "go down the boxes by score; a box that is still "
                                       "standing removes every later box that overlaps it by "
                                       "more than 0.5, and a removed box removes nothing.")


def check_detection_3(cells: Any) -> bool:
    """The ``(row, column)`` cells of ``DETECTION_HEATMAP`` that decoding keeps as detections at
    a score threshold of 0.4, in any order."""
    heat = DETECTION_HEATMAP[None, None]  # (1, 1, 5, 5)
    keep = peaks(heat)[0, 0] & (DETECTION_HEATMAP >= 0.4)
    expected = {(int(r), int(c)) for r, c in np.argwhere(keep)}
    return verdict(_pairs(cells) == expected,
                   "give (row, column) pairs: a cell counts when it equals the largest value "
                   "of its 3x3 neighbourhood and its score reaches the threshold.")


def _decoded_box() -> np.ndarray:
    layout = DEFAULT_LAYOUT  # ten classes, stride 4, the chapter's
    maps = np.zeros((1, layout.outputs, 16, 16), dtype=np.float32)
    maps[0, 0, 3, 3] = 0.9
    maps[0, layout.size, 3, 3] = (2.0, 5.0)
    maps[0, layout.offset, 3, 3] = (0.5, 0.25)
    return decode_detections(maps, layout).boxes[0][0].astype(np.float64)


def check_detection_4(box: Any) -> bool:
    """``(x1, y1, x2, y2)`` in pixels of the box decoded from a heatmap peak in row 3, column 3
    of the chapter's 16x16 grid (stride 4), with size ``(w, h) = (2, 5)`` cells and offset
    ``(dx, dy) = (0.5, 0.25)``."""
    array = as_array(box, (4,))
    right = array is not None and bool(np.allclose(array, _decoded_box()))
    return verdict(right, "the centre is (cell + offset) x stride in pixels, the size is in "
                          "cells too; the box reaches half the width and half the height to "
                          "each side of the centre.")


def _ranked_ap50() -> float:
    """AP@0.5 of one class, two ground-truth boxes, three detections ranked hit, miss, hit."""
    gt = [np.array([[0.0, 0.0, 10.0, 10.0], [20.0, 20.0, 30.0, 30.0]])]
    det = [np.array([[0.0, 0.0, 10.0, 10.0], [40.0, 40.0, 50.0, 50.0],
                     [20.0, 20.0, 30.0, 30.0]])]
    scores = evaluate_detections(gt, [np.zeros(2, np.int64)], det, [np.array([0.9, 0.8, 0.7])],
                                 [np.zeros(3, np.int64)], num_classes=1)
    return float(scores.ap50_per_class[0])


def check_detection_5(ap: Any) -> bool:
    """COCO's AP@0.5 of one class with two ground-truth boxes and three detections which, in
    decreasing score, find the first box, find nothing, find the second box."""
    return verdict(close(ap, _ranked_ap50()),
                   "list precision and recall after each detection, make the precision "
                   "non-increasing, then read it at the 101 recall values 0, 0.01, ..., 1 "
                   "and average.")
