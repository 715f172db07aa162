"""The segmentation models: post_keras made fully convolutional, and the small U-Net; the
transposed-convolution and concatenating-skip specs behind them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnbook.models import Architecture, catalogue
from cnnbook.models.layers import ConvTranspose2dSpec, Pool2dSpec, SkipConcatSpec
from cnnbook.models.torch_nets import PostKeras, PostKerasFcn


def test_segmentation_entries_are_in_the_catalogue():
    names = [e.name for e in catalogue.entries(task="segmentation")]
    assert names == ["post_keras_fcn", "unet_small"]
    for name in names:
        entry = catalogue.get(name)
        assert entry.spec.input_shape == (1, 64, 64)
        assert entry.spec.output_shapes()[-1][0] == 11  # background and ten digits


def test_the_fcn_has_the_classifiers_weights_plus_one_class():
    """Dense layers as convolutions keep every weight: only fc2 grows by one class (128 + 1)."""
    fcn, post = catalogue.get("post_keras_fcn"), catalogue.get("post_keras")
    assert fcn.count_params() - post.count_params() == 128 + 1


@pytest.mark.parametrize("size", [(28, 28), (29, 41), (64, 64), (100, 72)])
def test_the_fcn_runs_on_any_image_size(size):
    torch.manual_seed(0)
    model = PostKerasFcn().eval()
    x = torch.rand(2, 1, *size)
    with torch.no_grad():
        coarse, dense = model.coarse(x), model(x)
    assert dense.shape == (2, 11, *size)
    expect = tuple(((s - 2) // 2 - 2) // 2 - 4 for s in size)
    assert coarse.shape == (2, 11, *expect)
    if size == (64, 64):  # the spec's arithmetic agrees
        assert coarse.shape[1:] == catalogue.get("post_keras_fcn").spec.output_shapes()[-1]


def test_the_fcn_on_a_digit_is_the_classifier():
    """With the classifier's weights, the 28x28 FCN gives exactly the classifier's logits."""
    torch.manual_seed(1)
    classifier = PostKeras().eval()
    fcn = PostKerasFcn.from_classifier(classifier).eval()
    x = torch.rand(5, 1, 28, 28)
    with torch.no_grad():
        ours = fcn.coarse(x)
        reference = classifier(x)
    assert ours.shape == (5, 10, 1, 1)
    torch.testing.assert_close(ours[:, :, 0, 0], reference, rtol=1e-5, atol=1e-5)


def test_the_fcn_places_coarse_outputs_at_their_field_centres(monkeypatch):
    """forward() reads coarse output (i, j) at input pixel (12.5 + 4i, 12.5 + 4j), the centre
    of its receptive field (the spec's arithmetic), and clamps beyond the outer centres: with a
    coarse map linear in i and j, every input pixel gets exactly the linear value there."""
    field = catalogue.get("post_keras_fcn").spec.receptive_field()[-1]
    assert (field.size, field.jump, field.start) == (26, 4, 12.5)
    model = PostKerasFcn().eval()
    assert (model.field_start, model.field_jump) == (field.start, field.jump)  # its own layers
    i, j = torch.meshgrid(torch.arange(10.0), torch.arange(10.0), indexing="ij")
    linear = (10 * i + 3 * j).expand(1, 11, 10, 10)
    monkeypatch.setattr(model, "coarse", lambda x: linear)
    with torch.no_grad():
        dense = model(torch.zeros(1, 1, 64, 64))
    where = ((torch.arange(64.0) - field.start) / field.jump).clamp(0, 9)
    expected = 10 * where[:, None] + 3 * where[None, :]
    torch.testing.assert_close(dense[0, 4], expected, rtol=1e-5, atol=1e-4)


def test_the_fcn_rejects_inputs_smaller_than_a_digit():
    with pytest.raises(ValueError, match="at least 28x28"):
        PostKerasFcn()(torch.zeros(1, 1, 20, 64))


def unet_small(**kwargs):
    """The catalogue's U-Net, built by its spec (NCHW)."""
    return catalogue.get("unet_small").build("torch", **kwargs)


def test_the_unet_gives_a_score_per_pixel_and_needs_multiples_of_8():
    model = unet_small().eval()
    with torch.no_grad():
        assert model(torch.zeros(2, 1, 64, 64)).shape == (2, 11, 64, 64)
        assert model(torch.zeros(1, 1, 32, 48)).shape == (1, 11, 32, 48)
    with pytest.raises(ValueError, match="multiples of 8"):
        model(torch.zeros(1, 1, 60, 64))
    with pytest.raises(ValueError, match="widths must be a list of 2 to 6 integers"):
        unet_small(widths=(8,))


def _gradient_extent(model: torch.nn.Module, size: int, at: int) -> int:
    """Rows of the input that move output pixel (at, at) of class 0: the empirical field."""
    x = torch.rand(1, 1, size, size, requires_grad=True)
    model(x)[0, 0, at, at].backward()
    rows = np.flatnonzero(x.grad[0, 0].abs().sum(1).numpy() > 0)
    return int(rows.max() - rows.min() + 1)


def test_the_unet_receptive_field_arithmetic_is_what_a_pixel_sees_up_to_the_cell_offsets():
    """The spec's field (96 px for the default widths) against the rows that actually move an
    output pixel (gradients), at 16 neighbouring pixels of a 128x128 input. After each 2x
    upsampling, the two outputs that share a coarse cell are centred on that cell, a quarter of
    its jump off their own centre, so the measured extent differs from the recurrence's by at
    most half the coarse jumps summed over the upsamplings (8 + 4 + 2)."""
    field = catalogue.get("unet_small").spec.receptive_field()[-1]
    assert (field.size, field.jump) == (96, 1)
    torch.manual_seed(3)
    model = unet_small().eval()
    extents = [_gradient_extent(model, 128, at) for at in range(56, 72)]
    assert all(abs(e - field.size) <= (8 + 4 + 2) / 2 for e in extents), extents
    assert min(extents) < field.size < max(extents)


def test_receptive_field_of_a_transposed_convolution():
    spec = Architecture((1, 16, 16), (Pool2dSpec(2), ConvTranspose2dSpec(1, 1, 2, 2)))
    pool, up = spec.receptive_field()
    assert (pool.size, pool.jump, pool.start) == (2, 2, 0.5)
    # each output pixel comes from one input (pool) pixel: the field stays 2, the jump halves,
    # and output 0 sits a quarter of a pool cell before that cell's centre
    assert (up.size, up.jump, up.start) == (2, 1, 0.0)
    assert spec.output_shapes() == [(1, 8, 8), (1, 16, 16)]
    with pytest.raises(ValueError, match="finer than the input grid"):
        Architecture((1, 8, 8), (ConvTranspose2dSpec(1, 1, 2, 2),)).receptive_field()


def test_skip_concat_spec_checks_its_body():
    body = (Pool2dSpec(2), ConvTranspose2dSpec(4, 6, 2, 2))
    ok = Architecture((4, 8, 8), (SkipConcatSpec(body),))
    assert ok.output_shapes() == [(10, 8, 8)] and ok.count_params() == 4 * 6 * 4 + 6
    with pytest.raises(ValueError, match="same height and width"):
        Architecture((4, 8, 8), (SkipConcatSpec((Pool2dSpec(2),)),)).output_shapes()
