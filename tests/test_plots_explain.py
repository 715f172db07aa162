"""cnnbook.plots.explain: overlays with one colour bar, patch grids, colour filters on one
zero-centred scale, and the feature-space scatter; their structure and clear errors."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors
import numpy as np
import pytest

from cnnbook import plots
from cnnbook.plots import style
from cnnbook.plots.explain import (
    OVERLAY_CMAP,
    plot_feature_space,
    show_attributions,
    show_colour_filters,
    show_top_patches,
)

pytestmark = pytest.mark.usefixtures("close_figures")


def panels_of(fig):
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>" and ax.get_visible()]


def colour_bars(fig):
    return [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]


def test_lazy_names_resolve_to_this_module():
    assert plots.show_attributions is show_attributions
    assert plots.explain.plot_feature_space is plot_feature_space


def test_attributions_overlay_every_map_on_its_image_with_one_colour_bar():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(3, 32, 32, 3), dtype=np.uint8)  # NHWC
    maps = {"saliency": rng.random((3, 32, 32)), "Grad-CAM": 5 * rng.random((3, 32, 32))}
    fig = show_attributions(images, maps, layout="NHWC", row_labels=["a", "b", "c"],
                            title="Methods")
    axes = panels_of(fig)
    assert len(axes) == 3 * 3 and len(colour_bars(fig)) == 1
    assert [ax.get_title() for ax in axes[:3]] == ["image", "saliency", "Grad-CAM"]
    assert [axes[i].get_ylabel() for i in (0, 3, 6)] == ["a", "b", "c"]
    overlay = axes[5].images[1]  # row 1, Grad-CAM: a grey picture, then the map over it
    assert len(axes[5].images) == 2 and overlay.get_cmap().name == OVERLAY_CMAP
    assert overlay.get_clim() == (0.0, 1.0)
    np.testing.assert_allclose(overlay.get_array(), maps["Grad-CAM"][1] / maps["Grad-CAM"][1].max())
    assert colour_bars(fig)[0].get_ylim() == (0.0, 1.0)
    assert fig.get_suptitle() == "Methods" and fig.dpi == style.DPI


def test_attributions_reject_bad_maps():
    images = np.zeros((2, 1, 8, 8), np.float32)
    with pytest.raises(ValueError, match=r"the images need \(2, 8, 8\)"):
        show_attributions(images, {"cam": np.zeros((2, 4, 4))})
    with pytest.raises(ValueError, match="negative values"):
        show_attributions(images, {"grad": -np.ones((2, 8, 8))})
    with pytest.raises(ValueError, match="no maps"):
        show_attributions(images, {})
    fig = show_attributions(images, {"zero": np.zeros((2, 8, 8))})  # an all-zero map draws 0
    assert panels_of(fig)[1].images[1].get_array().max() == 0


def test_top_patches_grid_has_a_row_per_channel_on_a_fixed_grey_scale():
    rng = np.random.default_rng(1)
    rows = [[rng.random((1, 5, 5)) for _ in range(4)], [rng.random((1, 5, 5)) for _ in range(3)]]
    fig = show_top_patches(rows, row_labels=["ch 0", "ch 7"], title="conv1")
    axes = panels_of(fig)
    assert len(axes) == 7 and not colour_bars(fig)  # the empty 8th panel is hidden
    assert axes[0].images[0].get_clim() == (0.0, 1.0)
    assert axes[0].get_ylabel() == "ch 0" and axes[4].get_ylabel() == "ch 7"
    colour = show_top_patches([[rng.integers(0, 256, (7, 7, 3), dtype=np.uint8)]],
                              layout="NHWC")
    assert panels_of(colour)[0].images[0].get_array().shape == (7, 7, 3)
    with pytest.raises(ValueError, match="at least one patch"):
        show_top_patches([[]])


def test_colour_filters_share_one_zero_centred_scale():
    rng = np.random.default_rng(2)
    w = rng.normal(size=(10, 3, 3, 3))
    w[4, 1, 0, 0] = -7.0  # the largest |weight|
    fig = show_colour_filters(w, ncols=5, title="conv1")
    axes = panels_of(fig)
    assert len(axes) == 10 and len(colour_bars(fig)) == 1
    assert colour_bars(fig)[0].get_ylim() == (-7.0, 7.0)
    drawn = axes[4].images[0].get_array()  # (3, 3, 3) RGB
    assert drawn[0, 0, 1] == pytest.approx(0.0)  # -m is black in its channel
    np.testing.assert_allclose(drawn, np.clip(0.5 + 0.5 * w[4].transpose(1, 2, 0) / 7.0, 0, 1))
    assert show_colour_filters(np.zeros((2, 3, 3, 3))).axes[0].images[0].get_array().max() == 0.5
    with pytest.raises(ValueError, match=r"\(C_out, 3, kH, kW\)"):
        show_colour_filters(np.zeros((4, 1, 3, 3)))


def test_feature_space_has_a_panel_per_layer_and_a_legend_per_class():
    rng = np.random.default_rng(3)
    labels = np.arange(50) % 10
    points = {"pixels": rng.normal(size=(50, 2)), "fc1": rng.normal(size=(50, 2))}
    names = [f"class {c}" for c in range(10)]
    fig = plot_feature_space(points, labels, class_names=names,
                             notes={"fc1": "separation 0.80"})
    axes = panels_of(fig)
    assert len(axes) == 2
    assert axes[1].get_title() == "fc1\nseparation 0.80" and axes[0].get_xlabel() == "PC 1"
    assert len(axes[0].collections) == 10  # one scatter per class
    assert sum(len(c.get_offsets()) for c in axes[1].collections) == 50
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == names
    np.testing.assert_allclose(axes[0].collections[3].get_offsets(), points["pixels"][labels == 3])
    with pytest.raises(ValueError, match=r"must be \(50, 2\)"):
        plot_feature_space({"x": np.zeros((50, 3))}, labels)
    with pytest.raises(ValueError, match="class names"):
        plot_feature_space(points, labels, class_names=["a"])


def test_feature_space_colours_each_class_from_the_class_palette():
    """Ten classes, ten colours far apart (the old colours wrapped: 4 and 9, 7 and 8 alike)."""
    labels = np.arange(40) % 10
    points = {"fc1": np.random.default_rng(0).normal(size=(40, 2))}
    fig = plot_feature_space(points, labels)
    (ax,) = panels_of(fig)
    drawn = [mcolors.to_hex(c.get_facecolor()[0], keep_alpha=False) for c in ax.collections]
    assert drawn == [style.class_colour(c).lower() for c in range(10)]
    assert len(set(drawn)) == 10
    legend = fig.legends[0].legend_handles
    assert [mcolors.to_hex(h.get_facecolor()[0], keep_alpha=False) for h in legend] == drawn
