"""cnnbook.plots.diagrams: one convolution step, window taps, receptive fields."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors
import numpy as np
import pytest

from cnnbook.plots import style
from cnnbook.plots.diagrams import (
    output_size,
    show_conv_step,
    show_conv_windows,
    show_receptive_fields,
)

SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)


pytestmark = pytest.mark.usefixtures("close_figures")


def test_conv_step_shows_window_kernel_products_and_sum():
    image = np.random.default_rng(0).random((40, 50))
    fig = show_conv_step(image, SOBEL_X, 10, 20, context=5, kernel_name="Sobel x")
    crop, window, kernel, products = fig.axes
    expected = (image[10:13, 20:23] * SOBEL_X).sum()
    assert products.get_title() == f"products, sum = {expected:+.3f}"
    assert kernel.get_title() == "kernel $w[u, v]$ (Sobel x)"
    assert [t.get_text() for t in kernel.texts][:3] == ["-1", "0", "1"]
    assert window.texts[0].get_text() == f"{image[10, 20]:.2f}"
    assert kernel.images[0].get_clim() == (-2, 2) and crop.images[0].get_clim() == (0, 1)
    (box,) = crop.patches  # the window, in image coordinates
    assert (box.get_x(), box.get_y(), box.get_width()) == (19.5, 9.5, 3)
    assert crop.images[0].get_array().shape == (3 + 2 * 5, 3 + 2 * 5)
    with pytest.raises(ValueError, match="outside the valid output"):
        show_conv_step(image, SOBEL_X, 38, 0)
    with pytest.raises(ValueError, match="2-D"):
        show_conv_step(image[None], SOBEL_X, 0, 0)


def test_output_size_matches_the_formula():
    assert output_size(7, 3) == 5
    assert output_size(7, 3, stride=2, padding=1) == 4
    assert output_size(7, 3, stride=2, padding=2, dilation=2) == 4


def test_conv_windows_draw_one_panel_per_setting():
    settings = [(3, 1, 0, 1), (3, 2, 1, 1), (3, 1, 0, 2)]
    fig = show_conv_windows(settings, ncols=2)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 3 and len(fig.axes) == 4
    assert visible[1].get_title() == "k=3, stride=2, padding=1, dilation=1\n7x7 -> 4x4"
    first = [p for p in visible[0].patches
             if mcolors.to_hex(p.get_facecolor()) == style.BLUE.lower()]
    assert len(first) == 9  # the 3x3 taps of the first output
    assert [t.get_text() for t in visible[1].get_xticklabels()][0] == "-1"  # padding
    with pytest.raises(ValueError, match="no output"):
        show_conv_windows([(9, 1, 0, 1)])


def test_receptive_fields_box_and_crop_each_layer():
    digit = np.arange(28 * 28, dtype=np.uint8).reshape(28, 28)
    fields = {"conv1": (12, 14), "pool2": (8, 17), "edge": (-2, 3, 0, 4)}
    fig = show_receptive_fields(digit, fields, title="Deeper units see more",
                                image_title="fields on an 8")
    image_ax, *crops = fig.axes
    assert len(crops) == 3 and image_ax.get_title() == "fields on an 8"
    labels = [t.get_text() for t in image_ax.get_legend().get_texts()]
    assert labels == ["conv1: 3x3", "pool2: 10x10", "edge: 6x5"]
    np.testing.assert_array_equal(crops[1].images[0].get_array(), digit[8:18, 8:18])
    assert crops[2].images[0].get_array().shape == (4, 5)  # clipped to the image
    assert crops[0].get_xlabel() == "rows and columns 12..14"
    assert crops[2].get_xlabel() == "rows -2..3, columns 0..4"
    colours = [mcolors.to_hex(c.spines["top"].get_edgecolor()) for c in crops]
    assert len(set(colours)) == 3 and style.BLUE.lower() not in colours
    assert crops[0].images[0].get_clim() == (0, 255)
    with pytest.raises(ValueError, match="grey"):
        show_receptive_fields(np.zeros((2, 28, 28)), fields)
