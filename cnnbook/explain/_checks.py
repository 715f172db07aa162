"""Argument checks shared by the explanation modules (NumPy only, no framework)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cnnbook.arrays import LAYOUTS, batches, check_layout

__all__ = ["LAYOUTS", "Target", "as_targets", "batches", "check_channel", "check_fraction",
           "check_layout"]

Target = int | Sequence[int] | np.ndarray


def as_targets(target: Target, n: int) -> np.ndarray:
    """``(n,)`` int64 class indices: one class for every image, or one per image."""
    t = np.asarray(target)
    if t.ndim == 0:
        t = np.full(n, int(t))
    if t.shape != (n,) or not np.issubdtype(t.dtype, np.integer):
        raise ValueError(f"target must be one class index or {n} of them, got {t.shape} "
                         f"{t.dtype}")
    return t.astype(np.int64)


def check_fraction(fraction: float, name: str = "fraction") -> float:
    """``fraction`` if it lies in [0, 1]; a one-line ValueError otherwise."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {fraction}")
    return float(fraction)


def check_channel(channel: int, channels: int, layer: str) -> int:
    """``channel`` if ``0 <= channel < channels``; a one-line ValueError otherwise."""
    if not 0 <= channel < channels:
        raise ValueError(f"layer {layer!r} has channels 0..{channels - 1}, got {channel}")
    return int(channel)
