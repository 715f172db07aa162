"""The book's one plot style: palette, DPI, colour maps, the figure factory and small helpers.

Every figure of the book goes through :func:`figure` or :func:`subplots` (white background,
``DPI``, constrained layout), so it reads in the book's dark mode and stays crisp. Colours come
from the Okabe-Ito palette, readable with every common colour blindness::

    from cnnbook.plots import style
    fig, ax = style.subplots(figsize=(6.5, 4))
    ax.plot(x, y, color=style.BLUE)

Classes (digits, CIFAR-10's classes, a mask's classes) have one colour each in every figure:
:func:`class_colour` (:data:`CLASS_COLOURS`, ten colours, pairwise far apart by CIEDE2000, as
:func:`colour_distance` measures, and none dark like ink).

Colour maps: ``gray`` for images, ``cividis`` for non-negative data (activations, counts) and
``PuOr`` centred at 0 (:func:`signed_norm`) for signed data (kernels, pre-activation maps).
Image arrays are NCHW ``(N, C, H, W)`` or NHWC ``(N, H, W, C)``, named by ``layout="NCHW"`` or
``layout="NHWC"``; a single 2-D panel is ``(H, W)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colorbar import Colorbar
from matplotlib.colors import Colormap, Normalize
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from cnnbook.arrays import LAYOUTS, check_layout

__all__ = [
    "BACKGROUND", "BLACK", "BLUE", "BROWN", "CLASS_COLOURS", "CYCLE", "DIVERGING_CMAP", "DPI",
    "GREEN", "GREY", "IMAGE_CMAP", "LAYOUTS", "LIGHT_GREY", "LINESTYLES", "MAGENTA",
    "MIN_CLASS_DISTANCE", "MIN_CLASS_LIGHTNESS", "ORANGE", "PALETTE", "PANEL_INCHES", "PURPLE",
    "SEQUENTIAL_CMAP", "SKY_BLUE", "VERMILLION", "VIOLET", "YELLOW", "annotate_cells",
    "check_layout", "cielab", "class_colour", "colorbar", "colour_distance", "cycle",
    "delta_e2000", "figure", "frame", "imshow", "no_ticks", "outline", "panel_grid",
    "shared_norm", "signed_norm", "subplots", "to_channels_last",
]

# Okabe & Ito (2008), "Color Universal Design": eight colours that stay distinct for readers
# with any common colour blindness.
BLUE = "#0072B2"
ORANGE = "#E69F00"
GREEN = "#009E73"  # bluish green
PURPLE = "#CC79A7"  # reddish purple
SKY_BLUE = "#56B4E9"
VERMILLION = "#D55E00"
YELLOW = "#F0E442"
BLACK = "#000000"
PALETTE = {"blue": BLUE, "orange": ORANGE, "green": GREEN, "purple": PURPLE,
           "sky_blue": SKY_BLUE, "vermillion": VERMILLION, "yellow": YELLOW, "black": BLACK}
CYCLE = (BLUE, ORANGE, GREEN, PURPLE, SKY_BLUE, VERMILLION, YELLOW, BLACK)  # series order
LINESTYLES = ("-", "--", "-.", ":")  # a second cue besides colour, in the same order
GREY = "#777777"  # neutral: reference lines, grid edges
LIGHT_GREY = "#DDDDDD"  # neutral fill: padding cells, backgrounds

# One colour per class (digit d, CIFAR-10 class d, segmentation class d + 1), the same in every
# figure that colours classes: feature spaces, masks, boxes and their legends. Okabe-Ito's seven
# colours without black (black reads as ink on a mask and vanishes on a black scene), then three
# additions found by a search over sRGB: the closest pair of the set, the white mask background
# included, is 21.7 apart in CIEDE2000 (blue and violet), as far as Okabe-Ito's own closest pair
# (orange and yellow, 21.7), and in simulated protan, deutan and tritan vision (Machado et al.
# 2009) no pair with an addition comes closer than Okabe-Ito's own closest pair there (10.9).
# tests/test_plots_style.py checks both.
VIOLET = "#8877FF"
MAGENTA = "#BB0077"
BROWN = "#776644"
CLASS_COLOURS = (BLUE, ORANGE, GREEN, PURPLE, SKY_BLUE, VERMILLION, YELLOW, VIOLET, MAGENTA,
                 BROWN)
BACKGROUND = "#FFFFFF"  # class 0 of a segmentation mask
# CIEDE2000 between any two of CLASS_COLOURS and BACKGROUND: about 20 times a just-noticeable
# difference (about 1), so that small marks (scatter points, thin box edges) stay apart.
MIN_CLASS_DISTANCE = 20.0
# CIELAB lightness L* (0 black, 100 white) of every class colour: 40 units from ink black, and
# readable on the black scenes of detection.
MIN_CLASS_LIGHTNESS = 40.0

IMAGE_CMAP = "gray"
SEQUENTIAL_CMAP = "cividis"  # non-negative data: dark low, yellow high
DIVERGING_CMAP = "PuOr"  # signed data with signed_norm: white is 0

# 2x the 80 dpi the book used: small figures are crisp in the built book (PNG twice as wide).
DPI = 160
PANEL_INCHES = 1.3  # one image panel of a grid
def to_channels_last(images: Any, layout: str) -> np.ndarray:
    """A batch as matplotlib draws it: ``(N, H, W)`` grey or ``(N, H, W, 3)`` colour.

    Args:
        images: ``(N, H, W)`` (either layout), or ``(N, H, W, C)`` with ``layout="NHWC"``, or
            ``(N, C, H, W)`` with ``layout="NCHW"``; ``C`` is 1 (returned as ``(N, H, W)``) or 3.
        layout: ``"NCHW"`` or ``"NHWC"``.
    """
    check_layout(layout)
    images = np.asarray(images)
    if images.ndim == 3:
        return images  # (N, H, W)
    if images.ndim != 4:
        raise ValueError(
            f"images must be (N, H, W), (N, H, W, C) or (N, C, H, W), got shape {images.shape}")
    if layout == "NCHW":
        images = images.transpose(0, 2, 3, 1)  # (N, H, W, C)
    if images.shape[-1] == 1:
        return images[..., 0]  # (N, H, W)
    if images.shape[-1] != 3:
        hint = " (pass layout='NCHW' for channels-first arrays)" if layout == "NHWC" else ""
        raise ValueError(f"colour images need 1 or 3 channels, got shape {images.shape}{hint}")
    return images  # (N, H, W, 3)


def figure(width: float = 6.4, height: float = 4.0, *, layout: str | None = "constrained",
           **kwargs: Any) -> Figure:
    """A white pyplot figure of ``width`` x ``height`` inches at :data:`DPI`.

    It stays open in pyplot: Jupyter shows it when the cell ends, ``plt.show()`` in a script.
    ``layout`` is matplotlib's (``"constrained"``, ``"tight"`` or ``None``); other keyword
    arguments go to :func:`matplotlib.pyplot.figure`.
    """
    kwargs.setdefault("facecolor", "white")
    kwargs.setdefault("dpi", DPI)
    return plt.figure(figsize=(width, height), layout=layout, **kwargs)


def subplots(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float] = (6.4, 4.0),
             layout: str | None = "constrained", squeeze: bool = True,
             **kwargs: Any) -> tuple[Figure, Any]:
    """Like :func:`matplotlib.pyplot.subplots`, through :func:`figure`; lines cycle the palette.

    Returns ``(fig, axes)``: one ``Axes``, or (``squeeze=False`` or several) an array of them.
    Keyword arguments (``sharex``, ``gridspec_kw``, ``width_ratios`` ...) go to
    :meth:`Figure.subplots`.
    """
    fig = figure(*figsize, layout=layout)
    axes = fig.subplots(nrows, ncols, squeeze=squeeze, **kwargs)
    for ax in np.atleast_1d(axes).flat:
        ax.set_prop_cycle(color=list(CYCLE))
    return fig, axes


def no_ticks(ax: Axes) -> None:
    """Remove both axes' ticks and tick labels (image panels)."""
    ax.set_xticks([])
    ax.set_yticks([])


