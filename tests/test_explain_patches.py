"""cnnbook.explain.patches: top-activating patches against brute force, and their crops against
the receptive-field arithmetic (the network run on the crop alone gives the unit's value)."""

from __future__ import annotations

import numpy as np
import pytest

from cnnbook import explain
from cnnbook.models import ActivationSpec, Conv2dSpec, Pool2dSpec, catalogue, receptive_field
from cnnbook.models.specs import Architecture

SPEC = Architecture((2, 14, 14), (
    Conv2dSpec(2, 4, 3, label="conv1"),  # (4, 12, 12)
    ActivationSpec("relu", label="relu1"),
    Pool2dSpec(2, label="pool1"),  # (4, 6, 6)
    Conv2dSpec(4, 3, 3, label="conv2"),  # (3, 4, 4)
))


@pytest.fixture(scope="module")
def tiny():
    """A seeded torch twin of ``SPEC``, 7 random images and its conv2 maps ``(7, 3, 4, 4)``."""
    torch = pytest.importorskip("torch")
    from torch import nn

    torch.manual_seed(0)
    net = nn.Sequential()
    net.add_module("conv1", nn.Conv2d(2, 4, 3))
    net.add_module("relu1", nn.ReLU())
    net.add_module("pool1", nn.MaxPool2d(2))
    net.add_module("conv2", nn.Conv2d(4, 3, 3))
    images = np.random.default_rng(1).random((7, 2, 14, 14), dtype=np.float32)
    return net, images, explain.activations(net, images, "conv2")


def brute_force(maps: np.ndarray, channel: int, k: int, per: str) -> list[tuple[int, int, int]]:
    """The ``k`` best ``(image, row, col)`` by plain Python loops."""
    n, _, h, w = maps.shape
    cells = [(-float(maps[i, channel, r, c]), i, r, c)
             for i in range(n) for r in range(h) for c in range(w)]
    if per == "image":
        cells = [min(cell for cell in cells if cell[1] == i) for i in range(n)]
    return [cell[1:] for cell in sorted(cells)[:k]]


@pytest.mark.parametrize("per", ["image", "position"])
@pytest.mark.parametrize("channel", [0, 2])
def test_top_patches_are_the_brute_force_argmax(tiny, per, channel):
    _, images, maps = tiny
    top = explain.top_patches(images, maps, channel, SPEC, "conv2", k=5, per=per)
    found = list(zip(top.image_index.tolist(), top.rows.tolist(), top.cols.tolist(),
                     strict=True))
    assert found == brute_force(maps, channel, 5, per)
    np.testing.assert_array_equal(top.values, maps[top.image_index, channel, top.rows, top.cols])
    assert np.all(np.diff(top.values) <= 0)
    if per == "image":
        assert len(set(top.image_index.tolist())) == 5


def test_crop_is_exactly_what_the_unit_sees(tiny):
    """Valid convolutions: the network run on the crop alone returns the unit's value, and the
    crop's size is the arithmetic's receptive field (8 = 3, then 4 after the pool, then 4 + 2*2)."""
    torch = pytest.importorskip("torch")
    net, images, maps = tiny
    size = receptive_field(list(SPEC.layers))[-1].size
    assert size == 8
    top = explain.top_patches(images, maps, 1, SPEC, "conv2", k=7, per="position")
    for index, row, col, patch in zip(top.image_index, top.rows, top.cols, top.patches,
                                      strict=True):
        assert patch.shape == (2, size, size)
        with torch.no_grad():
            alone = net(torch.from_numpy(patch[None]))  # (1, 3, 1, 1)
        np.testing.assert_allclose(alone[0, :, 0, 0].numpy(), maps[index, :, row, col],
                                   rtol=1e-5, atol=1e-6)


def test_nhwc_layout_gives_the_same_patches_transposed(tiny):
    _, images, maps = tiny
    nchw = explain.top_patches(images, maps, 2, SPEC, "conv2", k=3)
    nhwc = explain.top_patches(images.transpose(0, 2, 3, 1), maps.transpose(0, 2, 3, 1), 2,
                               SPEC, "conv2", k=3, layout="NHWC")
    np.testing.assert_array_equal(nchw.boxes, nhwc.boxes)
    for a, b in zip(nchw.patches, nhwc.patches, strict=True):
        np.testing.assert_array_equal(a, b.transpose(2, 0, 1))


