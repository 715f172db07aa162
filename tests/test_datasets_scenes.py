"""cnnbook.datasets.scenes: scenes composed from real MNIST digits, their masks and boxes."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from cnnbook.datasets import load_mnist
from cnnbook.datasets.scenes import NUM_SEGMENT_CLASSES, glyph, make_scenes


@pytest.fixture(scope="module")
def mnist(shared_data):
    return load_mnist()


@pytest.fixture(scope="module")
def train_scenes(shared_data):
    return make_scenes(60, split="train", seed=3)


@pytest.fixture(scope="module")
def test_scenes(shared_data):
    return make_scenes(60, split="test", seed=3)


def _digest(image: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(image).tobytes()).hexdigest()


def test_shapes_and_types(train_scenes):
    s = train_scenes
    assert s.images.shape == (60, 1, 64, 64) and s.images.dtype == np.float32
    assert s.masks.shape == (60, 64, 64) and s.masks.dtype == np.int64
    assert s.images.min() >= 0.0 and s.images.max() <= 1.0
    assert s.masks.min() == 0 and s.masks.max() < NUM_SEGMENT_CLASSES
    assert len(s) == len(s.boxes) == len(s.labels) == len(s.sources) == len(s.scales) == 60
    for boxes, labels in zip(s.boxes, s.labels, strict=True):
        assert boxes.dtype == np.float32 and boxes.shape == (len(labels), 4)
        assert labels.dtype == np.int64 and 1 <= len(labels) <= 4
        assert ((labels >= 0) & (labels <= 9)).all()
        assert (boxes[:, :2] >= 0).all() and (boxes[:, 2:] <= 64).all()
        assert (boxes[:, 2:] > boxes[:, :2]).all()
    assert "composed from real MNIST-train digits" in s.describe()


def test_every_digit_is_its_source_scaled_and_placed_at_its_box(train_scenes, mnist):
    """The box is the glyph's ink box; the image holds the glyph there; the mask its class."""
    (x, y), _ = mnist
    s = train_scenes
    for i in range(len(s)):
        for box, label, src, scale in zip(s.boxes[i], s.labels[i], s.sources[i], s.scales[i],
                                          strict=True):
            x0, y0, x1, y1 = box.astype(int)
            g = glyph(x[src], scale)
            assert g.shape == (y1 - y0, x1 - x0)
            np.testing.assert_array_equal(s.images[i, 0, y0:y1, x0:x1], g)
            assert label == y[src]
            ink = g >= 0.5
            np.testing.assert_array_equal(s.masks[i, y0:y1, x0:x1][ink], 1 + label)
            # the ink touches all four sides of its box
            assert ink[0].any() and ink[-1].any() and ink[:, 0].any() and ink[:, -1].any()
        # nothing outside the boxes: the background is black and class 0
        outside = np.ones((64, 64), bool)
        for x0, y0, x1, y1 in s.boxes[i].astype(int):
            outside[y0:y1, x0:x1] = False
        assert (s.images[i, 0][outside] == 0).all() and (s.masks[i][outside] == 0).all()


def test_mask_is_the_ink_of_the_digits(train_scenes):
    s = train_scenes
    np.testing.assert_array_equal(s.masks > 0, s.images[:, 0] >= 0.5)


def test_strokes_are_several_pixels_wide(train_scenes):
    """A digit row crosses its strokes in runs of ink; the median run is at least 3 pixels."""
    runs = []
    for mask in train_scenes.masks[:20]:
        for row in (mask > 0).astype(np.int8):
            edges = np.flatnonzero(np.diff(np.concatenate([[0], row, [0]])))
            runs.extend(edges[1::2] - edges[::2])
    assert np.median(runs) >= 3


def test_boxes_do_not_overlap_by_default_but_may_touch(train_scenes):
    for boxes in train_scenes.boxes:
        for a in range(len(boxes)):
            for b in range(a + 1, len(boxes)):
                p, q = boxes[a], boxes[b]
                w = min(p[2], q[2]) - max(p[0], q[0])
                h = min(p[3], q[3]) - max(p[1], q[1])
                assert w <= 0 or h <= 0


