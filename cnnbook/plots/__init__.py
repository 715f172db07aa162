"""Figures used across the book, in one style (:mod:`cnnbook.plots.style`).

- :mod:`cnnbook.plots.style`: the Okabe-Ito palette, the DPI, colour maps, the figure factory
  (``figure``, ``subplots``) and helpers (``signed_norm``, ``colorbar``, ``annotate_cells`` ...).
- :mod:`cnnbook.plots.images`: ``show_images``, ``show_kernels``, ``show_feature_maps``.
- :mod:`cnnbook.plots.panels`: ``show_panels`` (rows or grids of maps), ``show_heatmap``.
- :mod:`cnnbook.plots.diagrams`: ``show_conv_step``, ``show_conv_windows``,
  ``show_receptive_fields``.
- :mod:`cnnbook.plots.charts`: ``plot_class_counts``, ``plot_bars``.
- :mod:`cnnbook.plots.training`: ``plot_history``, ``plot_confusion_matrix``, ``show_predictions``,
  ``plot_time_to_accuracy``.
- :mod:`cnnbook.plots.explain`: ``show_attributions``, ``show_top_patches``,
  ``show_colour_filters``, ``plot_feature_space`` (what a network learned).
- :mod:`cnnbook.plots.detection`: ``show_detections`` (boxes over scenes), ``plot_pr_curves``.
- :mod:`cnnbook.plots.segmentation`: ``show_segmentations`` (scenes, true and predicted masks).

Every function returns the matplotlib ``Figure`` it drew, left open in pyplot (Jupyter shows it
once when the cell ends), with a white background so that figures read in the book's dark mode
too, and colour maps that work for colour-blind readers (``gray`` for images, ``cividis`` for
activations, ``PuOr`` centred at 0 for signed data). Image layouts are named ``"NCHW"`` or
``"NHWC"``. Light: NumPy and matplotlib (scikit-learn for the confusion matrix), no framework;
the submodules load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "show_images": "images",
    "show_kernels": "images",
    "show_feature_maps": "images",
    "show_panels": "panels",
    "show_heatmap": "panels",
    "show_conv_step": "diagrams",
    "show_conv_windows": "diagrams",
    "show_receptive_fields": "diagrams",
    "plot_class_counts": "charts",
    "plot_bars": "charts",
    "plot_history": "training",
    "plot_time_to_accuracy": "training",
    "plot_confusion_matrix": "training",
    "show_predictions": "training",
    "show_attributions": "explain",
    "show_top_patches": "explain",
    "show_colour_filters": "explain",
    "plot_feature_space": "explain",
    "show_detections": "detection",
    "plot_pr_curves": "detection",
    "show_segmentations": "segmentation",
}
_SUBMODULES = ("style", "images", "panels", "diagrams", "charts", "training", "explain",
               "detection", "segmentation")

__all__ = sorted([*_WHERE, "style"])


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"cnnbook.plots.{_WHERE[name]}"), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"cnnbook.plots.{name}")
    raise AttributeError(f"module 'cnnbook.plots' has no attribute {name!r}")