def panel_grid(count: int, ncols: int, *, title: str | None = None, panel: float = PANEL_INCHES,
               figsize: tuple[float, float] | None = None) -> tuple[Figure, list[Axes]]:
    """A figure with ``count`` tick-less panels, ``ncols`` per row (extra axes hidden).

    ``figsize`` (inches) defaults to ``panel`` inches per panel.
    """
    if count < 1:
        raise ValueError("nothing to show: got 0 panels")
    if ncols < 1:
        raise ValueError(f"ncols must be >= 1, got {ncols}")
    ncols = min(ncols, count)
    nrows = math.ceil(count / ncols)
    if figsize is None:
        figsize = (panel * ncols, panel * nrows + (0.35 if title else 0.0))
    fig = figure(*figsize)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes:
        no_ticks(ax)
    for ax in axes[count:]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return fig, list(axes[:count])


def _arrays(arrays: Any) -> list[np.ndarray]:
    if isinstance(arrays, (list, tuple)):
        return [np.asarray(a, dtype=float) for a in arrays]
    return [np.asarray(arrays, dtype=float)]


def signed_norm(arrays: Any, *, limit: float | None = None) -> Normalize:
    """A colour scale centred at 0, shared by all ``arrays``: ``[-m, m]``, ``m`` = max ``|value|``.

    Use it with :data:`DIVERGING_CMAP` for signed data (kernels, pre-activation feature maps) so
    that white means 0 and equal colours mean equal values in every panel. ``arrays`` is one
    array or a list of arrays of any shapes; ``limit`` fixes ``m``. All-zero data gives ``[-1, 1]``.
    """
    if limit is None:
        limit = max((float(np.abs(a).max()) for a in _arrays(arrays) if a.size), default=0.0)
    limit = limit or 1.0
    return Normalize(vmin=-limit, vmax=limit)


