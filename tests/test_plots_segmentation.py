"""cnnbook.plots.segmentation: scenes with their true and predicted masks."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pytest

from cnnbook.plots import show_segmentations, style
from cnnbook.plots.segmentation import mask_cmap


def test_three_rows_per_scene_with_the_masks_drawn_in_class_colours():
    rng = np.random.default_rng(0)
    images = rng.random((3, 1, 16, 16)).astype(np.float32)
    truth = rng.integers(0, 11, (3, 16, 16))
    predicted = rng.integers(0, 11, (3, 16, 16))
    fig = show_segmentations(images, truth, predicted, num_classes=11,
                             class_names=[str(d) for d in range(10)],
                             titles=["a", "b", "c"], title="scenes")
    axes = fig.axes
    assert len(axes) == 9
    truth_panel = axes[3].images[0]   # row 2, column 1 (row-major)
    np.testing.assert_array_equal(truth_panel.get_array(), truth[0])
    np.testing.assert_array_equal(axes[6].images[0].get_array(), predicted[0])
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [str(d) for d in range(10)]
    assert axes[0].get_title() == "a" and fig._suptitle.get_text() == "scenes"
    plt.close(fig)


def test_background_is_white_and_classes_distinct():
    cmap = mask_cmap(11)
    assert cmap(0)[:3] == (1.0, 1.0, 1.0)
    assert len({cmap(c) for c in range(11)}) == 11
    with pytest.raises(ValueError, match="num_classes"):
        mask_cmap(30)


def test_bad_shapes_are_one_line_errors():
    with pytest.raises(ValueError, match="must be"):
        show_segmentations(np.zeros((2, 8, 8)), np.zeros((2, 8, 8), int), np.zeros((1, 8, 8), int),
                           num_classes=11)
    with pytest.raises(ValueError, match="class names"):
        show_segmentations(np.zeros((1, 8, 8)), np.zeros((1, 8, 8), int),
                           np.zeros((1, 8, 8), int), num_classes=3, class_names=["a"])


def test_masks_draw_classes_in_the_class_palette_and_none_like_ink():
    """Mask class c >= 1 is digit c - 1: drawn in ``style.class_colour(c - 1)``, as in every other
    figure, on the white background, and never dark like ink (the old palette drew class 10, the
    digit 9, in black)."""
    truth = np.arange(11).repeat(4).reshape(1, 4, 11)  # every class, background included
    fig = show_segmentations(np.zeros((1, 4, 11)), truth, truth[:, ::-1], num_classes=11)
    for panel in (fig.axes[1], fig.axes[2]):  # the true and the predicted mask
        image = panel.images[0]
        drawn = image.to_rgba(image.get_array())[..., :3]  # (4, 11, 3) the colours on screen
        mask = image.get_array()
        for c in range(11):
            want = style.BACKGROUND if c == 0 else style.class_colour(c - 1)
            np.testing.assert_allclose(drawn[mask == c], [mcolors.to_rgb(want)] * (mask == c).sum())
        lightness = style.cielab(drawn[mask > 0].reshape(-1, 3))[:, 0]
        assert lightness.min() >= style.MIN_CLASS_LIGHTNESS
    legend = [mcolors.to_hex(h.get_facecolor()) for h in fig.legends[0].legend_handles]
    assert legend == [c.lower() for c in style.CLASS_COLOURS]
    plt.close(fig)
