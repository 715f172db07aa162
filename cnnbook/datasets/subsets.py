"""Per-class balanced subsets and per-channel statistics of uint8 image arrays (NumPy only).

Labels are ``(N,)`` integers; images are uint8 ``(N, H, W)`` (grey) or ``(N, H, W, C)`` channels
last, as the loaders return them. Statistics come back as float32 ``(C,)`` (``(1,)`` for grey).
"""

from __future__ import annotations

import numpy as np


def balanced_quotas(counts: np.ndarray, limit: int) -> np.ndarray:
    """How many items to take from each class so that ``limit`` items are as balanced as possible.

    Each class gets ``limit // k`` (the first ``limit % k`` one more); a class with too few items
    gives all it has and the rest is shared among the others. ``counts`` is ``(k,)``.
    """
    counts = np.asarray(counts, dtype=np.int64)
    quota = np.zeros_like(counts)
    remaining = min(int(limit), int(counts.sum()))
    while remaining > 0:
        open_ = np.flatnonzero(quota < counts)
        share, extra = divmod(remaining, len(open_))
        for i, c in enumerate(open_):
            add = min(share + (i < extra), counts[c] - quota[c])
            quota[c] += add
            remaining -= add
    return quota


def balanced_indices(labels: np.ndarray, limit: int, *, seed: int = 0,
                     num_classes: int | None = None) -> np.ndarray:
    """Indices (sorted, so the file's order is kept) of a seeded, per-class balanced subset.

    Args:
        labels: ``(N,)`` integer labels.
        limit: the subset size; at least 1. With ``limit >= N`` every index is returned.
        seed: the same seed always selects the same items.
        num_classes: number of classes (default: ``labels.max() + 1``).
    """
    if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 1:
        raise ValueError(f"limit must be a positive integer or None, not {limit!r}")
    labels = np.asarray(labels)
    if limit >= len(labels):
        return np.arange(len(labels))
    k = num_classes if num_classes is not None else int(labels.max()) + 1
    counts = np.bincount(labels, minlength=k)  # (k,)
    quotas = balanced_quotas(counts, limit)
    rng = np.random.default_rng(seed)
    chosen = [rng.permutation(np.flatnonzero(labels == c))[:q] for c, q in enumerate(quotas)]
    return np.sort(np.concatenate(chosen))


def channel_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation of uint8 images scaled to [0, 1].

    ``x`` is ``(N, H, W)`` (one channel) or ``(N, H, W, C)`` channels last. Returns two float32
    arrays of shape ``(C,)``. Computed exactly from a 256-bin histogram per channel, so it needs
    no float copy of the data. Use the *training* set's statistics to normalise both splits.
    """
    x = np.asarray(x)
    if x.dtype != np.uint8:
        raise TypeError(f"channel_stats expects uint8 images, got {x.dtype}")
    if x.ndim not in (3, 4) or x.size == 0:
        raise ValueError(f"channel_stats expects (N, H, W) or (N, H, W, C), got {x.shape}")
    planes = x.reshape(-1, 1) if x.ndim == 3 else x.reshape(-1, x.shape[-1])  # (N*H*W, C)
    values = np.arange(256, dtype=np.float64) / 255.0
    means, stds = [], []
    for c in range(planes.shape[1]):
        hist = np.bincount(planes[:, c], minlength=256).astype(np.float64)  # (256,)
        mean = hist @ values / hist.sum()
        means.append(mean)
        stds.append(np.sqrt(hist @ (values - mean) ** 2 / hist.sum()))
    return np.asarray(means, np.float32), np.asarray(stds, np.float32)
