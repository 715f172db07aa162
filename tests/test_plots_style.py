"""cnnbook.plots.style: the palette, the figure factory, shared and centred scales, layouts."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pytest

from cnnbook.plots import style

pytestmark = pytest.mark.usefixtures("close_figures")


def png_size(fig) -> tuple[int, int]:
    """The (width, height) of the PNG that Jupyter's inline backend stores for ``fig``."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi, bbox_inches="tight")
    return struct.unpack(">II", buffer.getvalue()[16:24])


def test_palette_is_okabe_ito_in_order():
    assert style.CYCLE == ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
                           "#F0E442", "#000000")
    assert style.PALETTE["vermillion"] == style.VERMILLION == "#D55E00"
    assert set(style.PALETTE.values()) == set(style.CYCLE)
    assert [c for c, _ in style.cycle(5)] == list(style.CYCLE[:5])
    assert [ls for _, ls in style.cycle(5)] == ["-", "--", "-.", ":", "-"]


def test_figure_factory_sets_dpi_background_and_layout():
    fig = style.figure(4, 3)
    assert fig.dpi == style.DPI >= 160
    assert mcolors.to_hex(fig.get_facecolor()) == "#ffffff"
    assert fig.get_layout_engine() is not None
    assert tuple(fig.get_size_inches()) == (4, 3)
    assert fig.number in plt.get_fignums()  # open in pyplot: Jupyter shows it once
    fig, axes = style.subplots(2, 3, figsize=(6, 4), sharex=True)
    assert axes.shape == (2, 3) and fig.dpi == style.DPI
    line = axes[0, 0].plot([0, 1])[0]
    assert mcolors.to_hex(line.get_color()) == style.BLUE.lower()  # the palette cycles
    _, ax = style.subplots()
    assert not isinstance(ax, np.ndarray)


def test_small_figures_are_at_least_twice_as_wide_as_before():
    """The book showed a 5.5 x 2.3 inch kernel figure at 80 dpi as a 351 x 161 PNG."""
    fig, axes = style.panel_grid(3, 3, title="Three kernels")
    for ax in axes:
        ax.imshow(np.eye(3))
    fig.set_size_inches(5.5, 2.3)
    width, height = png_size(fig)
    assert width >= 2 * 351 and height >= 2 * 161 - 10


def test_layout_accepts_only_the_two_spellings():
    assert style.check_layout("NCHW") == "NCHW" and style.check_layout("NHWC") == "NHWC"
    for wrong in ("nchw", "auto", "CHW"):
        with pytest.raises(ValueError, match="^layout must be 'NCHW' or 'NHWC', got") as err:
            style.check_layout(wrong)
        assert "\n" not in str(err.value)
    nchw = np.zeros((2, 3, 5, 7))
    assert style.to_channels_last(nchw, "NCHW").shape == (2, 5, 7, 3)
    assert style.to_channels_last(np.zeros((2, 5, 7, 1)), "NHWC").shape == (2, 5, 7)
    assert style.to_channels_last(np.zeros((2, 5, 7)), "NCHW").shape == (2, 5, 7)
    with pytest.raises(ValueError, match="layout='NCHW'"):
        style.to_channels_last(nchw, "NHWC")


def test_signed_norm_is_centred_and_shared():
    norm = style.signed_norm([np.array([-0.5, 0.2]), np.full((2, 2), 2.0)])
    assert (norm.vmin, norm.vmax) == (-2.0, 2.0) and norm(0.0) == 0.5
    assert (style.signed_norm(np.zeros(3)).vmin, style.signed_norm(np.zeros(3)).vmax) == (-1, 1)
    assert style.signed_norm(np.ones(3), limit=4).vmax == 4
    shared = style.shared_norm([np.array([1.0, 3.0]), np.array([[-1.0]])])
    assert (shared.vmin, shared.vmax) == (-1.0, 3.0)
    flat = style.shared_norm(np.full(4, 2.0))
    assert flat.vmax > flat.vmin


