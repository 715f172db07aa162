"""Figures of object detection: boxes over scenes, precision-recall curves.

- :func:`show_detections`: scenes with their ground-truth boxes (dashed, grey) and the
  detector's boxes (solid, coloured, with class and score), one panel per scene.
- :func:`plot_pr_curves`: interpolated precision-recall curves (COCO's 101 recall points), one
  line per entry, with its AP in the legend.

Images are NCHW ``(N, 1, H, W)`` (or ``(N, H, W)``); boxes ``(K, 4)`` ``(x1, y1, x2, y2)`` in
pixels with ``x2``/``y2`` exclusive (``x2 >= x1``, ``y2 >= y1``: others are refused), drawn on
the pixel edges of an ``imshow`` panel. NumPy and matplotlib only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from cnnbook.metrics._checks import check_box_list, check_label_list, check_score_list
from cnnbook.plots import style

__all__ = ["plot_pr_curves", "show_detections"]


def _box(ax: object, box: Sequence[float] | np.ndarray, colour: str, linestyle: str) -> Rectangle:
    x1, y1, x2, y2 = (float(v) for v in box)
    patch = Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False, edgecolor=colour,
                      linestyle=linestyle, linewidth=1.5)
    ax.add_patch(patch)  # type: ignore[attr-defined]
    return patch


def show_detections(images: np.ndarray, boxes: Sequence[np.ndarray],
                    labels: Sequence[np.ndarray], scores: Sequence[np.ndarray], *,
                    gt_boxes: Sequence[np.ndarray] | None = None,
                    gt_labels: Sequence[np.ndarray] | None = None,
                    score_threshold: float = 0.3, ncols: int = 4,
                    titles: Sequence[str] | None = None, title: str | None = None) -> Figure:
    """Scenes with predicted boxes (solid; ``class score`` above each) whose score is at least
    ``score_threshold``, and ground-truth boxes (dashed grey, class below) when given.

    Args:
        images: ``(N, 1, H, W)`` or ``(N, H, W)`` in ``[0, 1]``.
        boxes, labels, scores: per image, the detections ``(K_i, 4)``, ``(K_i,)``, ``(K_i,)``.
        gt_boxes, gt_labels: per image, the ground truth (optional).

    Raises:
        ValueError: one line: counts that differ, a box with its corners in the wrong order
            or a non-finite coordinate (naming ``boxes[i][k]`` or ``gt_boxes[i][k]``), a label
            that is not an integer class ``>= 0`` (naming ``labels[i]`` or ``gt_labels[i]``),
            a score that is not finite (naming ``scores[i][k]``).
    """
    imgs = np.asarray(images, dtype=float)
    if imgs.ndim == 4:
        imgs = imgs[:, 0]
    if imgs.ndim != 3:
        raise ValueError(f"images must be (N, 1, H, W) or (N, H, W), got shape {imgs.shape}")
    n = len(imgs)
    if not len(boxes) == len(labels) == len(scores) == n:
        raise ValueError(f"{n} images but {len(boxes)}, {len(labels)}, {len(scores)} "
                         "box, label and score arrays")
    if titles is not None and len(titles) != n:
        raise ValueError(f"{n} images but {len(titles)} titles")
    boxes = check_box_list(boxes, "boxes")
    labels = check_label_list(labels, "labels", None, [len(b) for b in boxes])
    scores = check_score_list(scores, "scores", [len(b) for b in boxes])
    if gt_boxes is not None:
        gt_boxes = check_box_list(gt_boxes, "gt_boxes", n)
        if gt_labels is not None:
            gt_labels = check_label_list(gt_labels, "gt_labels", None,
                                         [len(b) for b in gt_boxes])
    fig, axes = style.panel_grid(n, min(ncols, n), title=title, panel=2.2)
    for i, ax in enumerate(axes[:n]):
        style.imshow(ax, imgs[i], cmap=style.IMAGE_CMAP, vmin=0, vmax=1)
        if gt_boxes is not None:
            gl = gt_labels[i] if gt_labels is not None else [None] * len(gt_boxes[i])
            for box, lab in zip(gt_boxes[i], gl, strict=True):
                _box(ax, box, style.LIGHT_GREY, "--")
                if lab is not None:
                    ax.text(box[0], box[3] + 0.5, str(int(lab)), color=style.LIGHT_GREY,
                            fontsize=7, va="top")
        keep = scores[i] >= score_threshold
        for box, lab, sc in zip(boxes[i][keep], labels[i][keep], scores[i][keep], strict=True):
            colour = style.CYCLE[int(lab) % 7]  # the palette without black, on black scenes
            _box(ax, box, colour, "-")
            ax.text(box[0], box[1] - 0.8, f"{int(lab)} {float(sc):.2f}", color=colour,
                    fontsize=7, va="bottom")
        if titles is not None:
            ax.set_title(titles[i], fontsize=8)
    return fig


def plot_pr_curves(curves: Mapping[str, tuple[np.ndarray, np.ndarray]], *,
                   title: str | None = None) -> Figure:
    """One line per entry ``name: (recall, precision)`` (both ``(R,)``), with the area under
    the curve (the mean of the interpolated precisions: COCO's AP) in the legend."""
    if not curves:
        raise ValueError("no curve to plot")
    fig, ax = style.subplots(figsize=(5.5, 4.0))
    for i, (name, (recall, precision)) in enumerate(curves.items()):
        recall, precision = np.asarray(recall, float), np.asarray(precision, float)
        if recall.shape != precision.shape or recall.ndim != 1:
            raise ValueError(f"{name}: recall and precision must be two (R,) arrays, got "
                             f"{recall.shape} and {precision.shape}")
        ax.plot(recall, precision, color=style.CYCLE[i % len(style.CYCLE)],
                linestyle=style.LINESTYLES[i // len(style.CYCLE) % len(style.LINESTYLES)],
                drawstyle="steps-post", label=f"{name} (AP {precision.mean():.3f})")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision (interpolated)")
    ax.set_xlim(0, 1.0)
    ax.set_ylim(0, 1.02)
    ax.grid(True, color=style.LIGHT_GREY)
    ax.legend(fontsize=8, loc="lower left")
    if title:
        ax.set_title(title)
    return fig
