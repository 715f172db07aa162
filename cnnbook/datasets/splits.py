"""A held-out validation split of the training data (NumPy only).

The post passes the test set as ``validation_data``, so its "val" curves are test curves. The
book's own training sections hold out part of the *training* data for validation, choose
settings on it, and touch the test set once, at the end.
"""

from __future__ import annotations

import numpy as np

from cnnbook.datasets.subsets import balanced_indices

__all__ = ["train_val_split"]

Split = tuple[np.ndarray, np.ndarray]


def train_val_split(x: np.ndarray, y: np.ndarray, *, val_fraction: float = 0.1,
                    seed: int = 0) -> tuple[Split, Split]:
    """Split ``(x, y)`` into ``(x_train, y_train), (x_val, y_val)``, class-balanced and seeded.

    Args:
        x: images, any layout with the examples first (``(N, H, W)``, ``(N, H, W, C)``, NCHW).
        y: ``(N,)`` integer labels.
        val_fraction: the share of examples held out, strictly between 0 and 1; the validation
            set gets ``round(N * val_fraction)`` examples (at least 1), as balanced over the
            classes as the data allow.
        seed: the same seed always holds out the same examples.

    Both parts keep the original order; no example is in both.
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} examples but y has {len(y)} labels")
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1 (exclusive), got {val_fraction}")
    if len(y) < 2:
        raise ValueError(f"need at least 2 examples to split, got {len(y)}")
    size = min(max(round(len(y) * val_fraction), 1), len(y) - 1)
    val = balanced_indices(y, size, seed=seed)  # sorted
    train = np.setdiff1d(np.arange(len(y)), val, assume_unique=True)
    return (x[train], y[train]), (x[val], y[val])
