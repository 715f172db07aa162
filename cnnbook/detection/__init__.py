"""Object detection: a one-stage, anchor-free detector in the spirit of CenterNet.

- :mod:`~cnnbook.detection.targets` (NumPy): ``TargetLayout``, ``encode_targets`` (boxes to
  heatmap, size and offset maps), ``decode_detections`` (peaks, boxes, NMS), ``peaks``,
  ``Detections``.
- :mod:`~cnnbook.detection.baseline` (NumPy): ``centre_box_detections``, ``mean_box_size``.
- :mod:`~cnnbook.detection.loss` (torch): ``CenterNetLoss``, for :func:`cnnbook.training.fit`.
- :mod:`~cnnbook.detection.inference` (torch): ``detect``, ``predict_maps``.

The model is the catalogue's ``scene_centernet``; the metrics (box IoU, NMS, COCO's AP) are in
:mod:`cnnbook.metrics.detection`. ``import cnnbook.detection`` imports no framework: the names
above load their module on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "ALPHA": "targets",
    "Detections": "targets",
    "TargetLayout": "targets",
    "decode_detections": "targets",
    "encode_targets": "targets",
    "peaks": "targets",
    "centre_box_detections": "baseline",
    "mean_box_size": "baseline",
    "CenterNetLoss": "loss",
    "detect": "inference",
    "predict_maps": "inference",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"cnnbook.detection.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'cnnbook.detection' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
