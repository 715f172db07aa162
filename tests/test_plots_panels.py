"""cnnbook.plots.panels: rows and grids of maps on shared or separate scales, one heat map."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors
import numpy as np
import pytest

from cnnbook.plots import style
from cnnbook.plots.panels import show_heatmap, show_panels

pytestmark = pytest.mark.usefixtures("close_figures")


def panels_of(fig):
    return [ax for ax in fig.axes if ax.images and ax.get_label() != "<colorbar>"]


def test_one_row_at_one_pixel_scale():
    maps = [np.ones((8, 8)), np.ones((4, 4)), np.ones((6, 6))]  # different sizes
    fig = show_panels(maps, titles=["input", "stride 2", "dilation"], same_pixels=True,
                      title="One pixel scale")
    axes = panels_of(fig)
    assert [ax.get_title() for ax in axes] == ["input", "stride 2", "dilation"]
    assert axes[1].images[0].get_extent() == [0, 4, 4, 0]  # axes count pixels
    assert axes[0].get_shared_x_axes().joined(axes[0], axes[2])
    assert axes[0].get_ylabel() == "row" and axes[2].get_xlabel() == "column"
    assert fig.get_suptitle() == "One pixel scale" and fig.dpi == style.DPI


def test_grid_with_a_scale_and_a_colour_map_per_column():
    rng = np.random.default_rng(0)
    grid = [[rng.random((6, 6)), 3 * rng.random((3, 3))],
            [rng.random((6, 6)), 5 * rng.random((3, 3))]]
    fig = show_panels(grid, col_labels=["input", "pooled"], row_labels=["a", "b"],
                      cmap=["gray", "cividis"], scale="column", colorbar=True)
    axes = panels_of(fig)
    assert len(axes) == 4 and len(fig.axes) == 6  # four panels, one colour bar per column
    assert [ax.get_title() for ax in axes] == ["input", "pooled", "", ""]
    assert [axes[0].get_ylabel(), axes[2].get_ylabel()] == ["a", "b"]
    assert axes[1].images[0].get_cmap().name == "cividis"
    assert axes[1].images[0].get_clim() == axes[3].images[0].get_clim()
    top = max(grid[0][1].max(), grid[1][1].max())
    assert axes[3].images[0].get_clim()[1] == pytest.approx(top)


def test_signed_shared_panels_are_centred():
    grid = np.stack([np.full((2, 3, 3), -1.0), np.full((2, 3, 3), 4.0)])  # (R, C, H, W)
    fig = show_panels(grid, signed=True, scale="shared", colorbar=True)
    axes = panels_of(fig)
    assert len(axes) == 4 and len(fig.axes) == 5
    assert {ax.images[0].get_clim() for ax in axes} == {(-4.0, 4.0)}
    assert axes[0].images[0].get_cmap().name == style.DIVERGING_CMAP


def test_signed_panels_each_on_its_own_scale_get_a_colour_bar_each():
    """Maps of very different ranges (channels_and_filters: edges to +-4, colour maps within 1)
    each fill their own centred scale, and each scale is shown."""
    panels = [np.linspace(-4.0, 3.0, 9).reshape(3, 3), np.linspace(-0.2, 0.7, 9).reshape(3, 3)]
    fig = show_panels(panels, signed=True, scale="each", colorbar=True)
    axes = panels_of(fig)
    assert len(axes) == 2 and len(fig.axes) == 4  # two panels, two colour bars
    assert [ax.images[0].get_clim() for ax in axes] == [(-4.0, 4.0), (-0.7, 0.7)]
    bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert sorted(bar.get_ylim() for bar in bars) == [(-4.0, 4.0), (-0.7, 0.7)]


@pytest.mark.parametrize(("call", "message"), [
    (lambda: show_panels([]), "0 panels"),
    (lambda: show_panels([[np.ones((2, 2))], [np.ones((2, 2)), np.ones((2, 2))]]), "every row"),
    (lambda: show_panels([np.ones((2, 2))], scale="global"), "scale must be"),
    (lambda: show_panels([np.ones(3)]), r"\(H, W\)"),
    (lambda: show_panels([np.ones((2, 2))], titles=["a", "b"]), "2 titles for 1 panels"),
    (lambda: show_panels([np.ones((2, 2))] * 2, cmap=["gray"]), "1 colour maps for 2"),
    (lambda: show_heatmap(np.ones((2, 2, 2))), r"\(H, W\)"),
])
def test_panels_reject_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_heatmap_has_a_colour_bar_and_a_box():
    heat = np.outer(np.hanning(28), np.hanning(28))
    fig = show_heatmap(heat, box=(8, 17), label="mean |d unit / d pixel|", title="pool2")
    ax, bar = fig.axes
    assert ax.images[0].get_cmap().name == style.SEQUENTIAL_CMAP
    assert bar.get_ylabel() == "mean |d unit / d pixel|"
    (box,) = ax.patches
    assert (box.get_x(), box.get_width()) == (7.5, 10)
    assert mcolors.to_hex(box.get_edgecolor()) == "#ffffff" and box.get_linestyle() == "--"
    assert ax.get_title() == "pool2" and ax.get_xlabel() == "input column"
    signed = show_heatmap(heat - 0.5, signed=True, box=(0, 1, 2, 5))
    assert signed.axes[0].images[0].get_clim() == (-0.5, 0.5)
