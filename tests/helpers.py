"""Helpers shared by several test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike


def rel_err(ours: ArrayLike, ref: ArrayLike) -> float:
    """``max|ours - ref| / max|ref|``, computed in float64; the shapes must agree exactly."""
    ours, ref = np.asarray(ours, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    return float(np.abs(ours - ref).max() / max(np.abs(ref).max(), 1e-300))


def offline_data_dir() -> Path | None:
    """The real offline folder named by CNNBOOK_DATA_DIR (``make test`` and CI set it), or None."""
    raw = os.environ.get("CNNBOOK_DATA_DIR", "").strip()
    return Path(raw) if raw and Path(raw).is_dir() else None
