"""Pictures to model inputs (``cnnbook.datasets.images``): reading, MNIST style, resampling."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cnnbook.datasets.images import (
    ImageError,
    mnist_style,
    read_image,
    resample_area,
    to_grey,
    to_model_input,
)


def test_mnist_style_leaves_mnists_own_digits_as_they_are(shared_data):
    """MNIST digits were made by these steps, so redoing them changes (almost) nothing."""
    from cnnbook.datasets import load_mnist

    (x, _), _ = load_mnist(limit=500, test_limit=1)
    diffs = [np.abs(mnist_style(img)[0].astype(int) - img).mean() for img in x]
    assert not any(mnist_style(img)[1] for img in x)  # light on dark: never inverted
    assert np.median(diffs) == 0 and np.mean(diffs) < 0.5, (np.median(diffs), np.mean(diffs))


def test_dark_ink_on_light_paper_is_inverted_and_ends_up_the_same(shared_data):
    from cnnbook.datasets import load_mnist

    (x, _), _ = load_mnist(limit=20, test_limit=1)
    for img in x:
        as_is, inverted_as_is = mnist_style(img)
        paper, inverted = mnist_style(255 - img)
        assert inverted and not inverted_as_is
        np.testing.assert_array_equal(paper, as_is)


def test_strokes_fit_20x20_keeping_their_aspect_and_centre_of_mass_at_14():
    canvas = np.full((300, 500), 240, np.uint8)  # light paper
    canvas[100:200, 50:450] = 10  # a dark bar four times wider than tall
    out, inverted = mnist_style(canvas)
    rows, cols = np.nonzero(out > 25)
    assert inverted and out.shape == (28, 28) and out.dtype == np.uint8
    assert np.ptp(cols) + 1 == 20 and np.ptp(rows) + 1 == 5  # 400x100 -> 20x5
    weights = out.astype(float)
    centre = [(weights.sum(axis=1 - a) * np.arange(28)).sum() / weights.sum() for a in (0, 1)]
    np.testing.assert_allclose(centre, [14, 14], atol=0.5)


def test_a_blank_picture_has_no_strokes():
    with pytest.raises(ValueError, match="no strokes"):
        mnist_style(np.full((40, 40), 200, np.uint8))


def test_resample_area_averages_blocks_and_keeps_the_mean():
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 255, (12, 18, 3))
    blocks = image.reshape(4, 3, 6, 3, 3).mean(axis=(1, 3))  # 3x3 block means
    np.testing.assert_allclose(resample_area(image, 4, 6), blocks, rtol=1e-12)
    np.testing.assert_allclose(resample_area(image, 12, 18), image, rtol=1e-12)
    odd = resample_area(image[..., 0], 5, 7)  # not a divisor: partial pixels count in part
    assert odd.shape == (5, 7)
    assert odd.mean() == pytest.approx(image[..., 0].mean(), rel=1e-12)


def test_to_grey_is_pillows_luma_rounded_half_to_even():
    rgb = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    pillow = np.asarray(Image.fromarray(rgb).convert("L"), dtype=int)  # fixed-point rounding
    grey = to_grey(rgb).astype(int)
    assert np.abs(grey - pillow).max() <= 1 and (grey == pillow).mean() > 0.95
    assert to_grey(np.full((1, 1, 3), 77, np.uint8))[0, 0] == 77  # grey stays grey
    with pytest.raises(ValueError, match="expected uint8 RGB"):
        to_grey(rgb[..., 0])


def test_resample_area_sums_in_source_order():
    """Each output pixel is the sum, in source order, of weight times pixel (what the page's
    JavaScript computes, so that both agree to the last bit)."""
    image = np.random.default_rng(1).random((7, 5)) * 255
    out = resample_area(image, 3, 2)
    rows = np.zeros((3, 5))
    scale = 7 / 3
    for i in range(3):
        for k in range(7):
            w = max(min((i + 1) * scale, k + 1) - max(i * scale, k), 0.0) / scale
            if w:
                rows[i] += w * image[k]
    expected = np.zeros((3, 2))
    scale = 5 / 2
    for j in range(2):
        for m in range(5):
            w = max(min((j + 1) * scale, m + 1) - max(j * scale, m), 0.0) / scale
            if w:
                expected[:, j] += w * rows[:, m]
    assert np.array_equal(out, expected)  # bit for bit


def test_read_image_composites_transparency_on_white(tmp_path):
    rgba = np.zeros((10, 10, 4), np.uint8)  # fully transparent ...
    rgba[4:6, :, 3] = 255  # ... but for an opaque black bar
    Image.fromarray(rgba, "RGBA").save(tmp_path / "ink.png")
    image = read_image(tmp_path / "ink.png")
    assert image.shape == (10, 10, 3) and image.dtype == np.uint8
    assert (image[:4] == 255).all() and (image[4:6] == 0).all()


def test_read_image_reads_16_bit_grey_and_jpeg(tmp_path):
    grey16 = (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000).astype(np.uint16)
    Image.fromarray(grey16).save(tmp_path / "deep.png")
    np.testing.assert_allclose(read_image(tmp_path / "deep.png")[..., 0],
                               np.rint(grey16 / 257), atol=1)
    Image.new("RGB", (16, 12), (200, 30, 30)).save(tmp_path / "red.jpg", quality=95)
    red = read_image(tmp_path / "red.jpg")
    assert red.shape == (12, 16, 3) and abs(int(red[..., 0].mean()) - 200) < 5


@pytest.mark.parametrize("write, message", [
    (lambda p: p.write_text("hello"), "not a PNG or JPEG image"),
    (lambda p: Image.new("RGB", (4, 4)).save(p, format="GIF"), "not a PNG or JPEG image"),
    (lambda p: p.write_bytes(_png_bytes(p)[:300]), "cannot read the image"),
    (lambda p: Image.new("L", (100, 100)).save(p, format="PNG"), "more than the limit of 5,000"),
], ids=["text", "gif", "truncated", "bomb"])
def test_bad_pictures_are_one_line_errors_naming_the_file(tmp_path, write, message):
    path = tmp_path / "picture.png"
    write(path)
    with pytest.raises(ImageError, match=message) as error:
        read_image(path, max_pixels=5_000)
    assert str(error.value).startswith(str(path)) and "\n" not in str(error.value)


def _png_bytes(path):
    noise = np.random.default_rng(1).integers(0, 256, (64, 64), dtype=np.uint8)
    Image.fromarray(noise).save(path.with_suffix(".full.png"))
    return path.with_suffix(".full.png").read_bytes()


def test_model_input_for_a_colour_model_is_centre_cropped_and_normalised():
    image = np.zeros((40, 80, 3), np.uint8)
    image[:, 20:60] = (255, 0, 0)  # the centred square is red; the sides black
    x, notes = to_model_input(image, (3, 32, 32), dataset="cifar10",
                              normalisation=([0.5, 0.5, 0.5], [0.25, 0.25, 0.25]))
    assert x.shape == (1, 3, 32, 32) and x.dtype == np.float32 and notes == []
    np.testing.assert_allclose(x[0, 0], 2.0)  # (1 - 0.5) / 0.25: all red, sides cropped
    np.testing.assert_allclose(x[0, 1:], -2.0)


def test_model_input_for_mnist_says_it_inverted():
    paper = np.full((60, 60, 3), 250, np.uint8)
    paper[10:50, 28:33] = 0  # a dark "1"
    x, notes = to_model_input(paper, (1, 28, 28), dataset="mnist")
    assert x.shape == (1, 1, 28, 28) and len(notes) == 1 and "inverted" in notes[0]
    assert x.max() == pytest.approx(1.0) and x[0, 0, 0, 0] == 0.0
    grey = np.asarray(Image.fromarray(paper).convert("L"))  # Pillow's luma, the same weights
    from cnnbook.datasets.images import LUMA

    np.testing.assert_allclose(np.rint(paper @ np.asarray(LUMA)), grey, atol=1)
