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
