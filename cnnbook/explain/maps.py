"""Framework-free helpers for explanation maps: resizing, scaling and SmoothGrad's noise.

- :func:`resize`: bilinear resizing of ``(..., h, w)`` maps, e.g. a Grad-CAM at layer resolution
  to the input's size for an overlay. Pixel centres are aligned as in
  ``torch.nn.functional.interpolate(mode="bilinear", align_corners=False)`` (and TensorFlow's
  ``tf.image.resize``): output pixel ``y`` samples input coordinate ``(y + 0.5) * h / H - 0.5``,
  clamped to the edge.
- :func:`normalize`: each map scaled to [0, 1] by its own minimum and maximum.
- :func:`smooth_grad`: SmoothGrad (Smilkov et al., 2017) around any gradient function: the mean
  gradient over ``samples`` noisy copies of the input. The noise is Gaussian with standard
  deviation ``sigma * (max - min)`` of each image (``sigma`` is a fraction of the image's value
  range; the paper found 10-20 % to work), drawn from ``numpy.random.default_rng(seed)`` for the
  whole batch at once, sample after sample, so a seed and a batch give the same maps in every
  framework.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["normalize", "resize", "smooth_grad"]


def _axis_weights(size_in: int, size_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower index, upper index and weight of the upper one, for each output pixel."""
    src = (np.arange(size_out) + 0.5) * (size_in / size_out) - 0.5
    src = np.maximum(src, 0.0)
    low = np.minimum(np.floor(src).astype(np.int64), size_in - 1)
    high = np.minimum(low + 1, size_in - 1)
    return low, high, (src - low)


def resize(maps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``maps`` ``(..., h, w)`` resized bilinearly to ``(..., H, W)`` = ``size``, float32."""
    maps = np.asarray(maps, dtype=np.float32)
    if maps.ndim < 2:
        raise ValueError(f"maps must have at least 2 dimensions (h, w), got {maps.shape}")
    out_h, out_w = size
    r0, r1, wr = _axis_weights(maps.shape[-2], out_h)
    c0, c1, wc = _axis_weights(maps.shape[-1], out_w)
    rows = maps[..., r0, :] * (1 - wr[:, None]) + maps[..., r1, :] * wr[:, None]  # (..., H, w)
    out = rows[..., c0] * (1 - wc) + rows[..., c1] * wc  # (..., H, W)
    return out.astype(np.float32)


def normalize(maps: np.ndarray) -> np.ndarray:
    """Each map of ``maps`` ``(N, h, w)`` scaled to [0, 1]; a constant map becomes zeros."""
    maps = np.asarray(maps, dtype=np.float64)
    low = maps.min(axis=(-2, -1), keepdims=True)
    span = maps.max(axis=(-2, -1), keepdims=True) - low
    scaled = np.divide(maps - low, span, out=np.zeros_like(maps), where=span > 0)
    return scaled.astype(np.float32)


def smooth_grad(gradient: Callable[[np.ndarray], np.ndarray], x: np.ndarray, *,
                samples: int = 25, sigma: float = 0.15, seed: int = 0) -> np.ndarray:
    """The mean of ``gradient(x + noise)`` over ``samples`` draws (module docstring).

    Args:
        gradient: maps a batch like ``x`` to an array (usually the input gradient, same shape).
        x: ``(N, ...)`` inputs in any layout; the noise scale is per image.
        samples: number of noisy copies (the paper: about 50; 25 is plenty for the figures).
        sigma: standard deviation as a fraction of each image's ``max - min``.
        seed: seeds the noise.
    """
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0, got {sigma}")
    x = np.asarray(x, dtype=np.float32)
    axes = tuple(range(1, x.ndim))
    scale = sigma * (x.max(axis=axes, keepdims=True) - x.min(axis=axes, keepdims=True))
    rng = np.random.default_rng(seed)
    total: np.ndarray | None = None
    for _ in range(samples):
        noise = rng.standard_normal(x.shape).astype(np.float32) * scale
        grad = np.asarray(gradient(x + noise), dtype=np.float64)
        total = grad if total is None else total + grad
    assert total is not None
    return (total / samples).astype(np.float32)
