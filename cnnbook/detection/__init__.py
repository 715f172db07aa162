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

from typing import TYPE_CHECKING

from cnnbook import _lazy

if TYPE_CHECKING:
    from cnnbook.detection.baseline import (
        centre_box_detections as centre_box_detections,
        mean_box_size as mean_box_size,
    )
    from cnnbook.detection.inference import (
        detect as detect,
        predict_maps as predict_maps,
    )
    from cnnbook.detection.loss import (
        CenterNetLoss as CenterNetLoss,
    )
    from cnnbook.detection.targets import (
        ALPHA as ALPHA,
        Detections as Detections,
        TargetLayout as TargetLayout,
        decode_detections as decode_detections,
        encode_targets as encode_targets,
        peaks as peaks,
    )

__getattr__, __dir__, __all__ = _lazy.attach(__name__, __file__)
