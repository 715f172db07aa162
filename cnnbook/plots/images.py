"""Image grids with matplotlib: dataset samples, convolution kernels and feature maps (NumPy only).

Every function returns the :class:`matplotlib.figure.Figure` it drew (it never calls
``plt.show()``), on a white background so the figures read in the book's dark mode, at a small dpi
to keep notebooks light, with colour-blind-safe maps: ``gray`` for images, ``PuOr`` centred at 0 for
signed kernel weights, ``cividis`` for activations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

__all__ = ["show_images", "show_kernels", "show_feature_maps"]

DPI = 80
PANEL_INCHES = 1.3


def _grid(count: int, ncols: int, title: str | None, panel: float = PANEL_INCHES):
    """A white figure with ``count`` tick-less panels, ``ncols`` per row; extra axes hidden."""
    if count < 1:
        raise ValueError("nothing to show: got 0 panels")
    if ncols < 1:
        raise ValueError(f"ncols must be >= 1, got {ncols}")
    ncols = min(ncols, count)
    nrows = math.ceil(count / ncols)
    extra = 0.35 if title else 0.0
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(panel * ncols, panel * nrows + extra),
        dpi=DPI,
        squeeze=False,
        facecolor="white",
    )
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return fig, axes.flat[:count]


def _to_nhwc(images: np.ndarray, layout: str) -> np.ndarray:
    """``(N, H, W)``, ``(N, H, W, C)`` or (``layout="nchw"``) ``(N, C, H, W)`` -> NHW or NHWC."""
    images = np.asarray(images)
    if layout not in ("auto", "nhwc", "nchw"):
        raise ValueError(f"layout must be 'auto', 'nhwc' or 'nchw', got {layout!r}")
    if images.ndim == 3:
        return images  # (N, H, W)
    if images.ndim != 4:
        raise ValueError(
            f"images must be (N, H, W), (N, H, W, C) or (N, C, H, W), got shape {images.shape}"
        )
    if layout == "nchw":
        images = images.transpose(0, 2, 3, 1)  # (N, H, W, C)
    if images.shape[-1] == 1:
        return images[..., 0]  # (N, H, W)
    if images.shape[-1] != 3:
        hint = " (pass layout='nchw' for channels-first arrays)" if layout != "nchw" else ""
        raise ValueError(f"colour images need 1 or 3 channels last, got shape {images.shape}{hint}")
    return images  # (N, H, W, 3)


def show_images(
    images: np.ndarray,
    labels: Sequence[int] | np.ndarray | None = None,
    *,
    class_names: Sequence[str] | None = None,
    ncols: int = 8,
    title: str | None = None,
    cmap: str = "gray",
    layout: str = "auto",
) -> Figure:
    """A grid of images, optionally titled with their labels (or class names).

    Args:
        images: ``(N, H, W)`` grey images, ``(N, H, W, C)`` (NHWC, e.g. CIFAR-10 as uint8) or, with
            ``layout="nchw"``, ``(N, C, H, W)`` as torch tensors come. uint8 is shown as 0..255;
            colour floats must lie in [0, 1]; grey floats are scaled per image.
        labels: ``(N,)`` integer labels shown above each panel.
        class_names: names indexed by label, e.g. ``["airplane", ...]``.
        cmap: colour map for grey images.
    """
    pictures = _to_nhwc(images, layout)  # (N, H, W) or (N, H, W, 3)
    if labels is not None and len(labels) != len(pictures):
        raise ValueError(f"got {len(labels)} labels for {len(pictures)} images")
    fig, axes = _grid(len(pictures), ncols, title)
    for i, ax in enumerate(axes):
        picture = pictures[i]
        if picture.ndim == 2:
            vrange = (0, 255) if picture.dtype == np.uint8 else (None, None)
            ax.imshow(picture, cmap=cmap, vmin=vrange[0], vmax=vrange[1])
        else:
            ax.imshow(picture if picture.dtype == np.uint8 else np.clip(picture, 0, 1))
        if labels is not None:
            label = int(labels[i])
            ax.set_title(class_names[label] if class_names is not None else str(label), fontsize=9)
    return fig


def show_kernels(w: np.ndarray, *, title: str | None = None, ncols: int = 8) -> Figure:
    """Convolution kernels, OIHW ``(C_out, C_in, kH, kW)``, in ``PuOr`` centred at 0.

    Single-input-channel kernels (``C_in == 1``) get one panel per output channel; otherwise one
    panel per (output, input) pair, titled ``"o,i"``. One colour bar shows the common scale.
    """
    w = np.asarray(w, dtype=float)
    if w.ndim != 4:
        raise ValueError(f"kernels must be 4-D OIHW (C_out, C_in, kH, kW), got shape {w.shape}")
    c_out, c_in = w.shape[:2]
    panels = w.reshape(c_out * c_in, *w.shape[2:])  # (C_out * C_in, kH, kW)
    names = [str(o) if c_in == 1 else f"{o},{i}" for o in range(c_out) for i in range(c_in)]
    limit = float(np.abs(w).max()) or 1.0  # symmetric colour range: white means 0
    columns = c_in if 1 < c_in <= ncols else ncols  # one row per output channel when it fits
    fig, axes = _grid(len(panels), columns, title)
    image = None
    for ax, kernel, name in zip(axes, panels, names, strict=True):
        image = ax.imshow(kernel, cmap="PuOr", vmin=-limit, vmax=limit)
        ax.set_title(name, fontsize=8)
    fig.colorbar(image, ax=list(axes), shrink=0.8, label="weight")
    return fig


def show_feature_maps(
    maps: np.ndarray, *, title: str | None = None, ncols: int = 8, cmap: str = "cividis"
) -> Figure:
    """Activations of one image, ``(C, H, W)`` or ``(1, C, H, W)``: one panel per channel."""
    maps = np.asarray(maps)
    if maps.ndim == 4:
        if maps.shape[0] != 1:
            raise ValueError(
                f"feature maps must be for one image, (1, C, H, W), got shape {maps.shape}"
            )
        maps = maps[0]  # (C, H, W)
    if maps.ndim != 3:
        raise ValueError(f"feature maps must be (C, H, W) or (1, C, H, W), got shape {maps.shape}")
    fig, axes = _grid(len(maps), ncols, title)
    for channel, (ax, fmap) in enumerate(zip(axes, maps, strict=True)):
        ax.imshow(fmap, cmap=cmap)
        ax.set_title(str(channel), fontsize=8)
    return fig
