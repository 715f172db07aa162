"""Explanatory figures about convolution: one output pixel computed step by step
(:func:`show_conv_step`), where a window reads with padding, stride and dilation
(:func:`show_conv_windows`), and what units of deeper layers see (:func:`show_receptive_fields`).

NumPy and matplotlib only; every figure comes from :mod:`cnnbook.plots.style`. Pixel ``(r, c)``
of an ``(H, W)`` image is row ``r``, column ``c``; ranges of pixels are inclusive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from cnnbook.plots import style

__all__ = ["show_conv_step", "show_conv_windows", "show_receptive_fields"]


def _matrix(ax: Any, values: np.ndarray, title: str, cmap: str, norm: Any,
            fmt: str | None = None) -> None:
    """A small matrix with its values written in its cells, axes labelled u (rows), v (columns)."""
    style.imshow(ax, values, cmap=cmap, norm=norm)
    style.annotate_cells(ax, values, cmap=cmap, norm=norm, fmt=fmt)
    ax.set_title(title, fontsize=10)
    ax.set_xticks(range(values.shape[1]))
    ax.set_yticks(range(values.shape[0]))
    ax.set_xlabel("column $v$")
    ax.set_ylabel("row $u$")


def show_conv_step(
    image: Any,
    kernel: Any,
    row: int,
    col: int,
    *,
    context: int = 30,
    kernel_name: str | None = None,
    title: str | None = None,
) -> Figure:
    """One output pixel of a cross-correlation: the window, the kernel, their products and sum.

    Output pixel ``(row, col)`` (no padding, stride 1) is ``sum(image[row:row+kH, col:col+kW] *
    kernel)``. Four panels: the input near the window (``context`` pixels around it, in image
    coordinates, the window outlined in orange), the window's values, the kernel's and the
    products' (signed, centred ``PuOr``), each written in its cell.

    Args:
        image: one grey ``(H, W)`` image, e.g. ``x[0, 0]`` of an NCHW batch; values in [0, 1]
            are drawn on that range, others on the image's own range.
        kernel: ``(kH, kW)`` weights, e.g. ``w[0, 0]`` of OIHW weights.
        kernel_name: shown in the kernel's title (e.g. ``"Sobel x"``).
    """
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError(f"image and kernel must be 2-D (H, W) and (kH, kW), got shapes "
                         f"{image.shape} and {kernel.shape}")
    k_h, k_w = kernel.shape
    if not (0 <= row <= image.shape[0] - k_h and 0 <= col <= image.shape[1] - k_w):
        raise ValueError(f"output pixel ({row}, {col}) is outside the valid output of a "
                         f"{image.shape} image and a {kernel.shape} kernel")
    window = image[row:row + k_h, col:col + k_w]  # (kH, kW)
    products = window * kernel
    grey = Normalize(0, 1) if image.min() >= 0 and image.max() <= 1 else style.shared_norm(image)
    r0, c0 = max(row - context, 0), max(col - context, 0)
    r1, c1 = min(row + k_h + context, image.shape[0]), min(col + k_w + context, image.shape[1])
    fig, axes = style.subplots(1, 4, figsize=(13, 3.6), width_ratios=[1.25, 1, 1, 1])
    style.imshow(axes[0], image[r0:r1, c0:c1], cmap=style.IMAGE_CMAP, norm=grey,
                 extent=(c0 - 0.5, c1 - 0.5, r1 - 0.5, r0 - 0.5))
    style.outline(axes[0], (row, row + k_h - 1), (col, col + k_w - 1), colour=style.ORANGE)
    axes[0].set_title(f"input near ({row}, {col}), window in orange", fontsize=10)
    axes[0].set_xlabel("column")
    axes[0].set_ylabel("row")
    _matrix(axes[1], window, "window $x[i+u, j+v]$", style.IMAGE_CMAP, grey)
    name = f" ({kernel_name})" if kernel_name else ""
    _matrix(axes[2], kernel, f"kernel $w[u, v]${name}", style.DIVERGING_CMAP,
            style.signed_norm(kernel))
    _matrix(axes[3], products, f"products, sum = {products.sum():+.3f}", style.DIVERGING_CMAP,
            style.signed_norm(products), fmt="{:+.2f}")
    fig.suptitle(title or "One output pixel: multiply the window by the kernel, then add "
                          "everything up")
    return fig


def output_size(size: int, kernel: int, stride: int = 1, padding: int = 0,
                dilation: int = 1) -> int:
    """Output length of a convolution along one axis: ``(n + 2p - d(k - 1) - 1) // s + 1``."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _taps(top: int, left: int, kernel: int, dilation: int) -> list[tuple[int, int]]:
    """The (row, column) cells of the padded input that one window's taps read."""
    return [(top + a * dilation, left + b * dilation)
            for a in range(kernel) for b in range(kernel)]


