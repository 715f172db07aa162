"""Image grids with matplotlib: dataset samples, convolution kernels and feature maps (NumPy only).

Every function returns the :class:`matplotlib.figure.Figure` it drew (it never calls
``plt.show()``), made by :mod:`cnnbook.plots.style`: white background, the book's DPI, and
colour-blind-safe maps: ``gray`` for images, ``PuOr`` centred at 0 (with a colour bar) for signed
data such as kernel weights, ``cividis`` for non-negative activations.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from cnnbook.plots import style

__all__ = ["show_images", "show_kernels", "show_feature_maps"]

DPI = style.DPI
PANEL_INCHES = style.PANEL_INCHES
ANNOTATE_MAX_CELLS = 25  # show_kernels writes the values of kernels up to 5x5 ...
ANNOTATE_MAX_PANELS = 16  # ... when there are at most this many panels


def _finish(fig: Figure, axes: Sequence[Axes], titles: Sequence[str] | None,
            fontsize: float) -> Figure:
    if titles is not None:
        if len(titles) != len(axes):
            raise ValueError(f"got {len(titles)} titles for {len(axes)} panels")
        for ax, name in zip(axes, titles, strict=True):
            ax.set_title(name, fontsize=fontsize)
    return fig


def show_images(
    images: np.ndarray,
    labels: Sequence[int] | np.ndarray | None = None,
    *,
    class_names: Sequence[str] | None = None,
    ncols: int = 8,
    title: str | None = None,
    cmap: str = style.IMAGE_CMAP,
    layout: str = "NHWC",
    titles: Sequence[str] | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """A grid of images, optionally titled with their labels (or class names, or ``titles``).

    Args:
        images: ``(N, H, W)`` grey images; ``(N, H, W, C)`` with ``layout="NHWC"`` (the default:
            the loaders, Keras, e.g. CIFAR-10 as uint8); or ``(N, C, H, W)`` with
            ``layout="NCHW"`` as torch tensors come. ``C`` is 1 or 3. uint8 is shown as 0..255;
            colour floats must lie in [0, 1]; grey floats are scaled per image.
        labels: ``(N,)`` integer labels shown above each panel.
        class_names: names indexed by label, e.g. ``["airplane", ...]``.
        cmap: colour map for grey images.
        layout: ``"NHWC"`` or ``"NCHW"``.
        titles: one title per panel (instead of the labels).
        figsize: ``(width, height)`` in inches; default 1.3 inches per panel.
    """
    pictures = style.to_channels_last(images, layout)  # (N, H, W) or (N, H, W, 3)
    if labels is not None and len(labels) != len(pictures):
        raise ValueError(f"got {len(labels)} labels for {len(pictures)} images")
    fig, axes = style.panel_grid(len(pictures), ncols, title=title, figsize=figsize)
    for i, ax in enumerate(axes):
        picture = pictures[i]
        if picture.ndim == 2:
            vrange = (0, 255) if picture.dtype == np.uint8 else (None, None)
            style.imshow(ax, picture, cmap=cmap, vmin=vrange[0], vmax=vrange[1])
        else:
            style.imshow(ax, picture if picture.dtype == np.uint8 else np.clip(picture, 0, 1))
        if labels is not None:
            label = int(labels[i])
            ax.set_title(class_names[label] if class_names is not None else str(label), fontsize=9)
    return _finish(fig, axes, titles, fontsize=10)


def _draw_maps(fig: Figure, axes: Sequence[Axes], panels: np.ndarray, *, cmap: str,
               shared: Normalize | None, signed: bool, annotate: bool,
               colorbar_label: str | None) -> None:
    """Draw ``(P, H, W)`` ``panels``, on one ``shared`` scale or each on its own."""
    image = None
    # One number format and font size for every panel of the figure.
    fmt, size = style.cell_text_style(axes[0], panels) if annotate and len(axes) else ("", 0.0)
    for ax, panel in zip(axes, panels, strict=True):
        norm = shared or (style.signed_norm(panel) if signed else None)
        image = style.imshow(ax, panel, cmap=cmap, norm=norm)
        if annotate:
            style.annotate_cells(ax, panel, cmap=cmap, norm=norm or style.shared_norm(panel),
                                 fmt=fmt, fontsize=size)
    if colorbar_label is not None and image is not None:
        style.colorbar(fig, image, axes, label=colorbar_label)


def show_kernels(
    w: np.ndarray,
    *,
    title: str | None = None,
    ncols: int = 8,
    annotate: bool | None = None,
    titles: Sequence[str] | None = None,
    figsize: tuple[float, float] | None = None,
    limit: float | None = None,
) -> Figure:
    """Convolution kernels, OIHW ``(C_out, C_in, kH, kW)``, in ``PuOr`` centred at 0.

    Single-input-channel kernels (``C_in == 1``) get one panel per output channel; otherwise one
    panel per (output, input) pair, titled ``"o,i"``. All panels share one scale ``[-m, m]`` (``m``
    the largest ``|weight|``, or ``limit`` to compare figures), shown by one colour bar.

    Args:
        w: OIHW weights (Keras' HWIO kernels: ``w.transpose(3, 2, 0, 1)``).
        annotate: write each weight in its cell; by default when kernels have at most 25 weights
            (5x5) and there are at most 16 panels.
        titles: one title per panel instead of ``"o"`` / ``"o,i"``.
        figsize: ``(width, height)`` in inches; default 1.3 inches per panel.
    """
    w = np.asarray(w, dtype=float)
    if w.ndim != 4:
        raise ValueError(f"kernels must be 4-D OIHW (C_out, C_in, kH, kW), got shape {w.shape}")
    c_out, c_in = w.shape[:2]
    panels = w.reshape(c_out * c_in, *w.shape[2:])  # (C_out * C_in, kH, kW)
    names = [str(o) if c_in == 1 else f"{o},{i}" for o in range(c_out) for i in range(c_in)]
    if annotate is None:
        small = w.shape[2] * w.shape[3] <= ANNOTATE_MAX_CELLS
        annotate = small and len(panels) <= ANNOTATE_MAX_PANELS
    columns = c_in if 1 < c_in <= ncols else ncols  # one row per output channel when it fits
    fig, axes = style.panel_grid(len(panels), columns, title=title, figsize=figsize)
    for ax, name in zip(axes, names, strict=True):
        ax.set_title(name, fontsize=8)
    _draw_maps(fig, axes, panels, cmap=style.DIVERGING_CMAP, signed=True, annotate=annotate,
               shared=style.signed_norm(w, limit=limit), colorbar_label="weight")
    return _finish(fig, axes, titles, fontsize=9)


def show_feature_maps(
    maps: np.ndarray,
    *,
    title: str | None = None,
    ncols: int = 8,
    cmap: str | None = None,
    signed: bool = False,
    shared_scale: bool | None = None,
    colorbar: bool | None = None,
    annotate: bool = False,
    titles: Sequence[str] | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Activations of one image, ``(C, H, W)`` or ``(1, C, H, W)`` (NCHW): one panel per channel.

    Args:
        maps: the feature maps; Keras gives NHWC ``(1, H, W, C)``: pass
            ``maps.transpose(0, 3, 1, 2)``.
        cmap: default ``cividis`` (dark low, yellow high), or ``PuOr`` when ``signed``.
        signed: signed data (e.g. before ReLU): diverging colours, white at 0.
        shared_scale: one colour scale for all panels, so that they compare; default: when
            ``signed``. Otherwise each panel spans its own range (shows each map's pattern).
        colorbar: draw one colour bar (needs the shared scale); default: when the scale is shared.
        annotate: write each value in its cell (for small maps, e.g. after pooling).
        titles: one title per channel instead of its index.
        figsize: ``(width, height)`` in inches; default 1.3 inches per panel.
    """
    maps = np.asarray(maps)
    if maps.ndim == 4:
        if maps.shape[0] != 1:
            raise ValueError(
                f"feature maps must be for one image, (1, C, H, W), got shape {maps.shape}")
        maps = maps[0]  # (C, H, W)
    if maps.ndim != 3:
        raise ValueError(f"feature maps must be (C, H, W) or (1, C, H, W), got shape {maps.shape}")
    shared_scale = signed if shared_scale is None else shared_scale
    colorbar = shared_scale if colorbar is None else colorbar
    if colorbar and not shared_scale:
        raise ValueError("a colour bar needs one scale for all panels: pass shared_scale=True")
    cmap = cmap or (style.DIVERGING_CMAP if signed else style.SEQUENTIAL_CMAP)
    shared = None
    if shared_scale:
        shared = style.signed_norm(maps) if signed else style.shared_norm(maps)
    fig, axes = style.panel_grid(len(maps), ncols, title=title, figsize=figsize)
    for channel, ax in enumerate(axes):
        ax.set_title(str(channel), fontsize=8)
    _draw_maps(fig, axes, maps, cmap=cmap, shared=shared, signed=signed, annotate=annotate,
               colorbar_label="activation" if colorbar else None)
    return _finish(fig, axes, titles, fontsize=9)