def test_border_is_padded_or_clipped():
    """A padded 3x3 conv: the corner unit's field starts one pixel outside the image."""
    spec = Architecture((1, 5, 5), (Conv2dSpec(1, 1, 3, padding=1, label="conv"),))
    image = np.arange(1, 26, dtype=np.float32).reshape(1, 1, 5, 5)
    maps = np.zeros((1, 1, 5, 5), dtype=np.float32)
    maps[0, 0, 0, 0] = 1.0  # the top-left unit wins
    padded = explain.top_patches(image, maps, 0, spec, "conv", k=1, fill=-1)
    np.testing.assert_array_equal(padded.boxes, [[-1, -1, 2, 2]])
    np.testing.assert_array_equal(padded.patches[0][0], [[-1, -1, -1], [-1, 1, 2], [-1, 6, 7]])
    clipped = explain.top_patches(image, maps, 0, spec, "conv", k=1, border="clip")
    np.testing.assert_array_equal(clipped.patches[0][0], [[1, 2], [6, 7]])


def test_fields_from_an_architecture_or_rows_agree_with_the_arithmetic():
    spec = catalogue.get("post_keras").spec
    from_spec = explain.layer_field(spec, "conv2")
    from_rows = explain.layer_field(spec.receptive_field(), "conv2")
    assert from_spec == from_rows
    field = from_spec[0]
    assert (field.size, field.jump, field.start) == (8, 2, 3.5)
    assert explain.field_box(*from_spec, 0, 0) == (0, 0, 8, 8)
    assert explain.field_box(*from_spec, 2, 1) == (4, 2, 12, 10)


def test_errors_are_one_line(tiny):
    _, images, maps = tiny
    cases = [
        ({"layer": "conv7"}, "no receptive field for layer 'conv7'; spatial layers: conv1, "),
        ({"channel": 3}, r"layer 'conv2' has channels 0..2, got 3"),
        ({"per": "row"}, "per must be 'image' or 'position'"),
        ({"border": "wrap"}, "border must be 'pad' or 'clip'"),
        ({"layout": "HWC"}, "layout must be 'NCHW' or 'NHWC'"),
    ]
    for change, message in cases:
        args = {"channel": 0, "fields": SPEC, "layer": "conv2", **change}
        with pytest.raises(ValueError, match=message) as err:
            explain.top_patches(images, maps, **args)
        assert "\n" not in str(err.value)


def test_orientation_coherence_against_scikit_image_structure_tensor():
    """The summed structure tensor equals scikit-image's (Sobel, ``mode="nearest"``, no smoothing:
    ``sigma=0.1`` truncates to a one-pixel Gaussian)."""
    feature = pytest.importorskip("skimage.feature")
    rng = np.random.default_rng(4)
    patches = [rng.random((8, 8)), rng.random((3, 3)), rng.random((5, 6))]
    ours = explain.orientation_coherence(patches)
    for value, patch in zip(ours, patches, strict=True):
        j_rr, j_rc, j_cc = (a.sum() for a in feature.structure_tensor(
            patch, sigma=0.1, mode="nearest", order="rc"))
        l1, l2 = np.linalg.eigvalsh(np.array([[j_rr, j_rc], [j_rc, j_cc]]))[::-1]
        assert value == pytest.approx((l1 - l2) / (l1 + l2), rel=1e-10)


def test_orientation_coherence_of_edges_crossings_and_flat_patches():
    edge = np.zeros((8, 8))
    edge[:, 4:] = 1.0  # one vertical edge
    diagonal = np.tril(np.ones((8, 8)))  # one diagonal edge
    cross = np.zeros((9, 9))
    cross[4, :] = cross[:, 4] = 1.0  # two strokes at right angles, equal energy
    values = explain.orientation_coherence([edge, diagonal, cross, np.ones((4, 4))])
    assert values[0] == pytest.approx(1.0) and values[1] > 0.9
    assert values[2] == pytest.approx(0.0, abs=1e-12)
    assert np.isnan(values[3])
    colour = np.stack([edge, edge, edge])  # (3, h, w) NCHW; NHWC gives the same
    both = [explain.orientation_coherence([colour])[0],
            explain.orientation_coherence([colour.transpose(1, 2, 0)], layout="NHWC")[0]]
    assert both == pytest.approx([1.0, 1.0])
    with pytest.raises(ValueError, match=r"a patch must be"):
        explain.orientation_coherence([np.zeros(4)])
