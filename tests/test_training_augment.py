"""On-device augmentation: shapes, values (crops of a reflected image, flips, cutout squares),
determinism under a seed, composition, and the device the draws happen on."""

from __future__ import annotations

from functools import partial

import pytest

torch = pytest.importorskip("torch", reason="needs the torch extra")
F = torch.nn.functional

from cnnbook.training.augment import Augmentation, compose, cutout, random_crop, random_flip

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def distinct_images(n=64, c=2, h=6, w=7, device="cpu"):
    """``(n, c, h, w)`` floats, every value different, so a value tells where it came from."""
    return torch.arange(n * c * h * w, dtype=torch.float32, device=device).view(n, c, h, w)


def generator(seed=0, device="cpu"):
    return torch.Generator(device=device).manual_seed(seed)


@pytest.mark.parametrize("device", DEVICES)
def test_steps_keep_shape_dtype_and_device(device):
    x = distinct_images(device=device)
    for step in (random_crop, random_flip, cutout, compose(random_crop, random_flip, cutout)):
        out = step(x) if isinstance(step, Augmentation) else step(x, generator(device=device))
        assert out.shape == x.shape and out.dtype == x.dtype and out.device == x.device


@pytest.mark.parametrize("padding", [1, 2])
def test_a_crop_is_a_window_of_the_reflection_padded_image(padding):
    x = distinct_images()
    out = random_crop(x, generator(1), padding=padding)
    padded = F.pad(x, (padding,) * 4, mode="reflect")  # (N, C, H + 2p, W + 2p)
    h, w = x.shape[2:]
    offsets = set()
    for image, crop in zip(padded, out, strict=True):
        found = [(dy, dx) for dy in range(2 * padding + 1) for dx in range(2 * padding + 1)
                 if torch.equal(image[:, dy:dy + h, dx:dx + w], crop)]
        assert len(found) == 1  # every crop is exactly one window
        offsets.add(found[0])
    for image, crop in zip(x, out, strict=True):  # only the image's own (or mirrored) values
        assert set(crop.flatten().tolist()) <= set(image.flatten().tolist())
    assert len(offsets) > (2 * padding + 1) ** 2 // 2  # the shifts vary from image to image
    assert torch.equal(random_crop(x, generator(), padding=0), x)


def test_flipping_twice_with_the_same_draws_is_the_identity():
    x = distinct_images(n=400)
    once = random_flip(x, generator(3))
    flipped = [not torch.equal(a, b) for a, b in zip(once, x, strict=True)]
    for a, b, was_flipped in zip(once, x, flipped, strict=True):
        assert torch.equal(a, b.flip(2) if was_flipped else b)  # mirrored along W, or untouched
    assert 140 < sum(flipped) < 260  # about half of 400
    assert torch.equal(random_flip(once, generator(3)), x)
    assert torch.equal(random_flip(x, generator(), p=1.0), x.flip(3))


def test_cutout_blanks_one_square_and_nothing_else():
    x = distinct_images(n=100, h=16, w=16) + 1  # no pixel is 0 before
    out = cutout(x, generator(4), size=6)
    changed = (out != x).all(dim=1)  # (N, H, W): a pixel changes in every channel or in none
    assert torch.equal(changed, (out != x).any(dim=1))
    assert (out[out != x] == 0).all()
    for mask in changed:
        rows, cols = mask.any(1).sum().item(), mask.any(0).sum().item()
        assert 1 <= rows <= 6 and 1 <= cols <= 6 and mask.sum().item() == rows * cols
    assert (changed.sum((1, 2)) < 36).any()  # squares at the border are cut


@pytest.mark.parametrize("device", DEVICES)
def test_same_seed_same_images_and_epochs_are_reproducible(device):
    x = distinct_images(device=device)
    steps = (partial(random_crop, padding=2), random_flip, partial(cutout, size=3))
    a, b, c = compose(*steps, seed=0), compose(*steps, seed=0), compose(*steps, seed=1)
    first = a(x)
    assert torch.equal(first, b(x)) and not torch.equal(first, c(x))
    assert not torch.equal(a(x), first)  # the next batch gets new draws
    a.set_epoch(3)
    epoch3 = a(x)
    a.set_epoch(3)
    assert torch.equal(a(x), epoch3)
    b.set_epoch(0)
    assert torch.equal(b(x), first)  # epoch 0's draws, whatever ran before


def test_bad_input_is_a_one_line_error():
    x = distinct_images()
    with pytest.raises(ValueError, match=r"float batch \(B, C, H, W\)"):
        random_flip(x[0], generator())
    with pytest.raises(ValueError, match="padding must be in"):
        random_crop(x, generator(), padding=6)
    with pytest.raises(ValueError, match="at least one step"):
        compose()
    with pytest.raises(TypeError, match="must be callable"):
        compose(4)
    assert "random_crop" in repr(compose(random_crop, random_flip))
