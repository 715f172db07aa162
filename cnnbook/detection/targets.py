"""CenterNet-style targets: boxes to dense maps and back (NumPy only).

A one-stage, anchor-free detector in the spirit of CenterNet (Zhou, Wang and Krähenbühl,
"Objects as Points", 2019) predicts, on a grid ``stride`` times coarser than the image, three
maps per cell:

- a **heatmap** per class: 1 at the cell that holds an object's centre, a Gaussian bump around
  it (so that near misses are penalised less), 0 far from every object;
- the **box size** ``(w, h)`` of the object centred in the cell, in grid cells;
- the **offset** ``(dx, dy)`` in ``[0, 1)`` from the cell's corner to the exact centre, which
  the coarse grid would otherwise round away.

The maps are stacked in one ``(N, CHANNELS, H / stride, W / stride)`` float32 array (NCHW), which
the network's output mirrors: channels ``0..num_classes-1`` the heatmap, then ``w, h``, then
``dx, dy``, and (targets only) a last channel that is 1 at the centre cells, where size and
offset are trained. Decoding finds the heatmap's peaks (cells that equal their 3x3 neighbourhood's
maximum), keeps the ``top_k`` best, rebuilds each box from its size and offset, and applies
:func:`cnnbook.metrics.detection.batched_nms`.

The Gaussian follows TTFNet (Liu et al., 2020): an ellipse with ``sigma = alpha * size / 6`` per
axis in grid cells, ``alpha = 0.54``, its peak exactly 1 at the centre cell; overlapping bumps of
one class keep their maximum. Two objects whose centres fall in the same cell share its size and
offset: the later one's are kept (:func:`encode_targets` counts such collisions).

Boxes are ``(K, 4)`` ``(x1, y1, x2, y2)`` in image pixels, ``x2``/``y2`` exclusive (width
``x2 - x1``), as :mod:`cnnbook.datasets.scenes` gives them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cnnbook.metrics._checks import check_box_list, check_label_list
from cnnbook.metrics.detection import batched_nms

__all__ = ["ALPHA", "DEFAULT_LAYOUT", "Detections", "TargetLayout", "decode_detections",
           "encode_targets", "peaks"]

ALPHA = 0.54  # TTFNet's Gaussian width factor


@dataclass(frozen=True)
class TargetLayout:
    """Where each map lives in the channel axis, for ``num_classes`` classes and ``stride``."""

    num_classes: int = 10
    stride: int = 4

    def __post_init__(self) -> None:
        if self.num_classes < 1 or self.stride < 1:
            raise ValueError(f"need num_classes >= 1 and stride >= 1, got {self.num_classes} "
                             f"and {self.stride}")

    @property
    def size(self) -> slice:
        """Box width and height, in grid cells."""
        return slice(self.num_classes, self.num_classes + 2)

    @property
    def offset(self) -> slice:
        """Sub-cell offset of the centre, in ``[0, 1)`` cells."""
        return slice(self.num_classes + 2, self.num_classes + 4)

    @property
    def outputs(self) -> int:
        """Channels the network predicts: heatmap, size, offset."""
        return self.num_classes + 4

    @property
    def mask(self) -> int:
        """Index of the targets' last channel: 1 at the centre cells."""
        return self.num_classes + 4

    @property
    def channels(self) -> int:
        """Channels of the targets: the network's outputs and the mask."""
        return self.num_classes + 5

    def grid(self, height: int, width: int) -> tuple[int, int]:
        """The output grid of an image ``height x width`` (each a multiple of ``stride``)."""
        if height % self.stride or width % self.stride:
            raise ValueError(f"image size {height}x{width} is not a multiple of the stride "
                             f"{self.stride}")
        return height // self.stride, width // self.stride


DEFAULT_LAYOUT = TargetLayout()  # ten digit classes, stride 4


@dataclass(frozen=True)
class Detections:
    """Detections for a set of images, one array per image.

    Attributes:
        boxes: per image ``(K_i, 4)`` float32 ``(x1, y1, x2, y2)`` in pixels.
        scores: per image ``(K_i,)`` float32 in ``[0, 1]``, decreasing.
        labels: per image ``(K_i,)`` int64 classes.
    """

    boxes: list[np.ndarray]
    scores: list[np.ndarray]
    labels: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.boxes)


