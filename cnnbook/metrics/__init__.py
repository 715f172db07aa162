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

from typing import TYPE_CHECKING

from cnnbook import _lazy

if TYPE_CHECKING:
    from cnnbook.metrics.coco import (
        CocoReference as CocoReference,
        coco_reference as coco_reference,
    )
    from cnnbook.metrics.detection import (
        COCO_IOU_THRESHOLDS as COCO_IOU_THRESHOLDS,
        COCO_RECALL_THRESHOLDS as COCO_RECALL_THRESHOLDS,
        DetectionScores as DetectionScores,
        batched_nms as batched_nms,
        box_iou as box_iou,
        evaluate_detections as evaluate_detections,
        nms as nms,
    )
    from cnnbook.metrics.segmentation import (
        SegmentationScores as SegmentationScores,
        confusion_matrix as confusion_matrix,
        mean_iou as mean_iou,
        per_class_iou as per_class_iou,
        pixel_accuracy as pixel_accuracy,
        present_classes as present_classes,
        segmentation_scores as segmentation_scores,
    )

__getattr__, __dir__, __all__ = _lazy.attach(__name__, __file__)
