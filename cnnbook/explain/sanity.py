"""Sanity checks for explanation maps, framework-free (NumPy only).

- :func:`rank_correlation`: Spearman's rank correlation per image, the statistic of the
  model-randomisation test (Adebayo et al., "Sanity checks for saliency maps", 2018; the torch
  driver is :func:`cnnbook.explain.cascading_randomization`). Ties get their average rank, as in
  ``scipy.stats.spearmanr``; a constant map gives ``nan``.
- :func:`deletion_test`: replace the ``fraction`` most salient pixels (all channels of a pixel)
  by a baseline, and as many random pixels, and compare the target's probability before and
  after (in the spirit of Samek et al., 2017, and Petsiuk et al.'s RISE, 2018: if the map points
  at evidence, deleting it costs more than deleting random pixels).
- :func:`ink_mass`: the share of a map's (non-negative) mass that falls on a digit's ink,
  dilated by a few pixels, beside the ink's share of the image area: a map no better than
  uniform scores the area share.

Layouts: images NCHW ``(N, C, H, W)`` or NHWC ``(N, H, W, C)`` (``layout``); maps ``(N, H, W)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cnnbook.explain._checks import Target, as_targets, check_fraction, check_layout

__all__ = ["DeletionResult", "InkMass", "deletion_test", "dilate", "ink_mass", "rank_correlation",
           "random_mask", "top_mask"]


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of each row of ``values`` ``(N, n)``, ties sharing their average rank."""
    order = np.argsort(values, axis=1, kind="stable")
    ranks = np.empty(values.shape, dtype=np.float64)
    for i, (row, idx) in enumerate(zip(values, order, strict=True)):
        sorted_row = row[idx]
        # a new group starts where the sorted value changes; every member gets the group's mean
        starts = np.flatnonzero(np.r_[True, sorted_row[1:] != sorted_row[:-1]])
        ends = np.r_[starts[1:], len(row)]
        mean_rank = (starts + ends + 1) / 2.0  # mean of ranks starts+1 .. ends
        ranks[i, idx] = np.repeat(mean_rank, ends - starts)
    return ranks


