"""Metrics of dense prediction, computed by cnnbook in NumPy and tested against the reference
implementations.

- :mod:`~cnnbook.metrics.segmentation`: ``confusion_matrix``, ``pixel_accuracy``,
  ``per_class_iou``, ``mean_iou``, ``present_classes``, ``SegmentationScores``,
  ``segmentation_scores``
  (checked against torchmetrics' ``JaccardIndex`` and scikit-learn's ``confusion_matrix``).
- :mod:`~cnnbook.metrics.detection`: ``box_iou``, ``nms``, ``batched_nms``,
  ``evaluate_detections`` (COCO's AP per class, mAP@0.5, mAP@[0.5:0.95], precision-recall
  curves), ``DetectionScores`` (checked against pycocotools' ``COCOeval``).
- :mod:`~cnnbook.metrics.coco`: ``coco_reference``, ``CocoReference``: pycocotools' own numbers
  on the same arrays (needs ``pycocotools``).

``import cnnbook.metrics`` imports no framework: the names above load their module on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "CocoReference": "coco",
    "coco_reference": "coco",
    "COCO_IOU_THRESHOLDS": "detection",
    "COCO_RECALL_THRESHOLDS": "detection",
    "DetectionScores": "detection",
    "batched_nms": "detection",
    "box_iou": "detection",
    "evaluate_detections": "detection",
    "nms": "detection",
    "SegmentationScores": "segmentation",
    "confusion_matrix": "segmentation",
    "mean_iou": "segmentation",
    "per_class_iou": "segmentation",
    "pixel_accuracy": "segmentation",
    "present_classes": "segmentation",
    "segmentation_scores": "segmentation",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"cnnbook.metrics.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'cnnbook.metrics' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
