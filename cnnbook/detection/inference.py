"""Run a trained detector (torch): images to :class:`~cnnbook.detection.targets.Detections`.

The network's output is ``(N, C + 4, H', W')`` (heatmap logits, size, offset); :func:`detect`
applies the sigmoid to the heatmap and decodes peaks, boxes and NMS with
:func:`~cnnbook.detection.targets.decode_detections`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnbook._optional import needs

with needs("torch"):
    from torch import nn

from cnnbook.detection.targets import (
    DEFAULT_LAYOUT,
    Detections,
    TargetLayout,
    decode_detections,
)
from cnnbook.training.fit import predict

__all__ = ["detect", "predict_maps"]


def predict_maps(model: nn.Module, images: Any, layout: TargetLayout = DEFAULT_LAYOUT, *,
                 batch_size: int = 256, device: str = "auto") -> np.ndarray:
    """``(N, C + 4, H', W')`` float32 maps for NCHW ``images``: the heatmap as probabilities
    (sigmoid of the logits), then size and offset as predicted."""
    maps = predict(model, np.asarray(images, np.float32), batch_size=batch_size, device=device,
                   probabilities=False)
    heat = maps[:, : layout.num_classes]
    maps[:, : layout.num_classes] = 1.0 / (1.0 + np.exp(-heat))  # logits -> probabilities
    return maps


def detect(model: nn.Module, images: Any, layout: TargetLayout = DEFAULT_LAYOUT, *,
           top_k: int = 100, score_threshold: float = 0.01, nms_iou: float | None = 0.5,
           batch_size: int = 256, device: str = "auto") -> Detections:
    """Detections for NCHW ``images`` ``(N, 1, H, W)``: boxes in pixels, scores, classes."""
    maps = predict_maps(model, images, layout, batch_size=batch_size, device=device)
    return decode_detections(maps, layout, top_k=top_k, score_threshold=score_threshold,
                             nms_iou=nms_iou)
