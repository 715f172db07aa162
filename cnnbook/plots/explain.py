"""Figures for what a network learned (the maps come from :mod:`cnnbook.explain`).

- :func:`show_attributions`: images in rows, one explanation method per column, each map laid
  over its image, one colour bar for all (each map scaled to its own maximum).
- :func:`show_top_patches`: the top-activating patches of several channels, a row per channel.
- :func:`show_colour_filters`: first-layer RGB filters as colour pictures on one scale centred at
  zero (grey is 0), with the colour bar of that scale. Single-channel kernels:
  :func:`cnnbook.plots.show_kernels`.
- :func:`plot_feature_space`: 2-D projections (e.g. PCA) of several layers' features, one panel
  per layer, points coloured (and shaped) by class.

NumPy and matplotlib only; every figure comes from :mod:`cnnbook.plots.style`. Images and
patches are NCHW ``(N, C, H, W)`` / ``(C, h, w)`` or NHWC ``(N, H, W, C)`` / ``(h, w, C)``, named
by ``layout``; maps are ``(N, H, W)`` at the images' resolution.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure

from cnnbook.plots import style

__all__ = ["plot_feature_space", "show_attributions", "show_colour_filters",
           "show_top_patches"]

OVERLAY_CMAP = "inferno"  # sequential, perceptually uniform, readable over a grey image
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")  # a second cue besides colour


def _pictures(images: Any, layout: str) -> np.ndarray:
    """``(N, H, W)`` or ``(N, H, W, 3)`` in [0, 1] for drawing (uint8 scaled by 255)."""
    pictures = style.to_channels_last(images, layout)
    if pictures.dtype == np.uint8:
        return pictures.astype(np.float32) / 255.0
    return np.clip(pictures.astype(np.float32), 0.0, 1.0)


def _draw_picture(ax: Any, picture: np.ndarray) -> Any:
    if picture.ndim == 2:
        return style.imshow(ax, picture, cmap=style.IMAGE_CMAP, vmin=0.0, vmax=1.0)
    return style.imshow(ax, picture)


def show_attributions(
    images: Any,
    maps: Mapping[str, Any],
    *,
    layout: str = "NCHW",
    row_labels: Sequence[str] | None = None,
    alpha: float = 0.6,
    title: str | None = None,
    panel: float = 1.6,
) -> Figure:
    """Each image (a row) beside its explanation maps (a column per method), laid over it.

    Args:
        images: ``(N, C, H, W)``, ``(N, H, W, C)`` or ``(N, H, W)``, uint8 or floats in [0, 1].
        maps: ``{method: (N, H, W)}`` non-negative maps at the images' size (resize a Grad-CAM
            with :func:`cnnbook.explain.resize`; take ``|saliency|``). Each map is divided by its
            own maximum, so a colour means "this fraction of the map's strongest pixel": maps of
            different methods have different units, and only their patterns compare.
        row_labels: one label per image (e.g. ``"true cat, said dog"``).
        alpha: opacity of the map over the image.
    """
    pictures = _pictures(images, layout)
    grids = {name: np.asarray(m, dtype=np.float64) for name, m in maps.items()}
    if not grids:
        raise ValueError("nothing to show: got no maps")
    for name, m in grids.items():
        if m.shape != pictures.shape[:3]:
            raise ValueError(f"map {name!r} has shape {m.shape}, the images need "
                             f"{pictures.shape[:3]} (N, H, W)")
        if (m < 0).any():
            raise ValueError(f"map {name!r} has negative values: pass |map| or a ReLU'd map")
    if row_labels is not None and len(row_labels) != len(pictures):
        raise ValueError(f"got {len(row_labels)} row labels for {len(pictures)} images")
    nrows, ncols = len(pictures), 1 + len(grids)
    fig, axes = style.subplots(nrows, ncols, figsize=(panel * ncols + 0.8, panel * nrows + 0.4),
                               squeeze=False)
    norm = Normalize(vmin=0.0, vmax=1.0)
    for r, picture in enumerate(pictures):
        _draw_picture(axes[r, 0], picture)
        for c, m in enumerate(grids.values(), start=1):
            grey = picture if picture.ndim == 2 else picture.mean(axis=-1)
            _draw_picture(axes[r, c], grey)
            top = m[r].max()
            scaled = m[r] / top if top > 0 else np.zeros_like(m[r])
            style.imshow(axes[r, c], scaled, cmap=OVERLAY_CMAP, norm=norm, alpha=alpha)
        for ax in axes[r]:
            style.no_ticks(ax)
        if row_labels is not None:
            axes[r, 0].set_ylabel(row_labels[r], fontsize=8)
    for c, name in enumerate(["image", *grids]):
        axes[0, c].set_title(name, fontsize=9)
    style.colorbar(fig, ScalarMappable(norm=norm, cmap=OVERLAY_CMAP), list(axes[:, 1:].ravel()),
                   label="fraction of the map's maximum")
    if title:
        fig.suptitle(title)
    return fig


def show_top_patches(
    rows: Sequence[Sequence[Any]],
    *,
    layout: str = "NCHW",
    row_labels: Sequence[str] | None = None,
    title: str | None = None,
    panel: float = 0.75,
) -> Figure:
    """Top-activating patches, one row per channel, best first (e.g. ``TopPatches.patches``).

    Args:
        rows: a sequence of rows, each a sequence of patches ``(C, h, w)`` (NCHW) or
            ``(h, w, C)`` (NHWC), ``C`` 1 or 3, uint8 or floats in [0, 1]. Grey patches are drawn
            on the fixed scale [0, 1] (black 0, white 1), so patches compare across rows.
        row_labels: one label per row (e.g. ``"ch 7"``).
    """
    if not rows or not all(len(row) for row in rows):
        raise ValueError("nothing to show: every row needs at least one patch")
    if row_labels is not None and len(row_labels) != len(rows):
        raise ValueError(f"got {len(row_labels)} row labels for {len(rows)} rows")
    ncols = max(len(row) for row in rows)
    fig, axes = style.subplots(len(rows), ncols, squeeze=False,
                               figsize=(panel * ncols + 0.5, panel * len(rows) + 0.4))
    for r, row in enumerate(rows):
        pictures = _pictures(np.stack([np.asarray(p) for p in row]), layout)
        for c, ax in enumerate(axes[r]):
            style.no_ticks(ax)
            if c < len(pictures):
                _draw_picture(ax, pictures[c])
            else:
                ax.set_visible(False)
        if row_labels is not None:
            axes[r, 0].set_ylabel(row_labels[r], fontsize=8, rotation=0, ha="right",
                                  va="center")
    if title:
        fig.suptitle(title)
    return fig


FILTER_CMAP = LinearSegmentedColormap.from_list("filter_grey", ["black", "#808080", "white"])


def show_colour_filters(
    w: Any,
    *,
    ncols: int = 8,
    limit: float | None = None,
    title: str | None = None,
    panel: float = 0.8,
) -> Figure:
    """RGB convolution kernels OIHW ``(C_out, 3, kH, kW)`` as colour pictures, one scale.

    Each weight ``v`` becomes the intensity ``0.5 + 0.5 * v / m`` of its colour channel, with
    ``m`` the largest ``|weight|`` of all filters (or ``limit``): grey is 0 in every channel,
    a pure colour is a filter that weighs that channel positively, its complement negatively. The
    colour bar shows that one scale for a single channel (black ``-m``, grey 0, white ``+m``).
    """
    w = np.asarray(w, dtype=np.float64)
    if w.ndim != 4 or w.shape[1] != 3:
        raise ValueError(f"colour filters must be OIHW (C_out, 3, kH, kW), got shape {w.shape}")
    norm = style.signed_norm(w, limit=limit)
    m = float(norm.vmax or 1.0)  # signed_norm sets vmax (> 0)
    pictures = np.clip(0.5 + 0.5 * w.transpose(0, 2, 3, 1) / m, 0.0, 1.0)  # (C_out, kH, kW, 3)
    fig, axes = style.panel_grid(len(pictures), ncols, title=title, panel=panel)
    for i, (ax, picture) in enumerate(zip(axes, pictures, strict=True)):
        style.imshow(ax, picture)
        ax.set_title(str(i), fontsize=7)
    style.colorbar(fig, ScalarMappable(norm=norm, cmap=FILTER_CMAP), axes,
                   label="weight (each colour channel)")
    return fig


def plot_feature_space(
    points: Mapping[str, Any],
    labels: Any,
    *,
    class_names: Sequence[str] | None = None,
    xlabel: str = "PC 1",
    ylabel: str = "PC 2",
    notes: Mapping[str, str] | None = None,
    title: str | None = None,
    size: float = 3.0,
) -> Figure:
    """2-D points of several layers (a panel each), coloured and shaped by class.

    Class ``c`` has the book's class colour ``style.class_colour(c)`` and marker ``MARKERS[c]``
    (both repeat after ten classes).

    Args:
        points: ``{layer: (N, 2)}``, the same ``N`` images in every panel (e.g. the ``points`` of
            :func:`cnnbook.explain.pca` for each layer's features).
        labels: ``(N,)`` integer classes.
        class_names: one name per class, for the legend (default: the class numbers).
        notes: ``{layer: text}`` written under a panel's title (e.g. a measured statistic).
        size: inches per panel.
    """
    labels = np.asarray(labels, dtype=int)
    panels = {name: np.asarray(p, dtype=np.float64) for name, p in points.items()}
    if not panels:
        raise ValueError("nothing to show: got no layers")
    for name, p in panels.items():
        if p.shape != (len(labels), 2):
            raise ValueError(f"{name!r}: points must be ({len(labels)}, 2), got {p.shape}")
    classes = np.unique(labels)
    names = list(class_names) if class_names is not None else [str(c) for c in classes]
    if len(names) <= classes.max():
        raise ValueError(f"got {len(names)} class names for classes up to {classes.max()}")
    fig, axes = style.subplots(1, len(panels), squeeze=False,
                               figsize=(size * len(panels) + 1.6, size + 0.5))
    for ax, (name, p) in zip(axes[0], panels.items(), strict=True):
        for c in classes:
            chosen = labels == c
            ax.scatter(p[chosen, 0], p[chosen, 1], s=6, alpha=0.7, linewidths=0,
                       color=style.class_colour(c), marker=MARKERS[c % len(MARKERS)],
                       label=names[c])
        heading = name if not notes or name not in notes else f"{name}\n{notes[name]}"
        ax.set_title(heading, fontsize=9)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.set_ylabel(ylabel, fontsize=8)
        ax.tick_params(labelsize=7)
    handles, texts = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, texts, loc="outside right center", fontsize=8, markerscale=2.0,
               frameon=False)
    if title:
        fig.suptitle(title)
    return fig