def test_annotate_cells_is_readable_on_dark_and_light_cells():
    fig, ax = style.subplots(figsize=(3, 3))
    values = np.array([[-2.0, -0.001], [0.5, 2.0]])
    norm = style.signed_norm(values)
    ax.imshow(values, cmap=style.DIVERGING_CMAP, norm=norm)
    texts = style.annotate_cells(ax, values, cmap=style.DIVERGING_CMAP, norm=norm)
    assert [t.get_text() for t in texts] == ["-2.00", "0.00", "+0.50", "+2.00"]
    colours = [mcolors.to_hex(t.get_color()) for t in texts]
    assert colours == ["#ffffff", "#000000", "#000000", "#ffffff"]  # white on the dark ends
    assert texts[0].get_position() == (0, 0) and texts[2].get_position() == (0, 1)
    whole = style.annotate_cells(ax, np.array([[-0.0, 3.0]]), cmap="gray", norm=norm)
    assert [t.get_text() for t in whole] == ["0", "3"]
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        style.annotate_cells(ax, np.zeros(3), cmap="gray", norm=norm)


def test_outline_and_frame():
    fig, ax = style.subplots()
    ax.imshow(np.zeros((28, 28)))
    box = style.outline(ax, (8, 17), colour=style.GREEN, linestyle="--", label="pool2")
    assert (box.get_x(), box.get_y(), box.get_width(), box.get_height()) == (7.5, 7.5, 10, 10)
    assert mcolors.to_hex(box.get_edgecolor()) == style.GREEN.lower()
    wide = style.outline(ax, (0, 1), (2, 5))
    assert (wide.get_x(), wide.get_y(), wide.get_width(), wide.get_height()) == (1.5, -0.5, 4, 2)
    style.frame(ax, style.ORANGE)
    assert {mcolors.to_hex(s.get_edgecolor()) for s in ax.spines.values()} == {"#e69f00"}


def test_imshow_keeps_pixels_square_when_enlarged():
    fig, axes = style.panel_grid(3, 3, figsize=(6, 2))
    small = style.imshow(axes[0], np.random.default_rng(0).random((8, 8)))
    large = style.imshow(axes[1], np.random.default_rng(0).random((600, 600)))
    fixed = style.imshow(axes[2], np.zeros((4, 4)), interpolation="bilinear")
    fig.canvas.draw()
    assert small.get_interpolation() == "nearest"
    assert large.get_interpolation() == "antialiased"
    assert fixed.get_interpolation() == "bilinear"
    fig.set_size_inches(24, 8)  # decided at draw time: now the large image is enlarged too
    fig.canvas.draw()
    assert large.get_interpolation() == "nearest"


def test_package_import_is_light_and_lazy():
    code = ("import json, sys, cnnbook.plots as p\n"
            "before = sorted(m for m in sys.modules if m.startswith('cnnbook.plots.'))\n"
            "p.style.figure; p.show_receptive_fields\n"
            "heavy = sorted(m for m in ('torch', 'tensorflow', 'keras') if m in sys.modules)\n"
            "print(json.dumps([before, heavy]))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, heavy = json.loads(out.stdout.strip().splitlines()[-1])
    assert before == [] and heavy == []
    import cnnbook.plots

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        cnnbook.plots.nope  # noqa: B018
    assert "style" in cnnbook.plots.__all__ and "show_panels" in cnnbook.plots.__all__


# The class palette (issue 24): one colour per class in every figure, pairwise far apart, none
# dark like ink. CIEDE2000 is checked against published pairs, then used on the palette.
# Sharma, Wu and Dalal (2005), "The CIEDE2000 color-difference formula", table 1, pairs 1, 17, 18.
SHARMA_PAIRS = [((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
                ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
                ((50.0, 2.5, 0.0), (61.0, -5.0, 29.0), 22.8977)]
# Machado, Oliveira and Fernandes (2009): linear-RGB matrices that simulate full (severity 1.0)
# protanopia, deuteranopia and tritanopia.
CVD_MATRICES = {
    "protan": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
               [-0.003882, -0.048116, 1.051998]],
    "deutan": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
               [-0.011820, 0.042940, 0.968881]],
    "tritan": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
               [0.004733, 0.691367, 0.303900]],
}