def show_conv_windows(
    settings: Sequence[tuple[int, int, int, int]],
    *,
    size: int = 7,
    ncols: int = 3,
    title: str | None = None,
) -> Figure:
    """Where a square window reads, for each ``(kernel, stride, padding, dilation)`` setting.

    One panel per setting: the ``size`` x ``size`` input with its zero padding (hatched grey,
    tick labels in input coordinates, so padding is negative or ``>= size``), the taps of the
    first output (filled blue), of its right-hand neighbour (orange) and of the last output
    (dashed green), titled with the output size.
    """
    if not settings:
        raise ValueError("nothing to show: got 0 settings")
    nrows = -(-len(settings) // ncols)
    fig, axes = style.subplots(nrows, ncols, figsize=(3.7 * min(ncols, len(settings)),
                                                      3.8 * nrows), squeeze=False)
    flat = axes.ravel()
    for ax in flat[len(settings):]:
        ax.set_visible(False)
    for ax, (k, s, p, d) in zip(flat, settings, strict=False):
        padded = size + 2 * p
        n_out = output_size(size, k, s, p, d)
        if n_out < 1:
            raise ValueError(f"k={k}, stride={s}, padding={p}, dilation={d} leaves no output "
                             f"for a {size}x{size} input")
        for r in range(padded):
            for c in range(padded):
                pad = not (p <= r < p + size and p <= c < p + size)
                ax.add_patch(Rectangle((c, r), 1, 1, facecolor=style.LIGHT_GREY if pad else "white",
                                       edgecolor=style.GREY, linewidth=0.6,
                                       hatch="//" if pad else None))
        for r, c in _taps(0, 0, k, d):
            ax.add_patch(Rectangle((c, r), 1, 1, facecolor=style.BLUE, alpha=0.75))
        if n_out > 1:
            for r, c in _taps(0, s, k, d):
                ax.add_patch(Rectangle((c + 0.08, r + 0.08), 0.84, 0.84, fill=False,
                                       edgecolor=style.ORANGE, linewidth=2.5))
        last = (n_out - 1) * s
        for r, c in _taps(last, last, k, d):
            ax.add_patch(Rectangle((c + 0.16, r + 0.16), 0.68, 0.68, fill=False,
                                   edgecolor=style.GREEN, linewidth=2, linestyle="--"))
        ax.set_xlim(0, padded)
        ax.set_ylim(padded, 0)
        ax.set_aspect("equal")
        ax.set_xticks(np.arange(padded) + 0.5, [str(v) for v in np.arange(padded) - p],
                      fontsize=7)
        ax.set_yticks(np.arange(padded) + 0.5, [str(v) for v in np.arange(padded) - p],
                      fontsize=7)
        ax.set_xlabel("input column")
        ax.set_ylabel("input row")
        ax.set_title(f"k={k}, stride={s}, padding={p}, dilation={d}\n"
                     f"{size}x{size} -> {n_out}x{n_out}", fontsize=10)
    fig.suptitle(title or "Where a window reads: first output (blue), its neighbour (orange), "
                          "last output (green)")
    return fig


def show_receptive_fields(
    image: Any,
    fields: Mapping[str, tuple[int, int] | tuple[int, int, int, int]],
    *,
    title: str | None = None,
    image_title: str = "receptive fields",
) -> Figure:
    """Nested receptive fields on an image, and the patch that each one sees.

    Left: the image with one box per layer (Okabe-Ito colours, each its own line style, sizes in
    the legend); then one panel per layer with the patch inside its box, framed in its colour.

    Args:
        image: one grey ``(H, W)`` image; uint8 is drawn on 0..255, floats on their range.
        fields: ``{layer name: (first, last)}``, the inclusive range of input pixels that one unit
            of the layer sees, the same for rows and columns; or ``(row_first, row_last,
            col_first, col_last)``. Ranges may reach past the image (padding); patches are clipped.
        image_title: the left panel's title (e.g. ``"centre units' fields on an 8"``).
    """
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"image must be one grey (H, W) image, got shape {image.shape}")
    if not fields:
        raise ValueError("nothing to show: got no fields")
    norm = Normalize(0, 255) if image.dtype == np.uint8 else style.shared_norm(image)
    n = len(fields)
    fig, axes = style.subplots(1, n + 1, figsize=(3.2 + 2.2 * n, 3.8),
                               width_ratios=[1.6] + [1] * n)
    style.imshow(axes[0], image, cmap=style.IMAGE_CMAP, norm=norm)
    for i, (ax, (name, box)) in enumerate(zip(axes[1:], fields.items(), strict=True)):
        (r0, r1), (c0, c1) = (box[:2], box[2:]) if len(box) == 4 else (box, box)
        colour, line = style.CYCLE[1 + i % (len(style.CYCLE) - 1)], style.LINESTYLES[i % 4]
        size = f"{r1 - r0 + 1}x{c1 - c0 + 1}"
        style.outline(axes[0], (r0, r1), (c0, c1), colour=colour, linestyle=line,
                      linewidth=2.5, label=f"{name}: {size}")
        top, bottom = max(r0, 0), min(r1, image.shape[0] - 1)
        left, right = max(c0, 0), min(c1, image.shape[1] - 1)
        style.imshow(ax, image[top:bottom + 1, left:right + 1], cmap=style.IMAGE_CMAP, norm=norm)
        style.no_ticks(ax)
        style.frame(ax, colour)
        where = f"rows and columns {r0}..{r1}" if (r0, r1) == (c0, c1) else \
            f"rows {r0}..{r1}, columns {c0}..{c1}"
        ax.set_xlabel(where)
        ax.set_title(f"what a {name} unit sees", fontsize=10)
    axes[0].set_xlabel("input column")
    axes[0].set_ylabel("input row")
    axes[0].set_title(image_title, fontsize=10)
    axes[0].legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=8)
    if title:
        fig.suptitle(title)
    return fig