def shared_norm(arrays: Any) -> Normalize:
    """One colour scale ``[min, max]`` over all ``arrays`` (one array or a list, any shapes)."""
    values = [a for a in _arrays(arrays) if a.size]
    low = min((float(a.min()) for a in values), default=0.0)
    high = max((float(a.max()) for a in values), default=1.0)
    return Normalize(vmin=low, vmax=high if high > low else low + 1.0)


def colorbar(fig: Figure, mappable: Any, axes: Axes | Sequence[Axes], *,
             label: str | None = None, location: str = "right") -> Colorbar:
    """One colour bar for the panels ``axes`` that share ``mappable``'s scale.

    ``location`` is ``"right"`` (a row or a whole grid) or ``"bottom"`` (under a column).
    """
    return fig.colorbar(mappable, ax=axes if isinstance(axes, Axes) else list(axes), shrink=0.8,
                        label=label, location=location)


def _formats(values: np.ndarray) -> list[str]:
    """Candidate formats, most precise first: whole numbers plain, signed data with its sign."""
    if np.all(np.isfinite(values)) and np.allclose(values, np.round(values)):
        return ["{:.0f}"]
    sign = "+" if values.min() < 0 else ""
    return [f"{{:{sign}.{digits}f}}" for digits in (2, 1, 0)]


def _format(fmt: str, value: float) -> str:
    """``fmt.format(value)``, without a sign on a value that rounds to zero ("-0.00" -> "0.00")."""
    text, zero = fmt.format(value), fmt.format(0.0)
    return zero.lstrip("+") if text.lstrip("+-") == zero.lstrip("+-") else text


def cell_text_style(ax: Axes, values: Any, fmt: str | None = None) -> tuple[str, float]:
    """``(fmt, fontsize)`` that fits every value of ``values`` into the cells of ``ax``.

    ``values`` may hold several panels' matrices (any shape; the last axis is a panel's width),
    so that every panel of one figure is written with the same format and size.
    """
    values = np.asarray(values, dtype=float)
    width_pt = ax.get_window_extent().width * 72 / ax.figure.dpi / values.shape[-1]
    chosen, fits = "", 0.0
    for chosen in [fmt] if fmt else _formats(values):
        longest = max(len(_format(chosen, v)) for v in values.flat)
        fits = width_pt / (0.6 * longest + 0.4)  # points of text that fit a cell's width
        if fits >= 5:
            break
    return chosen, float(np.clip(fits, 5, 10))