def closest(colours) -> float:
    """The smallest CIEDE2000 between two different colours of ``colours``."""
    distance = style.colour_distance(colours, colours)
    return float(distance[~np.eye(len(colours), dtype=bool)].min())


def simulated(colours, kind: str) -> list[tuple[float, float, float]]:
    """``colours`` as a reader with full ``kind`` colour blindness sees them (sRGB)."""
    rgb = np.array([mcolors.to_rgb(c) for c in colours])
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    seen = np.clip(linear @ np.array(CVD_MATRICES[kind]).T, 0, 1)
    srgb = np.where(seen <= 0.0031308, 12.92 * seen, 1.055 * seen ** (1 / 2.4) - 0.055)
    return [tuple(c) for c in np.clip(srgb, 0, 1)]


def test_ciede2000_matches_published_pairs_and_scikit_image():
    for lab1, lab2, expected in SHARMA_PAIRS:
        assert float(style.delta_e2000(lab1, lab2)) == pytest.approx(expected, abs=1e-4)
    assert style.cielab(["white", "black"]) == pytest.approx(
        np.array([[100.0, 0, 0], [0, 0, 0]]), abs=0.01)
    color = pytest.importorskip("skimage.color")
    colours = [*style.CLASS_COLOURS, style.BACKGROUND, style.GREY]
    rgb = np.array([[mcolors.to_rgb(c) for c in colours]])
    lab = color.rgb2lab(rgb)[0]
    np.testing.assert_allclose(style.cielab(colours), lab, atol=0.01)
    np.testing.assert_allclose(style.colour_distance(colours, colours),
                               color.deltaE_ciede2000(lab[:, None], lab[None]), atol=0.02)


def test_class_palette_is_okabe_ito_then_distinct_additions():
    assert len(style.CLASS_COLOURS) == 10  # 10 digits or classes, and the mask background
    assert style.CLASS_COLOURS[:7] == style.CYCLE[:7]  # Okabe-Ito without black first
    assert style.BLACK not in style.CLASS_COLOURS
    assert [style.class_colour(c) for c in range(12)] == [*style.CLASS_COLOURS,
                                                         *style.CLASS_COLOURS[:2]]
    with pytest.raises(ValueError, match=">= 0"):
        style.class_colour(-1)


def test_class_colours_are_pairwise_far_apart():
    """CIEDE2000 >= 20 between any two class colours and the white background: Okabe-Ito's
    own closest pair (orange and yellow) is 21.7 apart, a just-noticeable difference about 1."""
    colours = [*style.CLASS_COLOURS, style.BACKGROUND]
    assert closest(colours) >= style.MIN_CLASS_DISTANCE == 20.0
    okabe_ito = list(style.CLASS_COLOURS[:7])
    assert closest(colours) >= closest(okabe_ito) - 0.05  # the additions cost nothing
    lab = style.cielab(colours)  # CIE76 agrees: plain Euclidean distance in CIELAB
    cie76 = np.linalg.norm(lab[:, None] - lab[None], axis=-1)
    assert cie76[~np.eye(len(colours), dtype=bool)].min() >= style.MIN_CLASS_DISTANCE


def test_class_colours_stay_apart_for_colour_blind_readers_as_okabe_ito_does():
    """In simulated protan, deutan and tritan vision no pair with one of the three additions is
    closer than Okabe-Ito's own closest pair there (ten colours cannot all stay far apart)."""
    colours = list(style.CLASS_COLOURS)
    for kind in CVD_MATRICES:
        seen = simulated(colours, kind)
        distance = style.colour_distance(seen, seen)
        okabe_ito = distance[:7, :7][~np.eye(7, dtype=bool)].min()
        with_additions = distance[7:][~np.eye(10, dtype=bool)[7:]].min()
        assert with_additions >= okabe_ito >= 10.0, kind


def test_no_class_colour_is_dark_like_ink():
    lightness = style.cielab(style.CLASS_COLOURS)[:, 0]  # L*: 0 is black ink, 100 white
    assert lightness.min() >= style.MIN_CLASS_LIGHTNESS == 40.0
    ink = style.colour_distance(style.CLASS_COLOURS, [style.BLACK])
    assert ink.min() >= style.MIN_CLASS_DISTANCE  # as far from ink as from each other
