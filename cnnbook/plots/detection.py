"""Figures of object detection: boxes over scenes, precision-recall curves.

- :func:`show_detections`: scenes with their ground-truth boxes (dashed, grey) and the
  detector's boxes (solid, in the class's colour, with class and score), one panel per scene;
  each label sits next to its box where it overlaps no other label.
- :func:`plot_pr_curves`: interpolated precision-recall curves (COCO's 101 recall points), one
  line per entry, with its AP in the legend.

Images are NCHW ``(N, 1, H, W)`` (or ``(N, H, W)``); boxes ``(K, 4)`` ``(x1, y1, x2, y2)`` in
pixels with ``x2``/``y2`` exclusive (``x2 >= x1``, ``y2 >= y1``: others are refused), drawn on
the pixel edges of an ``imshow`` panel. NumPy and matplotlib only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from cnnbook.metrics._checks import check_box_list, check_label_list, check_score_list
from cnnbook.plots import style

__all__ = ["plot_pr_curves", "show_detections"]

LABEL_POINTS = 7  # font size of the class and score labels
GAP_POINTS = 1.5  # between a label and its box's edge, and between two labels

Spot = tuple[float, float, Literal["left", "right"], Literal["bottom", "top"]]  # x, y, ha, va


def _box(ax: object, box: Sequence[float] | np.ndarray, colour: str, linestyle: str) -> Rectangle:
    x1, y1, x2, y2 = (float(v) for v in box)
    patch = Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False, edgecolor=colour,
                      linestyle=linestyle, linewidth=1.5)
    ax.add_patch(patch)  # type: ignore[attr-defined]
    return patch


def _spots(box: Bbox, size: tuple[float, float], area: Bbox, gap: float,
           ground_truth: bool) -> list[Spot]:
    """Where a label may go, best first: ``(x, y, ha, va)`` in display pixels.

    Next to ``box`` (outside, then inside; a prediction above its box, the ground truth below),
    at the left edge, then the right; then the same places moved up or down by whole label
    heights; last, anywhere in the panel ``area``, row by row from the top.
    """
    width, height = size
    left, right, bottom, top = box.x0, box.x1, box.y0, box.y1
    above: list[Spot] = [
        (left, top + gap, "left", "bottom"), (left + gap, top - gap, "left", "top"),
        (right, top + gap, "right", "bottom"), (right - gap, top - gap, "right", "top")]
    below: list[Spot] = [
        (left, bottom - gap, "left", "top"), (left + gap, bottom + gap, "left", "bottom"),
        (right, bottom - gap, "right", "top"), (right - gap, bottom + gap, "right", "bottom")]
    spots = below + above if ground_truth else above + below
    near = list(spots)
    step = height + gap
    for k in range(1, int(area.height / step) + 2):
        for x, y, ha, va in near:
            spots += [(x, y + k * step, ha, va), (x, y - k * step, ha, va)]
    for y in np.arange(area.y1 - gap, area.y0 + height, -step):
        for x in np.arange(area.x0 + gap, area.x1 - width, max(width / 4, 1.0)):
            spots.append((float(x), float(y), "left", "top"))
    return spots


def _free(spots: list[Spot], size: tuple[float, float], area: Bbox, taken: list[Bbox],
          margin: float) -> int | None:
    """The index of the first spot whose label lies inside ``area`` and at least ``margin``
    away from every extent in ``taken``; ``None`` when there is none."""
    width, height = size
    x0 = np.array([x - width if ha == "right" else x for x, _, ha, _ in spots])
    y0 = np.array([y - height if va == "top" else y for _, y, _, va in spots])
    x1, y1 = x0 + width, y0 + height
    ok = ((x0 >= area.x0 - 0.5) & (x1 <= area.x1 + 0.5)
          & (y0 >= area.y0 - 0.5) & (y1 <= area.y1 + 0.5))
    if taken:
        other = np.array([b.extents for b in taken])  # (T, 4): x0, y0, x1, y1
        apart = ((x1[:, None] + margin <= other[None, :, 0])
                 | (other[None, :, 2] + margin <= x0[:, None])
                 | (y1[:, None] + margin <= other[None, :, 1])
                 | (other[None, :, 3] + margin <= y0[:, None]))
        ok &= apart.all(axis=1)
    found = np.flatnonzero(ok)
    return int(found[0]) if found.size else None


def _place_labels(fig: Figure, labels: Sequence[tuple[Axes, Text, Bbox, bool]]) -> None:
    """Move each label next to its box, in order, where it overlaps no label placed before it.

    ``labels`` are ``(axes, text, box in data coordinates, is ground truth)``. The figure's
    layout is computed first and then kept (the labels stay inside their panels, so it has no
    reason to change), so the places found are where the labels are drawn. A label that finds
    no free place in its panel is hidden rather than drawn over another.
    """
    if not labels:
        return
    fig.draw_without_rendering()  # lay the panels out, as drawing will
    fig.set_layout_engine("none")  # ... and keep that layout
    gap = GAP_POINTS * fig.dpi / 72
    placed: dict[int, list[Bbox]] = {}
    for ax, text, box, ground_truth in labels:
        area = ax.get_window_extent()
        taken = placed.setdefault(id(ax), [])
        shown = text.get_window_extent()
        size = (shown.width, shown.height)
        corners = ax.transData.transform([[box.x0, box.y0], [box.x1, box.y1]])
        spots = _spots(Bbox.from_extents(*corners.min(0), *corners.max(0)), size, area, gap,
                       ground_truth)
        chosen = _free(spots, size, area, taken, gap / 2)
        if chosen is None:
            text.set_visible(False)
            continue
        x, y, ha, va = spots[chosen]
        data_x, data_y = ax.transData.inverted().transform((x, y))
        text.set_position((float(data_x), float(data_y)))
        text.set_horizontalalignment(ha)
        text.set_verticalalignment(va)
        taken.append(text.get_window_extent())


def show_detections(images: np.ndarray, boxes: Sequence[np.ndarray],
                    labels: Sequence[np.ndarray], scores: Sequence[np.ndarray], *,
                    gt_boxes: Sequence[np.ndarray] | None = None,
                    gt_labels: Sequence[np.ndarray] | None = None,
                    score_threshold: float = 0.3, ncols: int = 4,
                    titles: Sequence[str] | None = None, title: str | None = None) -> Figure:
    """Scenes with predicted boxes (solid; ``class score`` above each) whose score is at least
    ``score_threshold``, and ground-truth boxes (dashed grey, class below) when given.

    A predicted box and its label have the class's colour (``style.class_colour``). Labels
    never overlap: one whose place is taken moves (inside its box, to its other side or edge,
    or up or down; the higher scores are placed first), and the figure's layout is fixed once
    they are placed.

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
    outline = [patheffects.withStroke(linewidth=1.5, foreground="black")]  # legible over ink
    pending: list[tuple[Axes, Text, Bbox, bool]] = []  # placed once the layout is known
    for i, ax in enumerate(axes[:n]):
        style.imshow(ax, imgs[i], cmap=style.IMAGE_CMAP, vmin=0, vmax=1)
        truth: list[tuple[Axes, Text, Bbox, bool]] = []
        if gt_boxes is not None:
            gl = gt_labels[i] if gt_labels is not None else [None] * len(gt_boxes[i])
            for box, lab in zip(gt_boxes[i], gl, strict=True):
                patch = _box(ax, box, style.LIGHT_GREY, "--")
                if lab is not None:
                    text = ax.text(box[0], box[3] + 0.5, str(int(lab)), color=style.LIGHT_GREY,
                                   fontsize=LABEL_POINTS, va="top", in_layout=False,
                                   path_effects=outline)
                    truth.append((ax, text, patch.get_bbox(), True))
        keep = scores[i] >= score_threshold
        kept = sorted(zip(boxes[i][keep], labels[i][keep], scores[i][keep], strict=True),
                      key=lambda found: -float(found[2]))
        for box, lab, sc in kept:
            colour = style.class_colour(int(lab))
            patch = _box(ax, box, colour, "-")
            text = ax.text(box[0], box[1] - 0.8, f"{int(lab)} {float(sc):.2f}", color=colour,
                           fontsize=LABEL_POINTS, va="bottom", in_layout=False,
                           path_effects=outline)
            pending.append((ax, text, patch.get_bbox(), False))
        pending.extend(truth)
        if titles is not None:
            ax.set_title(titles[i], fontsize=8)
    _place_labels(fig, pending)
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