def annotate_cells(ax: Axes, values: Any, *, cmap: str | Colormap, norm: Normalize,
                   fmt: str | None = None, fontsize: float | None = None) -> list[Text]:
    """Write each value of a small ``(H, W)`` matrix in its cell, drawn with ``imshow``.

    The text is black on light cells and white on dark ones (of ``cmap`` under ``norm``).
    ``fmt`` defaults to ``"{:.0f}"`` for whole numbers, else two decimals (one or none when the
    cells are too narrow), with a sign when some values are negative; ``fontsize`` defaults to
    what fits the panel's current width (5 to 10 points).
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 2:
        raise ValueError(f"annotate_cells needs an (H, W) matrix, got shape {values.shape}")
    colours = plt.get_cmap(cmap)(norm(values))  # (H, W, 4) RGBA
    luminance = colours[..., :3] @ np.array([0.299, 0.587, 0.114])
    chosen, fitting = cell_text_style(ax, values, fmt)
    size = fontsize or fitting
    return [ax.text(c, r, _format(chosen, v), ha="center", va="center", fontsize=size,
                    color="white" if luminance[r, c] < 0.5 else "black")
            for (r, c), v in np.ndenumerate(values)]


def outline(ax: Axes, rows: tuple[int, int], cols: tuple[int, int] | None = None, *,
            colour: str = ORANGE, linestyle: str = "-", linewidth: float = 2.0,
            label: str | None = None) -> Rectangle:
    """A box around the pixels ``rows[0]..rows[1]`` x ``cols[0]..cols[1]`` (inclusive).

    For an ``imshow`` panel, whose pixel ``(r, c)`` is centred at ``(c, r)``; ``cols`` defaults to
    ``rows`` (a square window).
    """
    cols = rows if cols is None else cols
    patch = Rectangle((cols[0] - 0.5, rows[0] - 0.5), cols[1] - cols[0] + 1,
                      rows[1] - rows[0] + 1, fill=False, edgecolor=colour, linestyle=linestyle,
                      linewidth=linewidth, label=label)
    ax.add_patch(patch)
    return patch


def frame(ax: Axes, colour: str, width: float = 3.0) -> None:
    """Colour a panel's four spines (e.g. to tie it to a line of the same colour)."""
    for spine in ax.spines.values():
        spine.set_edgecolor(colour)
        spine.set_linewidth(width)


def imshow(ax: Axes, image: Any, **kwargs: Any) -> AxesImage:
    """``ax.imshow(image, **kwargs)``, with square pixels whenever the panel enlarges the image.

    Decided each time the figure draws (after layout, so ``fig.set_size_inches`` counts): an image
    shown at least as large as its array gets ``"nearest"`` interpolation (each value a sharp
    block, as a network sees it, and a small PNG); a smaller one keeps matplotlib's
    anti-aliasing. An ``interpolation`` argument turns this off.
    """
    drawn = ax.imshow(image, **kwargs)
    if "interpolation" not in kwargs:
        make_image = drawn.make_image

        def snapped(renderer: Any, magnification: float = 1.0, unsampled: bool = False) -> Any:
            shown = drawn.get_window_extent()  # display pixels
            rows, cols = drawn.get_size()
            enlarged = abs(shown.width) >= cols and abs(shown.height) >= rows
            wanted = "nearest" if enlarged else "antialiased"
            if drawn.get_interpolation() != wanted:
                drawn.set_interpolation(wanted)
            return make_image(renderer, magnification, unsampled)

        drawn.make_image = snapped  # type: ignore[method-assign]
    return drawn


def cycle(count: int, start: int = 0) -> list[tuple[str, str]]:
    """``count`` (colour, linestyle) pairs: the palette in order, each with a line style."""
    return [(CYCLE[(start + i) % len(CYCLE)], LINESTYLES[i % len(LINESTYLES)])
            for i in range(count)]


