"""Data augmentation on the device, for NCHW batches: random crop, horizontal flip, cutout.

Each function takes a float batch ``x`` of shape ``(B, C, H, W)`` on any device and a
``torch.Generator`` on the same device, draws one random choice per image, and returns a new batch
of the same shape; nothing leaves the device and nothing is read back. :func:`compose` chains
steps into the ``augment`` callable that :func:`cnnbook.training.fit` applies to training batches
only (validation and test images are never augmented):

    augment = compose(random_crop, random_flip, seed=0)             # crop +-4 px, flip half
    augment = compose(partial(random_crop, padding=2), partial(cutout, size=8), seed=0)
    fit(model, train, epochs=10, augment=augment)

A step is any callable ``step(x, generator) -> x``. The result depends only on the seed and the
batches: two augmentations with the same seed give the same images, and ``set_epoch(e)`` (which
``fit`` calls) makes epoch ``e``'s draws independent of the epochs before it.

References: random crops of a padded image and flips (Krizhevsky et al. 2012; He et al. 2016,
"Deep residual learning", CIFAR-10 setup); cutout (DeVries & Taylor 2017).
"""

from __future__ import annotations

from collections.abc import Callable

from cnnbook._optional import needs

with needs("torch"):
    import torch
    import torch.nn.functional as F

from cnnbook.training.batching import epoch_seed

__all__ = ["Augmentation", "Step", "compose", "cutout", "random_crop", "random_flip"]

Step = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def _check(x: torch.Tensor, generator: torch.Generator) -> tuple[int, int, int, int]:
    if x.ndim != 4 or not x.is_floating_point():
        raise ValueError(f"expected a float batch (B, C, H, W), got {x.dtype} {tuple(x.shape)}")
    if generator.device.type != x.device.type:
        raise ValueError(f"the generator is on {generator.device} but the batch on {x.device}")
    b, c, h, w = x.shape
    return b, c, h, w


def random_crop(x: torch.Tensor, generator: torch.Generator, padding: int = 4) -> torch.Tensor:
    """Shift each image by up to ``padding`` pixels: pad by reflection, crop back to ``(H, W)``.

    Reflection (``F.pad(mode="reflect")``) fills the border with mirrored image content instead of
    black, so every output pixel is a pixel of the input image. ``padding`` must be below H and W.
    """
    b, c, h, w = _check(x, generator)
    if not 0 <= padding < min(h, w):
        raise ValueError(f"padding must be in [0, {min(h, w)}) for {h}x{w} images, got {padding}")
    padded = F.pad(x, (padding, padding, padding, padding), mode="reflect")  # (B, C, H+2p, W+2p)
    top = torch.randint(0, 2 * padding + 1, (b,), device=x.device, generator=generator)  # (B,)
    left = torch.randint(0, 2 * padding + 1, (b,), device=x.device, generator=generator)  # (B,)
    rows = top[:, None] + torch.arange(h, device=x.device)  # (B, H)
    cols = left[:, None] + torch.arange(w, device=x.device)  # (B, W)
    images = torch.arange(b, device=x.device)[:, None, None, None]  # (B, 1, 1, 1)
    channels = torch.arange(c, device=x.device)[None, :, None, None]  # (1, C, 1, 1)
    return padded[images, channels, rows[:, None, :, None], cols[:, None, None, :]]  # (B, C, H, W)


def random_flip(x: torch.Tensor, generator: torch.Generator, p: float = 0.5) -> torch.Tensor:
    """Mirror each image left-right (along W) with probability ``p``."""
    b, _, _, _ = _check(x, generator)
    flip = torch.rand(b, device=x.device, generator=generator) < p  # (B,)
    return torch.where(flip[:, None, None, None], x.flip(3), x)  # (B, C, H, W)


def cutout(x: torch.Tensor, generator: torch.Generator, size: int = 8,
           value: float = 0.0) -> torch.Tensor:
    """Set a ``size`` x ``size`` square of each image to ``value`` (0: the mean of normalised
    data), centred anywhere in the image, so the square may be cut by the border."""
    b, _, h, w = _check(x, generator)
    if size < 1:
        raise ValueError(f"cutout size must be >= 1, got {size}")
    cy = torch.randint(0, h, (b, 1), device=x.device, generator=generator)  # (B, 1)
    cx = torch.randint(0, w, (b, 1), device=x.device, generator=generator)  # (B, 1)
    top, left = cy - size // 2, cx - size // 2
    rows = torch.arange(h, device=x.device)  # (H,)
    cols = torch.arange(w, device=x.device)  # (W,)
    in_rows = (rows >= top) & (rows < top + size)  # (B, H)
    in_cols = (cols >= left) & (cols < left + size)  # (B, W)
    mask = in_rows[:, None, :, None] & in_cols[:, None, None, :]  # (B, 1, H, W)
    return x.masked_fill(mask, value)  # (B, C, H, W)


class Augmentation:
    """``steps`` applied in order to a batch, drawing from one generator seeded with ``seed``.

    Call it on a float batch ``(B, C, H, W)``; the generator is created on the batch's device the
    first time (one per device). :meth:`set_epoch` reseeds it from ``(seed, epoch)``.
    """

    def __init__(self, steps: tuple[Step, ...], seed: int = 0) -> None:
        self.steps = steps
        self.seed = seed
        self._generators: dict[torch.device, torch.Generator] = {}
        self._epoch = 0

    def _generator(self, device: torch.device) -> torch.Generator:
        generator = self._generators.get(device)
        if generator is None:
            generator = torch.Generator(device=device)
            generator.manual_seed(epoch_seed(self.seed, self._epoch))
            self._generators[device] = generator
        return generator

    def set_epoch(self, epoch: int) -> None:
        """Make the next draws epoch ``epoch``'s, whatever was drawn before."""
        self._epoch = epoch
        for generator in self._generators.values():
            generator.manual_seed(epoch_seed(self.seed, epoch))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        generator = self._generator(x.device)
        for step in self.steps:
            x = step(x, generator)
        return x

    def __repr__(self) -> str:
        names = ", ".join(getattr(s, "__name__", None) or repr(s) for s in self.steps)
        return f"Augmentation([{names}], seed={self.seed})"


def compose(*steps: Step, seed: int = 0) -> Augmentation:
    """The ``augment(x) -> x`` callable that applies ``steps`` in order (see the module
    docstring); give parameters with ``functools.partial``, e.g. ``partial(cutout, size=8)``."""
    if not steps:
        raise ValueError("compose needs at least one step, e.g. compose(random_crop, random_flip)")
    for step in steps:
        if not callable(step):
            raise TypeError(f"a step must be callable(x, generator), got {step!r}")
    return Augmentation(tuple(steps), seed)
