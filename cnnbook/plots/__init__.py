"""Figures used across the book, in one style (:mod:`cnnbook.plots.style`).

- :mod:`cnnbook.plots.style`: the Okabe-Ito palette, one colour per class (``class_colour``,
  used by every figure that colours classes), the DPI, colour maps, the figure factory
  (``figure``, ``subplots``) and helpers (``signed_norm``, ``colorbar``, ``annotate_cells`` ...).
- :mod:`cnnbook.plots.images`: ``show_images``, ``show_kernels``, ``show_feature_maps``.
- :mod:`cnnbook.plots.panels`: ``show_panels`` (rows or grids of maps), ``show_heatmap``.
- :mod:`cnnbook.plots.diagrams`: ``show_conv_step``, ``show_conv_windows``,
  ``show_receptive_fields``.
- :mod:`cnnbook.plots.charts`: ``plot_class_counts``, ``plot_bars``, ``plot_tradeoff``,
  ``plot_spread``.
- :mod:`cnnbook.plots.training`: ``plot_history``, ``plot_confusion_matrix``, ``show_predictions``,
  ``plot_time_to_accuracy``.
- :mod:`cnnbook.plots.explain`: ``show_attributions``, ``show_top_patches``,
  ``show_colour_filters``, ``plot_feature_space`` (what a network learned).
- :mod:`cnnbook.plots.detection`: ``show_detections`` (boxes over scenes), ``plot_pr_curves``.
- :mod:`cnnbook.plots.segmentation`: ``show_segmentations`` (scenes, true and predicted masks).
- :mod:`cnnbook.plots.live`: ``live_figure``, the HTML of a figure that runs in the reader's
  browser (the concept pages' live figures); it draws nothing in Python.

Every other function returns the matplotlib ``Figure`` it drew, left open in pyplot (Jupyter shows
it once when the cell ends), with a white background so that figures read in the book's dark mode
too, and colour maps that work for colour-blind readers (``gray`` for images, ``cividis`` for
activations, ``PuOr`` centred at 0 for signed data). Image layouts are named ``"NCHW"`` or
``"NHWC"``. Light: NumPy and matplotlib (scikit-learn for the confusion matrix), no framework; the
submodules load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnnbook import _lazy

if TYPE_CHECKING:
    from cnnbook.plots import (
        style as style,
    )
    from cnnbook.plots.charts import (
        plot_bars as plot_bars,
        plot_class_counts as plot_class_counts,
        plot_spread as plot_spread,
        plot_tradeoff as plot_tradeoff,
    )
    from cnnbook.plots.detection import (
        plot_pr_curves as plot_pr_curves,
        show_detections as show_detections,
    )
    from cnnbook.plots.diagrams import (
        show_conv_step as show_conv_step,
        show_conv_windows as show_conv_windows,
        show_receptive_fields as show_receptive_fields,
    )
    from cnnbook.plots.explain import (
        plot_feature_space as plot_feature_space,
        show_attributions as show_attributions,
        show_colour_filters as show_colour_filters,
        show_top_patches as show_top_patches,
    )
    from cnnbook.plots.images import (
        show_feature_maps as show_feature_maps,
        show_images as show_images,
        show_kernels as show_kernels,
    )
    from cnnbook.plots.live import (
        live_figure as live_figure,
    )
    from cnnbook.plots.panels import (
        show_heatmap as show_heatmap,
        show_panels as show_panels,
    )
    from cnnbook.plots.segmentation import (
        show_segmentations as show_segmentations,
    )
    from cnnbook.plots.training import (
        plot_confusion_matrix as plot_confusion_matrix,
        plot_history as plot_history,
        plot_time_to_accuracy as plot_time_to_accuracy,
        show_predictions as show_predictions,
    )

__getattr__, __dir__, __all__ = _lazy.attach(__name__, __file__,
    submodules=("images", "panels", "diagrams", "charts", "training", "explain", "detection",
                "segmentation", "live"))
