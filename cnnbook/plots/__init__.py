"""Figures used across the book.

- :mod:`cnnbook.plots.images`: ``show_images``, ``show_kernels``, ``show_feature_maps`` (NumPy only).
- :mod:`cnnbook.plots.training`: ``plot_history``, ``plot_confusion_matrix``, ``show_predictions``.

Every function returns the matplotlib ``Figure`` it drew, with a white background so that figures
read in the book's dark mode too, and colour maps that work for colour-blind readers (``gray`` for
images, ``cividis`` for activations, ``PuOr`` for signed kernels).
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "show_images": "images",
    "show_kernels": "images",
    "show_feature_maps": "images",
    "plot_history": "training",
    "plot_confusion_matrix": "training",
    "show_predictions": "training",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"cnnbook.plots.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'cnnbook.plots' has no attribute {name!r}")