def rank_correlation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman's rho between ``a[i]`` and ``b[i]`` for each ``i``: ``(N,)`` float64.

    ``a`` and ``b`` are ``(N, ...)`` maps of the same shape (each map is flattened); the
    correlation is Pearson's on the ranks. A map with a single value gives ``nan``.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim < 2:
        raise ValueError(f"need two (N, ...) arrays of one shape, got {a.shape} and {b.shape}")
    ra, rb = _ranks(a.reshape(len(a), -1)), _ranks(b.reshape(len(b), -1))
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    denom = np.sqrt((ra**2).sum(axis=1) * (rb**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, (ra * rb).sum(axis=1) / denom, np.nan)


def top_mask(saliency: np.ndarray, fraction: float) -> np.ndarray:
    """Boolean ``(N, H, W)``: the ``round(fraction * H * W)`` largest pixels of each map
    ``(N, H, W)`` (ties: the earlier pixel in row-major order)."""
    saliency = np.asarray(saliency)
    if saliency.ndim != 3:
        raise ValueError(f"saliency must be (N, H, W), got shape {saliency.shape}")
    n, h, w = saliency.shape
    count = round(check_fraction(fraction) * h * w)
    order = np.argsort(-saliency.reshape(n, -1), axis=1, kind="stable")[:, :count]
    mask = np.zeros((n, h * w), dtype=bool)
    np.put_along_axis(mask, order, True, axis=1)
    return mask.reshape(n, h, w)


def random_mask(shape: tuple[int, int, int], fraction: float, seed: int = 0) -> np.ndarray:
    """Boolean ``shape`` ``(N, H, W)`` with ``round(fraction * H * W)`` random pixels per image,
    drawn without replacement from ``numpy.random.default_rng(seed)``."""
    n, h, w = shape
    count = round(check_fraction(fraction) * h * w)
    rng = np.random.default_rng(seed)
    mask = np.zeros((n, h * w), dtype=bool)
    for i in range(n):
        mask[i, rng.choice(h * w, size=count, replace=False)] = True
    return mask.reshape(n, h, w)


def _delete(x: np.ndarray, mask: np.ndarray, baseline: float | np.ndarray,
            nchw: bool) -> np.ndarray:
    """``x`` with the pixels of ``mask`` ``(N, H, W)`` set to ``baseline`` in every channel."""
    out = np.array(x, dtype=np.float32)
    fill = np.asarray(baseline, dtype=np.float32).reshape(-1)  # (1,) or (C,)
    if nchw:
        out = out.transpose(0, 2, 3, 1)  # a view: writes go to the NCHW array
    out[mask] = fill
    return out.transpose(0, 3, 1, 2) if nchw else out


@dataclass(frozen=True)
class DeletionResult:
    """Target probabilities ``(N,)``: before, after deleting the salient pixels, and after
    deleting as many random pixels."""

    original: np.ndarray
    salient: np.ndarray
    random: np.ndarray

    @property
    def salient_drop(self) -> float:
        """Mean drop of the target's probability when the salient pixels go."""
        return float(np.mean(self.original - self.salient))

    @property
    def random_drop(self) -> float:
        """Mean drop when random pixels go."""
        return float(np.mean(self.original - self.random))

    @property
    def gap(self) -> float:
        """``salient_drop - random_drop``: how much more the salient pixels cost (> 0 passes)."""
        return self.salient_drop - self.random_drop


def deletion_test(forward: Callable[[np.ndarray], np.ndarray], x: np.ndarray, target: Target,
                  saliency: np.ndarray, *, fraction: float = 0.1,
                  baseline: float | np.ndarray = 0.0, seed: int = 0,
                  layout: str = "NCHW") -> DeletionResult:
    """Delete the top ``fraction`` of salient pixels, then as many random ones (module docstring).

    Args:
        forward: a batch in ``layout`` -> class probabilities ``(N, K)``
            (:func:`cnnbook.explain.predictor` with ``output="probabilities"``).
        x: images ``(N, C, H, W)`` or ``(N, H, W, C)``.
        target: the class whose probability is watched (usually the true class).
        saliency: ``(N, H, W)``, larger = more important (reduce channels first, e.g. the
            maximum of ``|gradient|`` over channels, and resize a Grad-CAM to ``(H, W)``).
        fraction: share of pixels deleted (0.1: the top 10 %).
        baseline: the value deleted pixels get: a number, or one per channel ``(C,)`` (0 is the
            training mean after per-channel normalisation).
        seed: seeds the random pixels.
    """
    nchw = check_layout(layout) == "NCHW"
    x = np.asarray(x, dtype=np.float32)
    spatial = x.shape[2:] if nchw else x.shape[1:3]
    if np.shape(saliency) != (len(x), *spatial):
        raise ValueError(f"saliency must be {(len(x), *spatial)} for images {x.shape}, "
                         f"got {np.shape(saliency)}")
    rows = np.arange(len(x))
    targets = as_targets(target, len(x))

    def prob(batch: np.ndarray) -> np.ndarray:
        return np.asarray(forward(batch), dtype=np.float64)[rows, targets]

    salient = _delete(x, top_mask(saliency, fraction), baseline, nchw)
    randomly = _delete(x, random_mask((len(x), *spatial), fraction, seed), baseline, nchw)
    return DeletionResult(prob(x), prob(salient), prob(randomly))


def dilate(mask: np.ndarray, pixels: int) -> np.ndarray:
    """``mask`` ``(..., H, W)`` grown by ``pixels``: a pixel is set when a set pixel lies within
    Chebyshev distance ``pixels`` (a ``(2p + 1) x (2p + 1)`` square neighbourhood)."""
    mask = np.asarray(mask, dtype=bool)
    if pixels < 0:
        raise ValueError(f"pixels must be >= 0, got {pixels}")
    h, w = mask.shape[-2:]
    out = mask.copy()
    for dy in range(-pixels, pixels + 1):
        for dx in range(-pixels, pixels + 1):
            src = mask[..., max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
            out[..., max(dy, 0):h - max(-dy, 0), max(dx, 0):w - max(-dx, 0)] |= src
    return out


@dataclass(frozen=True)
class InkMass:
    """Per image ``(N,)``: the share of the map's mass on the (dilated) ink, and the share of the
    image area that the (dilated) ink covers."""

    mass: np.ndarray
    area: np.ndarray

    @property
    def margin(self) -> float:
        """Mean of ``mass - area``: how much better than a uniform map."""
        return float(np.nanmean(self.mass - self.area))


def ink_mass(maps: np.ndarray, images: np.ndarray, *, threshold: float = 0.5,
             dilation: int = 2) -> InkMass:
    """How much of each map's mass lies on its digit's ink.

    Args:
        maps: ``(N, H, W)`` non-negative maps at image resolution (resize a Grad-CAM with
            :func:`cnnbook.explain.resize`); negative values raise.
        images: ``(N, H, W)`` grey images scaled to [0, 1] (or ``(N, 1, H, W)`` /
            ``(N, H, W, 1)``); ink is ``image > threshold``.
        dilation: the ink is grown by this many pixels (:func:`dilate`) first.

    A map with no mass gives ``nan`` for that image.
    """
    maps = np.asarray(maps, dtype=np.float64)
    images = np.asarray(images)
    if images.ndim == 4 and 1 in (images.shape[1], images.shape[3]):
        images = images.reshape(len(images), *maps.shape[1:])
    if maps.ndim != 3 or images.shape != maps.shape:
        raise ValueError(f"need maps (N, H, W) and grey images of that shape, got {maps.shape} "
                         f"and {images.shape}")
    if (maps < 0).any():
        raise ValueError("maps must be non-negative (use Grad-CAM with relu=True, or |saliency|)")
    ink = dilate(images > threshold, dilation)
    total = maps.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        mass = np.where(total > 0, (maps * ink).sum(axis=(1, 2)) / total, np.nan)
    return InkMass(mass, ink.mean(axis=(1, 2)))