def test_overlap_gives_shared_ink_to_the_last_digit_and_keeps_whole_boxes(shared_data, mnist):
    (x, _), _ = mnist
    s = make_scenes(200, split="train", seed=5, objects=(3, 4), overlap=True)
    overlapped = 0
    for i in range(len(s)):
        claimed = np.zeros((64, 64), bool)   # ink of digits placed later
        for box, label, src, scale in reversed(list(zip(
                s.boxes[i], s.labels[i], s.sources[i], s.scales[i], strict=True))):
            x0, y0, x1, y1 = box.astype(int)
            ink = glyph(x[src], scale) >= 0.5
            assert ink.shape == (y1 - y0, x1 - x0)          # the whole box is kept
            own = ink & ~claimed[y0:y1, x0:x1]
            np.testing.assert_array_equal(s.masks[i, y0:y1, x0:x1][own], 1 + label)
            overlapped += int((ink & claimed[y0:y1, x0:x1]).sum())
            claimed[y0:y1, x0:x1] |= ink
    assert overlapped > 0, "overlap=True never overlapped any ink"


def test_train_scenes_use_only_train_digits_and_test_scenes_only_test_digits(
        train_scenes, test_scenes, mnist):
    """No leak: each digit's pixels come from its own split, and the two splits share no
    digit image, so no test digit can appear in a training scene."""
    (x, _), (xt, _) = mnist
    train_digests = {_digest(d) for d in x}
    test_digests = {_digest(d) for d in xt}
    assert not train_digests & test_digests
    for scenes, pool, other in ((train_scenes, x, test_digests),
                                (test_scenes, xt, train_digests)):
        for i in range(len(scenes)):
            for box, src, scale in zip(scenes.boxes[i], scenes.sources[i], scenes.scales[i],
                                       strict=True):
                assert 0 <= src < len(pool)
                assert _digest(pool[src]) not in other
                x0, y0, x1, y1 = box.astype(int)
                np.testing.assert_array_equal(scenes.images[i, 0, y0:y1, x0:x1],
                                              glyph(pool[src], scale))


def test_deterministic_under_the_seed(train_scenes, shared_data):
    again = make_scenes(60, split="train", seed=3)
    other = make_scenes(60, split="train", seed=4)
    np.testing.assert_array_equal(again.images, train_scenes.images)
    np.testing.assert_array_equal(again.masks, train_scenes.masks)
    for a, b in zip(again.boxes, train_scenes.boxes, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(other.images, train_scenes.images)


def test_number_of_digits_is_uniform_over_the_range(shared_data):
    s = make_scenes(800, split="test", seed=0)
    counts = np.bincount([len(b) for b in s.boxes], minlength=5)[1:]
    assert counts.min() > 150, counts   # 200 expected per count; placement must not bias it


def test_glyph_crops_to_ink():
    digit = np.zeros((28, 28), np.uint8)
    digit[10:20, 12:15] = 255
    g = glyph(digit, 2.0)
    assert g.dtype == np.float32 and g.min() >= 0 and g.max() <= 1
    assert (g >= 0.5)[0].any() and (g >= 0.5)[-1].any()
    assert g.shape[0] in range(19, 22) and g.shape[1] in range(5, 8)
    with pytest.raises(ValueError, match="no ink"):
        glyph(np.zeros((28, 28), np.uint8), 1.0)
    with pytest.raises(ValueError, match="must be"):
        glyph(np.zeros((14, 14), np.uint8), 1.0)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"canvas": 32}, "canvas 32 is smaller than a digit"),
    ({"objects": (0, 2)}, "objects must be"),
    ({"objects": (0, 0)}, "objects must be"),
    ({"scale": (-1.0, 1.0)}, "scale must be"),
    ({"scale": (0.0, 1.0)}, "scale must be"),
    ({"split": "val"}, "split must be"),
    ({"n": 0}, "n must be"),
    ({"ink_threshold": 1.5}, "ink_threshold"),
])
def test_bad_arguments_raise_one_line_errors(kwargs, message):
    args = {"n": 2, "split": "train", "seed": 0} | kwargs
    with pytest.raises(ValueError, match=message) as info:
        make_scenes(**args)
    assert "\n" not in str(info.value)


def test_impossible_placement_is_a_one_line_error(shared_data):
    with pytest.raises(ValueError, match="cannot place") as info:
        make_scenes(1, split="train", seed=0, canvas=45, objects=(4, 4), scale=(1.6, 1.6))
    assert "\n" not in str(info.value)
