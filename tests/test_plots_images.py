"""cnnbook.plots.images: figures for every accepted layout, their styling, and clear errors."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgba

from cnnbook.plots import style
from cnnbook.plots.images import show_feature_maps, show_images, show_kernels

pytestmark = pytest.mark.usefixtures("close_figures")


def image_axes(fig):
    return [
        ax for ax in fig.axes if ax.get_visible() and ax.images and ax.get_label() != "<colorbar>"
    ]


def check_style(fig, panels: int, title: str | None):
    assert fig.dpi == style.DPI
    assert fig.number in plt.get_fignums()  # left open for Jupyter to show once
    assert to_rgba(fig.get_facecolor()) == to_rgba("white")
    axes = image_axes(fig)
    assert len(axes) == panels
    for ax in axes:
        assert list(ax.get_xticks()) == [] and list(ax.get_yticks()) == []
    if title is not None:
        assert fig._suptitle is not None and fig._suptitle.get_text() == title


def test_show_images_grey_with_class_names():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(10, 28, 28), dtype=np.uint8)  # (N, H, W)
    names = [f"class {i}" for i in range(10)]
    labels = rng.integers(0, 10, size=10)
    fig = show_images(images, labels, class_names=names, ncols=4, title="Digits")
    check_style(fig, 10, "Digits")
    axes = image_axes(fig)
    assert [ax.get_title() for ax in axes] == [names[i] for i in labels]
    assert axes[0].images[0].get_cmap().name == "gray"
    np.testing.assert_array_equal(axes[3].images[0].get_array(), images[3])
    assert len({round(ax.get_position().y0, 3) for ax in axes}) == 3  # 4 columns -> 3 rows


def test_show_images_colour_nhwc_and_nchw_agree():
    rng = np.random.default_rng(1)
    nhwc = rng.integers(0, 256, size=(3, 32, 32, 3), dtype=np.uint8)  # CIFAR-style uint8
    fig_a = show_images(nhwc)
    fig_b = show_images(nhwc.transpose(0, 3, 1, 2), layout="NCHW")  # (N, C, H, W)
    for ax_a, ax_b in zip(image_axes(fig_a), image_axes(fig_b), strict=True):
        np.testing.assert_array_equal(ax_a.images[0].get_array(), ax_b.images[0].get_array())
    check_style(fig_a, 3, None)
    single = show_images(rng.random((2, 1, 8, 8)), layout="NCHW")  # one channel -> grey
    assert image_axes(single)[0].images[0].get_array().shape == (8, 8)


def test_show_kernels_is_signed_and_centred():
    w = np.random.default_rng(2).standard_normal((4, 3, 3, 3))  # OIHW
    fig = show_kernels(w, title="Kernels")
    check_style(fig, 12, "Kernels")
    image = image_axes(fig)[0].images[0]
    vmin, vmax = image.get_clim()
    assert image.get_cmap().name == "PuOr" and vmin == -vmax == -np.abs(w).max()
    assert len(fig.axes) == 13  # twelve panels plus the colour bar
    one_channel = show_kernels(w[:, :1])  # one panel per output channel
    assert len(image_axes(one_channel)) == 4


def test_show_feature_maps_accepts_batch_of_one():
    maps = np.random.default_rng(3).random((1, 6, 13, 13))
    fig = show_feature_maps(maps, title="conv1", ncols=3)
    check_style(fig, 6, "conv1")
    assert image_axes(fig)[0].images[0].get_cmap().name == "cividis"
    np.testing.assert_array_equal(image_axes(fig)[5].images[0].get_array(), maps[0, 5])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: show_images(np.zeros((28, 28))), "got shape"),
        (lambda: show_images(np.zeros((2, 3, 8, 8))), "layout='NCHW'"),
        (lambda: show_images(np.zeros((2, 3, 8, 8)), layout="nchw"), "'NCHW' or 'NHWC'"),
        (lambda: show_images(np.zeros((2, 8, 8)), titles=["a"]), "1 titles for 2 panels"),
        (lambda: show_feature_maps(np.zeros((2, 5, 5)), colorbar=True, shared_scale=False),
         "shared_scale=True"),
        (lambda: show_images(np.zeros((2, 8, 8)), [1]), "1 labels for 2 images"),
        (lambda: show_kernels(np.zeros((3, 3, 3))), "OIHW"),
        (lambda: show_feature_maps(np.zeros((2, 4, 5, 5))), "one image"),
        (lambda: show_feature_maps(np.zeros((5, 5))), r"\(C, H, W\)"),
    ],
)
def test_wrong_shapes_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_show_kernels_writes_small_kernels_values():
    sobel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)
    fig = show_kernels(np.stack([sobel, sobel.T])[:, None], titles=["Sobel x", "Sobel y"],
                       figsize=(4, 2))
    axes = image_axes(fig)
    assert [ax.get_title() for ax in axes] == ["Sobel x", "Sobel y"]
    assert [t.get_text() for t in axes[0].texts] == ["-1", "0", "1", "-2", "0", "2", "-1", "0", "1"]
    assert tuple(fig.get_size_inches()) == (4, 2)
    many = show_kernels(np.ones((32, 1, 3, 3)))  # too many panels to write in by default
    assert not any(ax.texts for ax in image_axes(many))
    assert image_axes(show_kernels(np.ones((32, 1, 3, 3)), annotate=True))[0].texts


def test_show_kernels_limit_compares_figures():
    fig = show_kernels(np.full((1, 1, 3, 3), 0.5), limit=2.0, annotate=False)
    assert image_axes(fig)[0].images[0].get_clim() == (-2.0, 2.0)


def test_show_feature_maps_signed_share_one_centred_scale():
    maps = np.stack([np.full((4, 4), -3.0), np.full((4, 4), 1.0)])  # (C, H, W), signed
    fig = show_feature_maps(maps, signed=True, titles=["neg", "pos"])
    axes = image_axes(fig)
    assert [ax.get_title() for ax in axes] == ["neg", "pos"]
    for ax in axes:
        assert ax.images[0].get_cmap().name == style.DIVERGING_CMAP
        assert ax.images[0].get_clim() == (-3.0, 3.0)
    assert len(fig.axes) == 3  # two panels and one colour bar


def test_show_feature_maps_shared_scale_and_annotations():
    maps = np.arange(2 * 3 * 3, dtype=float).reshape(1, 2, 3, 3)
    fig = show_feature_maps(maps, shared_scale=True, annotate=True)
    axes = image_axes(fig)
    assert {ax.images[0].get_clim() for ax in axes} == {(0.0, 17.0)}
    assert axes[1].texts[0].get_text() == "9" and len(axes[1].texts) == 9
    assert len(fig.axes) == 3  # colour bar for the shared scale
    own = show_feature_maps(maps)  # default: each map on its own range, no colour bar
    assert [ax.images[0].get_clim() for ax in image_axes(own)] == [(0, 8), (9, 17)]
    assert len(own.axes) == 2


def test_annotated_kernels_share_one_format_and_font_size():
    """An all-positive kernel beside a signed one is written with the same sign and size."""
    w = np.stack([np.full((1, 3, 3), 0.16), np.linspace(-1, 1, 9).reshape(1, 3, 3)])  # OIHW
    fig = show_kernels(w, annotate=True)
    texts = [t for ax in image_axes(fig) for t in ax.texts]
    assert len(texts) == 18
    assert {t.get_fontsize() for t in texts} == {texts[0].get_fontsize()}
    assert texts[0].get_text() == "+0.16"
