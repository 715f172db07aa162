"""The reference: pycocotools' ``COCOeval`` on in-memory detections (needs ``pycocotools``).

:func:`coco_reference` converts cnnbook's per-image arrays to COCO's format (boxes
``(x, y, width, height)``, image ids from 1, category ids ``class + 1``, one category per class
so that a class without ground truth is reported as -1) and runs ``COCOeval`` with
``iouType="bbox"``: area range ``"all"``, ``maxDets`` 100. The tests and the detection chapter
compare :func:`cnnbook.metrics.detection.evaluate_detections` with it.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cnnbook._optional import require
from cnnbook.metrics._checks import check_detection_lists

__all__ = ["CocoReference", "coco_reference"]


@dataclass(frozen=True)
class CocoReference:
    """pycocotools' numbers: ``precision`` ``(T, R, C)`` and ``recall`` ``(T, C)`` at area
    "all" and 100 detections (-1 without ground truth), and ``stats``, the 12 summary numbers
    (``stats[0]`` mAP@[0.5:0.95], ``stats[1]`` mAP@0.5, ``stats[2]`` mAP@0.75)."""

    precision: np.ndarray
    recall: np.ndarray
    stats: np.ndarray


def _xywh(boxes: object) -> list[list[float]]:
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return np.stack([b[:, 0], b[:, 1], b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], 1).tolist()


def coco_reference(gt_boxes: Sequence[object], gt_labels: Sequence[object],
                   det_boxes: Sequence[object], det_scores: Sequence[object],
                   det_labels: Sequence[object], *, num_classes: int) -> CocoReference:
    """``COCOeval`` (bbox) of per-image detections against per-image ground truth, in the
    arguments' format of :func:`~cnnbook.metrics.detection.evaluate_detections`; boxes are
    checked in the same way.

    Raises:
        ValueError: one line, as :func:`~cnnbook.metrics.detection.evaluate_detections` raises
            it: a box with ``x2 < x1`` or ``y2 < y1`` or a non-finite coordinate, a class that
            is not an integer in ``[0, num_classes)``, a score that is not finite, counts that
            differ (naming the image and the item, e.g. ``gt_labels[0]``).
    """
    gt_boxes, gt_labels, det_boxes, det_scores, det_labels = check_detection_lists(
        gt_boxes, gt_labels, det_boxes, det_scores, det_labels, num_classes)
    coco = require("pycocotools.coco")
    cocoeval = require("pycocotools.cocoeval")
    images = [{"id": i + 1} for i in range(len(gt_boxes))]
    categories = [{"id": c + 1} for c in range(num_classes)]
    anns: list[dict[str, object]] = []
    for i, (boxes, labels) in enumerate(zip(gt_boxes, gt_labels, strict=True)):
        for box, label in zip(_xywh(boxes), labels, strict=True):
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": int(label) + 1,
                         "bbox": box, "area": box[2] * box[3], "iscrowd": 0})
    dets = [{"image_id": i + 1, "category_id": int(label) + 1, "bbox": box,
             "score": float(score)}
            for i, (boxes, scores, labels) in enumerate(zip(det_boxes, det_scores, det_labels,
                                                            strict=True))
            for box, score, label in zip(_xywh(boxes), scores, labels, strict=True)]
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its progress
        gt = coco.COCO()
        gt.dataset = {"images": images, "categories": categories, "annotations": anns}
        gt.createIndex()
        if dets:
            dt = gt.loadRes(dets)
        else:  # loadRes cannot take an empty list; this is the empty result set it would give
            dt = coco.COCO()
            dt.dataset = {"images": images, "categories": categories, "annotations": []}
            dt.createIndex()
        ev = cocoeval.COCOeval(gt, dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    if ev.params.maxDets[-1] != 100 or ev.params.areaRngLbl[0] != "all":
        raise RuntimeError("unexpected COCOeval defaults: maxDets or area ranges changed")
    return CocoReference(precision=ev.eval["precision"][:, :, :, 0, -1],
                         recall=ev.eval["recall"][:, :, 0, -1], stats=np.asarray(ev.stats))
