"""Free-form panels of 2-D arrays: :func:`show_panels` (a row or a grid, sizes may differ, on
shared or separate scales) and :func:`show_heatmap` (one map with a colour bar and a box).

For the figures that :func:`cnnbook.plots.show_images` cannot draw: maps of different sizes at one
pixel scale, the same stage of a pipeline compared across rows, a sensitivity map. NumPy and
matplotlib only; every figure comes from :mod:`cnnbook.plots.style`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from cnnbook.plots import style

__all__ = ["show_panels", "show_heatmap"]

SCALES = ("each", "shared", "column", "row")


def _rows(panels: Any) -> list[list[np.ndarray]]:
    """A flat sequence of panels -> one row; a sequence of lists (or an (R, C, H, W) array) -> a
    grid of R rows."""
    if isinstance(panels, np.ndarray) and panels.ndim == 2:
        panels = [panels]
    items = list(panels)
    if not items:
        raise ValueError("nothing to show: got 0 panels")
    nested = (isinstance(panels, np.ndarray) and panels.ndim == 4) or isinstance(
        items[0], (list, tuple))
    grid = [[np.asarray(p) for p in row] for row in items] if nested else [
        [np.asarray(p) for p in items]]
    ncols = len(grid[0])
    for row in grid:
        if len(row) != ncols:
            raise ValueError(f"every row needs {ncols} panels, got a row of {len(row)}")
        for p in row:
            if p.ndim != 2 and not (p.ndim == 3 and p.shape[-1] == 3):
                raise ValueError(f"each panel must be (H, W) or (H, W, 3), got shape {p.shape}")
    return grid


def _norms(grid: list[list[np.ndarray]], scale: str, signed: bool) -> dict[tuple[int, int], Any]:
    """The colour scale of each panel, by (row, column): a Normalize, or None for imshow's own."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
    make = style.signed_norm if signed else style.shared_norm
    cells = [(r, c) for r in range(len(grid)) for c in range(len(grid[0]))]
    if scale == "shared":
        norm = make([p for row in grid for p in row])
        return dict.fromkeys(cells, norm)
    if scale == "column":
        columns = [make([row[c] for row in grid]) for c in range(len(grid[0]))]
        return {(r, c): columns[c] for r, c in cells}
    if scale == "row":
        rows = [make(row) for row in grid]
        return {(r, c): rows[r] for r, c in cells}
    return {(r, c): make(grid[r][c]) if signed else None for r, c in cells}


def show_panels(
    panels: Any,
    *,
    titles: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    row_labels: Sequence[str] | None = None,
    cmap: str | Sequence[str] | None = None,
    scale: str = "each",
    signed: bool = False,
    colorbar: bool = False,
    same_pixels: bool = False,
    title: str | None = None,
    panel: float = 2.4,
) -> Figure:
    """2-D arrays side by side (one sequence) or as a grid (a sequence of rows).

    Args:
        panels: ``(H, W)`` arrays (or ``(H, W, 3)`` colour images in [0, 1]); sizes may differ.
            A list (or an ``(N, H, W)`` array) is one row; a list of lists (or an
            ``(R, C, H, W)`` array) is a grid of ``R`` rows. Pass colour images in lists.
        titles: one title per panel, row by row.
        col_labels, row_labels: titles over the top row; labels left of each row.
        cmap: one colour map, or one per column; default ``gray``, or ``PuOr`` when ``signed``.
        scale: ``"each"`` panel its own range, or one range ``"shared"`` by all, per
            ``"column"`` or per ``"row"`` (equal colours mean equal values within it).
        signed: signed data: diverging colours, each range centred at 0.
        colorbar: one colour bar per range: with ``scale="each"``, one beside every panel.
        same_pixels: one pixel scale for all panels (axes in pixels, shared), to compare sizes.
        panel: inches per panel.
    """
    grid = _rows(panels)
    nrows, ncols = len(grid), len(grid[0])
    cmaps = [cmap or (style.DIVERGING_CMAP if signed else style.IMAGE_CMAP)] * ncols \
        if cmap is None or isinstance(cmap, str) else list(cmap)
    if len(cmaps) != ncols:
        raise ValueError(f"got {len(cmaps)} colour maps for {ncols} columns")
    if titles is not None and len(titles) != nrows * ncols:
        raise ValueError(f"got {len(titles)} titles for {nrows * ncols} panels")
    norms = _norms(grid, scale, signed)
    fig, axes = style.subplots(nrows, ncols, figsize=(panel * ncols, panel * nrows + 0.4),
                               squeeze=False, sharex=same_pixels, sharey=same_pixels)
    images: dict[int, tuple[Any, list[Axes]]] = {}  # id(norm) -> (an image, the axes it spans)
    for (r, c), norm in norms.items():
        ax, data = axes[r, c], grid[r][c]
        extent = (0, data.shape[1], data.shape[0], 0) if same_pixels else None
        image = style.imshow(ax, data, cmap=cmaps[c], norm=norm, extent=extent)
        if not same_pixels:
            style.no_ticks(ax)
        if titles is not None:
            ax.set_title(titles[r * ncols + c], fontsize=10)
        if col_labels is not None and r == 0:
            ax.set_title(col_labels[c], fontsize=10)
        if row_labels is not None and c == 0:
            ax.set_ylabel(row_labels[r], fontsize=10)
        images.setdefault(id(norm) if norm is not None else id(ax), (image, []))[1].append(ax)
    if colorbar:
        for image, group in images.values():
            style.colorbar(fig, image, group, location="bottom" if scale == "column" else "right")
    if same_pixels:
        for ax in axes[-1]:
            ax.set_xlabel("column")
        if row_labels is None:
            axes[0, 0].set_ylabel("row")
    if title:
        fig.suptitle(title)
    return fig


def show_heatmap(
    values: Any,
    *,
    box: tuple[int, int] | tuple[int, int, int, int] | None = None,
    title: str | None = None,
    label: str | None = None,
    cmap: str | None = None,
    signed: bool = False,
    xlabel: str = "input column",
    ylabel: str = "input row",
    figsize: tuple[float, float] = (5.0, 4.2),
) -> Figure:
    """One ``(H, W)`` map with a colour bar, e.g. how much a unit depends on each input pixel.

    Args:
        values: the ``(H, W)`` map, drawn with ``cividis`` (or centred ``PuOr`` when ``signed``).
        box: pixels to outline, dashed: ``(first, last)`` for the same rows and columns, or
            ``(row_first, row_last, col_first, col_last)``, inclusive (e.g. a receptive field).
        label: the colour bar's label.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 2:
        raise ValueError(f"a heat map must be (H, W), got shape {values.shape}")
    norm: Normalize = style.signed_norm(values) if signed else style.shared_norm(values)
    cmap = cmap or (style.DIVERGING_CMAP if signed else style.SEQUENTIAL_CMAP)
    fig, ax = style.subplots(figsize=figsize)
    image = style.imshow(ax, values, cmap=cmap, norm=norm)
    if box is not None:
        rows, cols = (box[:2], box[2:]) if len(box) == 4 else (box, box)
        style.outline(ax, (rows[0], rows[1]), (cols[0], cols[1]),
                      colour=style.BLACK if signed else "white", linestyle="--", linewidth=1.5)
    style.colorbar(fig, image, ax, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    return fig