def class_colour(label: int) -> str:
    """The colour of class ``label`` (0, 1, ...): :data:`CLASS_COLOURS`, repeated after ten.

    A segmentation mask's class ``c >= 1`` (class 0 is the background) is drawn in
    ``class_colour(c - 1)``, the colour of the same digit elsewhere.
    """
    if label < 0:
        raise ValueError(f"a class is an integer >= 0, got {label}")
    return CLASS_COLOURS[int(label) % len(CLASS_COLOURS)]


_SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                         [0.2126729, 0.7151522, 0.0721750],
                         [0.0193339, 0.1191920, 0.9503041]])
_WHITE_D65 = np.array([0.95047, 1.0, 1.08883])


def cielab(colours: Sequence[Any]) -> np.ndarray:
    """CIELAB ``(N, 3)`` (L* a* b*, D65 white) of ``N`` matplotlib colours (names, hex, RGB)."""
    rgb = np.array([mcolors.to_rgb(c) for c in colours], dtype=float).reshape(-1, 3)
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _SRGB_TO_XYZ.T / _WHITE_D65
    delta = 6 / 29
    f = np.where(xyz > delta**3, np.cbrt(xyz), xyz / (3 * delta**2) + 4 / 29)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])],
                    axis=1)


def delta_e2000(lab1: Any, lab2: Any) -> np.ndarray:
    """CIEDE2000 colour difference of CIELAB arrays ``(..., 3)`` (broadcast against each other).

    Sharma, Wu and Dalal (2005); about 1 is a just-noticeable difference.
    """
    lab1, lab2 = np.asarray(lab1, dtype=float), np.asarray(lab2, dtype=float)
    l1, a1, b1 = np.moveaxis(lab1, -1, 0)
    l2, a2, b2 = np.moveaxis(lab2, -1, 0)
    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_mean**7 / (c_mean**7 + 25.0**7)))
    a1, a2 = (1 + g) * a1, (1 + g) * a2
    c1, c2 = np.hypot(a1, b1), np.hypot(a2, b2)
    h1, h2 = np.degrees(np.arctan2(b1, a1)) % 360, np.degrees(np.arctan2(b2, a2)) % 360
    chromatic = c1 * c2 != 0
    dh = h2 - h1
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(chromatic, dh, 0.0)
    d_l, d_c = l2 - l1, c2 - c1
    d_h = 2 * np.sqrt(c1 * c2) * np.sin(np.radians(dh / 2))
    l_mean, c_mean = (l1 + l2) / 2, (c1 + c2) / 2
    h_sum = h1 + h2
    h_mean = np.where(np.abs(h1 - h2) > 180,
                      np.where(h_sum < 360, (h_sum + 360) / 2, (h_sum - 360) / 2), h_sum / 2)
    h_mean = np.where(chromatic, h_mean, h_sum)
    t = (1 - 0.17 * np.cos(np.radians(h_mean - 30)) + 0.24 * np.cos(np.radians(2 * h_mean))
         + 0.32 * np.cos(np.radians(3 * h_mean + 6)) - 0.20 * np.cos(np.radians(4 * h_mean - 63)))
    rotation = 30 * np.exp(-(((h_mean - 275) / 25) ** 2))
    r_c = 2 * np.sqrt(c_mean**7 / (c_mean**7 + 25.0**7))
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / np.sqrt(20 + (l_mean - 50) ** 2)
    s_c, s_h = 1 + 0.045 * c_mean, 1 + 0.015 * c_mean * t
    r_t = -np.sin(np.radians(2 * rotation)) * r_c
    return np.sqrt((d_l / s_l) ** 2 + (d_c / s_c) ** 2 + (d_h / s_h) ** 2
                   + r_t * (d_c / s_c) * (d_h / s_h))


def colour_distance(first: Sequence[Any], second: Sequence[Any]) -> np.ndarray:
    """CIEDE2000 between every colour of ``first`` and every colour of ``second``: ``(N, M)``."""
    return delta_e2000(cielab(first)[:, None], cielab(second)[None])
