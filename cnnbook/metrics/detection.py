"""Object detection metrics in NumPy: box IoU, non-maximum suppression and COCO's average
precision, written to give pycocotools' numbers exactly (the tests compare them to 1e-6).

Boxes are ``(K, 4)`` float arrays ``(x1, y1, x2, y2)`` in pixels, corners on a continuous grid:
a box's width is ``x2 - x1`` (no "+1"; pycocotools has none either, it takes ``(x, y, w, h)``).
Every function here refuses, with a one-line ``ValueError`` naming the argument and the first bad
box, a box with a non-finite coordinate or with its corners in the wrong order (``x2 < x1`` or
``y2 < y1``), which pycocotools, reading it as a negative width or height, would score
differently (:func:`cnnbook.metrics._checks.check_boxes`); in the same way, a class that is not
an integer in ``[0, num_classes)`` (negative, for NMS, which knows no ``num_classes``) and a
score that is not finite. Boxes, scores and labels may be NumPy arrays or torch tensors.

- :func:`box_iou`: intersection over union of every pair of two sets of boxes.
- :func:`nms`: greedy non-maximum suppression; :func:`batched_nms` does it per class.
- :func:`evaluate_detections`: COCO's evaluation (``COCOeval`` with ``iouType="bbox"``, area
  range ``"all"``, ``maxDets=100``): per IoU threshold ``0.50:0.05:0.95`` and class, detections
  are matched greedily in decreasing score to the unmatched ground-truth box of highest IoU
  (``IoU >= threshold``); precision is made monotone and read at the 101 recall thresholds
  ``0:0.01:1``. AP is the mean of those 101 precisions; a class with no ground-truth box gets no
  AP (pycocotools reports -1) and is left out of the means. As in pycocotools, the cap of
  ``max_detections`` applies to each image and class (after sorting by score), and score ties
  keep the order in which detections are given (stable sorts).

Reference: Lin et al., "Microsoft COCO: Common Objects in Context", 2014, and
``pycocotools/cocoeval.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cnnbook.metrics._checks import (
    check_boxes,
    check_detection_lists,
    check_labels,
    check_scores,
)

__all__ = ["COCO_IOU_THRESHOLDS", "COCO_RECALL_THRESHOLDS", "DetectionScores", "batched_nms",
           "box_iou", "evaluate_detections", "nms"]

# The same arrays pycocotools builds (np.linspace), so that thresholds compare bit for bit.
COCO_IOU_THRESHOLDS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1)
COCO_RECALL_THRESHOLDS = np.linspace(0.0, 1.0, int(np.round((1.0 - 0.0) / 0.01)) + 1)


def box_iou(a: object, b: object) -> np.ndarray:
    """IoU of every box of ``a`` ``(N, 4)`` with every box of ``b`` ``(M, 4)``, both
    ``(x1, y1, x2, y2)``: ``(N, M)`` float64. Computed as pycocotools does (areas ``w * h``,
    union ``area_a + area_b - intersection``); 0 where boxes do not overlap or are empty.

    Raises:
        ValueError: one line, naming ``a[k]`` or ``b[k]``: a box with ``x2 < x1`` or ``y2 < y1``,
            a non-finite coordinate, or not ``(K, 4)``.
    """
    a, b = check_boxes(a, "a"), check_boxes(b, "b")
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])  # (N,)
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])  # (M,)
    w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    overlap = (w > 0) & (h > 0)  # (N, M)
    inter = np.where(overlap, w * h, 0.0)
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(overlap & (union > 0), inter / union, 0.0)


def _order(scores: np.ndarray) -> np.ndarray:
    """Indices by decreasing score; ties keep their given order."""
    return np.argsort(-scores, kind="stable")


def nms(boxes: object, scores: object, iou_threshold: float) -> np.ndarray:
    """Greedy non-maximum suppression: keep the highest-scoring box, drop every box whose IoU
    with it exceeds ``iou_threshold`` (strictly), repeat with the next box still standing.

    Args:
        boxes: ``(K, 4)`` as ``(x1, y1, x2, y2)``; scores: ``(K,)``.

    Returns:
        The indices of the kept boxes, int64, by decreasing score (ties: lower index first).

    Raises:
        ValueError: one line: a bad box (as in :func:`box_iou`, naming ``boxes[k]``), a score
            that is not finite or a count of scores other than of boxes, ``iou_threshold``
            outside ``[0, 1]``.
    """
    boxes = check_boxes(boxes, "boxes")
    scores = check_scores(scores, "scores", len(boxes))
    if not 0.0 <= iou_threshold <= 1.0:
        raise ValueError(f"iou_threshold must be in [0, 1], got {iou_threshold}")
    order = _order(scores)
    ious = box_iou(boxes[order], boxes[order])  # (K, K), in score order
    suppressed = np.zeros(len(order), dtype=bool)
    keep = []
    for i in range(len(order)):
        if suppressed[i]:
            continue
        keep.append(order[i])
        suppressed[i + 1:] |= ious[i, i + 1:] > iou_threshold
    return np.asarray(keep, dtype=np.int64)


def batched_nms(boxes: object, scores: object, labels: object,
                iou_threshold: float) -> np.ndarray:
    """:func:`nms` within each class of ``labels`` ``(K,)``: boxes of different classes never
    suppress each other. Returns kept indices by decreasing score (ties: lower index first).

    Raises:
        ValueError: one line: as :func:`nms`, or a label that is not an integer class ``>= 0``
            or a count of labels other than of boxes.
    """
    boxes = check_boxes(boxes, "boxes")
    scores = check_scores(scores, "scores", len(boxes))
    labels = check_labels(labels, "labels", None, len(boxes))
    keep = [np.flatnonzero(labels == c)[nms(boxes[labels == c], scores[labels == c],
                                            iou_threshold)] for c in np.unique(labels)]
    kept = np.sort(np.concatenate(keep)) if keep else np.zeros(0, dtype=np.int64)
    return kept[_order(scores[kept])].astype(np.int64)


@dataclass(frozen=True)
class DetectionScores:
    """What :func:`evaluate_detections` returns (``T`` IoU thresholds, ``R = 101`` recall
    thresholds, ``C`` classes).

    Attributes:
        precision: ``(T, R, C)`` interpolated precision at each recall threshold, COCO's
            ``eval["precision"][:, :, :, 0, -1]``: -1 for a class with no ground truth.
        recall: ``(T, C)`` the recall reached at each threshold, -1 without ground truth.
        iou_thresholds: ``(T,)``; recall_thresholds: ``(R,)``.
        ap_per_class: ``(C,)`` AP@[0.5:0.95] (mean over ``T`` and ``R``), NaN without ground truth.
        ap50_per_class: ``(C,)`` AP at IoU 0.5, NaN without ground truth.
        map: mAP@[0.5:0.95], COCO's first summary number; map50: mAP@0.5; map75: mAP@0.75
            (NaN when the threshold is not evaluated or no class has ground truth).
        num_ground_truth: ``(C,)`` ground-truth boxes per class.
    """

    precision: np.ndarray
    recall: np.ndarray
    iou_thresholds: np.ndarray
    recall_thresholds: np.ndarray
    ap_per_class: np.ndarray
    ap50_per_class: np.ndarray
    map: float
    map50: float
    map75: float
    num_ground_truth: np.ndarray

    def pr_curve(self, class_id: int | None = None,
                 iou_threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
        """``(recall_thresholds, precision)``, both ``(R,)``: the interpolated precision-recall
        curve at ``iou_threshold`` for ``class_id``, or averaged over the classes that have
        ground truth when ``class_id`` is ``None`` (the curve whose area is the mAP)."""
        t = _threshold_index(self.iou_thresholds, iou_threshold)
        if t is None:
            raise ValueError(f"IoU threshold {iou_threshold} was not evaluated")
        if class_id is None:
            valid = self.num_ground_truth > 0
            if not valid.any():
                raise ValueError("no class has ground truth")
            return self.recall_thresholds, self.precision[t][:, valid].mean(axis=1)
        if not 0 <= class_id < self.precision.shape[2]:
            raise ValueError(f"class_id must be in [0, {self.precision.shape[2]}), got {class_id}")
        return self.recall_thresholds, self.precision[t, :, class_id]


def _threshold_index(thresholds: np.ndarray, value: float) -> int | None:
    hits = np.flatnonzero(np.abs(thresholds - value) < 1e-12)
    return int(hits[0]) if len(hits) else None


def _match(ious: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """``(T, D)`` bool: which detections (rows of ``ious`` ``(D, G)``, in score order) match a
    ground-truth box at each threshold, by COCO's greedy rule: each detection takes the
    still-unmatched box of highest IoU (the last such box on a tie), if that IoU >= threshold."""
    matched = np.zeros((len(thresholds), ious.shape[0]), dtype=bool)
    for t, threshold in enumerate(thresholds):
        free = np.ones(ious.shape[1], dtype=bool)
        bar = min(threshold, 1 - 1e-10)
        for d, row in enumerate(ious):
            candidates = np.where(free & (row >= bar), row, -1.0)
            best = candidates.max(initial=-1.0)
            if best < 0:
                continue
            g = len(row) - 1 - int(np.argmax(candidates[::-1] == best))  # last of the best
            free[g] = False
            matched[t, d] = True
    return matched


def evaluate_detections(gt_boxes: Sequence[object], gt_labels: Sequence[object],
                        det_boxes: Sequence[object], det_scores: Sequence[object],
                        det_labels: Sequence[object], *, num_classes: int,
                        iou_thresholds: object = COCO_IOU_THRESHOLDS,
                        max_detections: int = 100) -> DetectionScores:
    """COCO-style average precision of detections on a set of images.

    Args:
        gt_boxes, gt_labels: per image, ground-truth boxes ``(G_i, 4)`` and class ids ``(G_i,)``
            in ``[0, num_classes)``.
        det_boxes, det_scores, det_labels: per image, detections ``(D_i, 4)``, scores
            ``(D_i,)`` and class ids ``(D_i,)`` (any order; an image may have none).
        iou_thresholds: the IoU thresholds (default COCO's ten, 0.50 to 0.95).
        max_detections: the most detections per image and class that count (COCO: 100).

    Returns:
        :class:`DetectionScores`.

    Raises:
        ValueError: one line, naming the image and the item, e.g. ``det_boxes[2][0]``: a box
            with ``x2 < x1`` or ``y2 < y1`` or a non-finite coordinate, a class that is not an
            integer in ``[0, num_classes)``, a score that is not finite, counts that differ;
            or a bad ``num_classes``, ``max_detections`` or ``iou_thresholds``.
    """
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")
    if max_detections < 1:
        raise ValueError(f"max_detections must be >= 1, got {max_detections}")
    thresholds = np.asarray(iou_thresholds, dtype=np.float64).reshape(-1)
    if len(thresholds) == 0 or ((thresholds < 0) | (thresholds > 1)).any():
        raise ValueError("iou_thresholds must be a non-empty list of values in [0, 1]")
    gtb, gtl, dtb, dts, dtl = check_detection_lists(gt_boxes, gt_labels, det_boxes, det_scores,
                                                    det_labels, num_classes)
    n = len(gtb)

    T, R = len(thresholds), len(COCO_RECALL_THRESHOLDS)
    precision = -np.ones((T, R, num_classes))
    recall = -np.ones((T, num_classes))
    counts = np.zeros(num_classes, dtype=np.int64)
    for c in range(num_classes):
        scores, matches = [], []
        for i in range(n):
            gt = gtb[i][gtl[i] == c]
            order = _order(dts[i][dtl[i] == c])[:max_detections]
            boxes, s = dtb[i][dtl[i] == c][order], dts[i][dtl[i] == c][order]
            counts[c] += len(gt)
            scores.append(s)
            matches.append(_match(box_iou(boxes, gt), thresholds) if len(gt) and len(s)
                           else np.zeros((T, len(s)), dtype=bool))
        if counts[c] == 0:
            continue  # no ground truth: COCO's -1, left out of every mean
        all_scores = np.concatenate(scores)
        order = _order(all_scores)
        tp = np.concatenate(matches, axis=1)[:, order]  # (T, D) in global score order
        tp_sum = np.cumsum(tp, axis=1).astype(float)
        fp_sum = np.cumsum(~tp, axis=1).astype(float)
        for t in range(T):
            rc = tp_sum[t] / counts[c]
            pr = tp_sum[t] / (fp_sum[t] + tp_sum[t] + np.spacing(1))
            recall[t, c] = rc[-1] if len(rc) else 0.0
            pr = np.maximum.accumulate(pr[::-1])[::-1]  # the precision envelope
            idx = np.searchsorted(rc, COCO_RECALL_THRESHOLDS, side="left")
            precision[t, :, c] = np.where(idx < len(pr), pr[np.minimum(idx, len(pr) - 1)]
                                          if len(pr) else 0.0, 0.0)
    return _summarise(precision, recall, thresholds, counts)


def _summarise(precision: np.ndarray, recall: np.ndarray, thresholds: np.ndarray,
               counts: np.ndarray) -> DetectionScores:
    valid = counts > 0  # (C,)

    def mean_ap(p: np.ndarray) -> float:  # p: (T', R, C); COCO averages over p > -1
        kept = p[:, :, valid]
        return float(kept.mean()) if kept.size else float("nan")

    per_class = np.full(len(counts), np.nan)
    per_class[valid] = precision[:, :, valid].mean(axis=(0, 1))
    t50, t75 = _threshold_index(thresholds, 0.5), _threshold_index(thresholds, 0.75)
    per_class50 = np.full(len(counts), np.nan)
    if t50 is not None:
        per_class50[valid] = precision[t50][:, valid].mean(axis=0)
    return DetectionScores(
        precision=precision, recall=recall, iou_thresholds=thresholds,
        recall_thresholds=COCO_RECALL_THRESHOLDS.copy(), ap_per_class=per_class,
        ap50_per_class=per_class50, map=mean_ap(precision),
        map50=mean_ap(precision[t50:t50 + 1]) if t50 is not None else float("nan"),
        map75=mean_ap(precision[t75:t75 + 1]) if t75 is not None else float("nan"),
        num_ground_truth=counts)