def encode_targets(boxes: Sequence[np.ndarray], labels: Sequence[np.ndarray],
                   image_size: tuple[int, int], layout: TargetLayout = DEFAULT_LAYOUT,
                   alpha: float = ALPHA) -> tuple[np.ndarray, int]:
    """The target maps of a set of images.

    Args:
        boxes, labels: per image ``(K_i, 4)`` boxes in pixels and ``(K_i,)`` classes.
        image_size: ``(H, W)`` of the images, multiples of ``layout.stride``.

    Returns:
        ``(targets, collisions)``: ``(N, layout.channels, H / stride, W / stride)`` float32 and
        the number of objects whose centre cell an earlier object already held.

    Raises:
        ValueError: one line: a box with its corners in the wrong order or a non-finite
            coordinate (naming ``boxes[i][k]``), an empty box, a class that is not an integer
            in the layout's ``[0, num_classes)`` (naming ``labels[i]``), counts that differ.
    """
    if len(boxes) != len(labels):
        raise ValueError(f"{len(boxes)} box arrays but {len(labels)} label arrays")
    checked = check_box_list(boxes, "boxes")
    classes = check_label_list(labels, "labels", layout.num_classes, [len(b) for b in checked])
    gh, gw = layout.grid(*image_size)
    s = float(layout.stride)
    targets = np.zeros((len(boxes), layout.channels, gh, gw), np.float32)
    ys, xs = np.arange(gh, dtype=np.float64)[:, None], np.arange(gw, dtype=np.float64)[None, :]
    collisions = 0
    for i, (b, lab) in enumerate(zip(checked, classes, strict=True)):
        taken: set[tuple[int, int]] = set()
        for (x1, y1, x2, y2), c in zip(b, lab, strict=True):
            if x2 <= x1 or y2 <= y1:
                raise ValueError(f"image {i}: empty box {(x1, y1, x2, y2)}")
            cx, cy = (x1 + x2) / 2 / s, (y1 + y2) / 2 / s  # centre in grid cells
            col, row = min(int(cx), gw - 1), min(int(cy), gh - 1)
            w, h = (x2 - x1) / s, (y2 - y1) / s
            sx, sy = max(alpha * w / 6, 1e-3), max(alpha * h / 6, 1e-3)
            bump = np.exp(-((xs - col) ** 2) / (2 * sx**2) - ((ys - row) ** 2) / (2 * sy**2))
            targets[i, c] = np.maximum(targets[i, c], bump)  # 1 at (row, col)
            collisions += (row, col) in taken
            taken.add((row, col))
            targets[i, layout.size, row, col] = (w, h)
            targets[i, layout.offset, row, col] = (cx - col, cy - row)
            targets[i, layout.mask, row, col] = 1.0
    return targets, collisions


def peaks(heatmap: np.ndarray) -> np.ndarray:
    """``(N, C, H, W)`` bool: cells equal to the maximum of their 3x3 neighbourhood (max
    pooling, kernel 3, stride 1, padding 1, as CenterNet decodes in place of NMS)."""
    h = np.asarray(heatmap)
    if h.ndim != 4:
        raise ValueError(f"heatmap must be (N, C, H, W), got shape {h.shape}")
    padded = np.pad(h, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    H, W = h.shape[2:]
    best = np.max([padded[:, :, dy:dy + H, dx:dx + W] for dy in range(3) for dx in range(3)],
                  axis=0)
    return h == best


def decode_detections(maps: np.ndarray, layout: TargetLayout = DEFAULT_LAYOUT, *,
                      top_k: int = 100, score_threshold: float = 0.01,
                      nms_iou: float | None = 0.5) -> Detections:
    """Detections from heatmap scores, sizes and offsets.

    Args:
        maps: ``(N, >= layout.outputs, H', W')``: channels ``0..num_classes-1`` the heatmap
            **as probabilities** (apply the sigmoid to network logits first), then size and
            offset, as :func:`encode_targets` lays them out (targets decode as they are).
        top_k: peaks kept per image, best first (CenterNet and COCO: 100).
        score_threshold: peaks below this score are dropped.
        nms_iou: class-aware NMS of the decoded boxes at this IoU (``None``: none).

    Returns:
        :class:`Detections`, boxes in image pixels. Predicted sizes are clamped at 0 before
        boxes are built, so every box has ``x2 >= x1`` and ``y2 >= y1``.

    Raises:
        ValueError: one line: ``maps`` of another shape, or with a value that is not finite
            (naming its index), or ``top_k < 1``.
    """
    maps = np.asarray(maps, dtype=np.float32)
    if maps.ndim != 4 or maps.shape[1] < layout.outputs:
        raise ValueError(f"maps must be (N, >= {layout.outputs}, H, W), got shape {maps.shape}")
    finite = np.isfinite(maps)
    if not finite.all():
        index = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise ValueError(f"maps has a non-finite value, {maps[index]}, at {index} (N, C, H, W)")
    if top_k < 1:
        raise ValueError(f"top_k must be >= 1, got {top_k}")
    heat = maps[:, : layout.num_classes]  # (N, C, H', W')
    scores = np.where(peaks(heat), heat, -1.0).reshape(len(maps), -1)  # (N, C*H'*W')
    gh, gw = heat.shape[2:]
    s = np.float32(layout.stride)
    out = Detections([], [], [])
    for i in range(len(maps)):
        order = np.argsort(-scores[i], kind="stable")[:top_k]
        order = order[scores[i, order] >= score_threshold]
        c, rest = np.divmod(order, gh * gw)
        row, col = np.divmod(rest, gw)
        # (2, K) grid cells; an untrained net predicts negative sizes too: clamped at 0 so
        # that every box is well-formed (x2 >= x1, y2 >= y1), at worst empty
        w, h = np.maximum(maps[i, layout.size][:, row, col], np.float32(0))
        dx, dy = maps[i, layout.offset][:, row, col]
        cx, cy = (col + dx) * s, (row + dy) * s  # centre in pixels
        boxes = np.stack([cx - w * s / 2, cy - h * s / 2, cx + w * s / 2, cy + h * s / 2],
                         1).astype(np.float32).reshape(-1, 4)
        sc, labels = scores[i, order].astype(np.float32), c.astype(np.int64)
        if nms_iou is not None and len(boxes):
            keep = batched_nms(boxes, sc, labels, nms_iou)
            boxes, sc, labels = boxes[keep], sc[keep], labels[keep]
        out.boxes.append(boxes)
        out.scores.append(sc)
        out.labels.append(labels)
    return out
