"""Figures about training: learning curves, confusion matrix, predictions.

- :func:`plot_history`: loss and accuracy per epoch, training (solid) and validation (dashed),
  for one run or several runs on the same axes.
- :func:`plot_confusion_matrix`: scikit-learn's ``ConfusionMatrixDisplay``, in ``cividis``.
- :func:`show_predictions`: a grid of images titled ``true / pred``; mistakes get a vermillion
  title and a thick frame (the Okabe-Ito palette, readable with every common colour blindness).

Every function returns its ``Figure`` with a white background, and leaves it open in pyplot like
:mod:`cnnbook.plots.images` does: Jupyter shows it when the cell ends and ``plt.show()`` shows it in
a script. Assign the result (``fig = plot_history(...)``) rather than leaving it as a cell's last
value, or Jupyter draws it twice. Light module: NumPy, matplotlib and (for the
confusion matrix) scikit-learn only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from cnnbook._optional import require

# Okabe-Ito: blue, orange, bluish green, reddish purple, sky blue, vermillion, yellow, black.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
MISTAKE = "#D55E00"


def _figure(width: float, height: float) -> Figure:
    """A white, constrained-layout pyplot figure (shown by Jupyter at the end of the cell)."""
    return plt.figure(figsize=(width, height), dpi=100, facecolor="white", layout="constrained")


def _as_dict(history: Any) -> Mapping[str, Sequence[float]]:
    """A Keras ``History``, a :class:`cnnbook.torch_training.History` or a plain dict."""
    if isinstance(history, Mapping):
        return history
    if isinstance(getattr(history, "history", None), Mapping):
        return history.history
    raise TypeError(f"expected a History (with .history) or a dict, got {type(history).__name__}")


def plot_history(history: Any, labels: Sequence[str] | None = None,
                 metrics: Sequence[str] = ("loss", "accuracy"), title: str | None = None) -> Figure:
    """Learning curves: one panel per metric, training solid and validation (``val_``) dashed.

    Args:
        history: a History (Keras' or ours), a dict of per-epoch lists, or a list of those to
            compare several runs (e.g. SGD vs momentum) on the same axes.
        labels: one label per run when several are given (default ``run 1``, ``run 2`` ...).
        metrics: the keys to draw, one panel each.
        title: the figure title (default ``"Learning curves"``).
    """
    runs = list(history) if isinstance(history, (list, tuple)) else [history]
    dicts = [_as_dict(run) for run in runs]
    if labels is None:
        labels = [""] if len(dicts) == 1 else [f"run {i + 1}" for i in range(len(dicts))]
    if len(labels) != len(dicts):
        raise ValueError(f"{len(labels)} labels for {len(dicts)} histories")
    for metric in metrics:
        if not any(metric in d for d in dicts):
            raise KeyError(f"no history holds {metric!r}; keys: {sorted(dicts[0])}")

    fig = _figure(4.2 * len(metrics), 3.4)
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, metric in zip(axes, metrics):
        for i, (d, label) in enumerate(zip(dicts, labels)):
            colour = OKABE_ITO[i % len(OKABE_ITO)]
            prefix = f"{label} " if label else ""
            for key, style, kind in ((metric, "-", "train"), (f"val_{metric}", "--", "val")):
                if key in d:
                    values = list(d[key])
                    epochs = np.arange(1, len(values) + 1)
                    ax.plot(epochs, values, style, color=colour, marker="o", markersize=3,
                            label=f"{prefix}{kind}")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(metric)
        ax.set_title(metric)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    fig.suptitle(title or "Learning curves")
    return fig


def plot_confusion_matrix(y_true: Any, y_pred: Any, class_names: Sequence[str], *,
                          normalize: str | None = None, title: str | None = None) -> Figure:
    """Confusion matrix drawn by scikit-learn's ``ConfusionMatrixDisplay`` (rows: true class).

    Args:
        y_true, y_pred: integer class ids ``(N,)``.
        class_names: one name per class, in class-id order.
        normalize: ``None`` (counts), ``"true"`` (rows sum to 1), ``"pred"`` or ``"all"``.
    """
    metrics = require("sklearn.metrics")
    fig = _figure(6.0, 5.2)
    ax = fig.subplots()
    metrics.ConfusionMatrixDisplay.from_predictions(
        np.asarray(y_true), np.asarray(y_pred), labels=list(range(len(class_names))),
        display_labels=list(class_names), normalize=normalize, cmap="cividis", ax=ax,
        xticks_rotation=45, colorbar=True, values_format=".2f" if normalize else "d")
    ax.set_title(title or "Confusion matrix")
    return fig


def _displayable(image: np.ndarray) -> np.ndarray:
    """(H, W), (H, W, 1) or (H, W, 3) -> something imshow draws; floats rescaled to [0, 1]."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.dtype.kind == "f" and (image.min() < 0 or image.max() > 1):
        low, high = image.min(), image.max()
        image = (image - low) / (high - low + 1e-12)  # normalised inputs, e.g. per-channel z-scores
    return image


def show_predictions(images: Any, y_true: Any, y_pred: Any, class_names: Sequence[str], *,
                     n: int = 16, ncols: int = 8, layout: str = "NHWC",
                     title: str | None = None) -> Figure:
    """A grid of the first ``n`` images titled ``true / pred``; mistakes in vermillion.

    Args:
        images: ``(N, H, W)``, or ``(N, H, W, C)`` with ``layout="NHWC"`` (Keras, the loaders),
            or ``(N, C, H, W)`` with ``layout="NCHW"`` (torch); uint8 or float.
        y_true, y_pred: integer class ids ``(N,)``.
        class_names: one name per class.
        n: how many images to show (at most ``N``).
    """
    images = np.asarray(images)
    if layout not in ("NHWC", "NCHW"):
        raise ValueError(f"layout must be 'NHWC' or 'NCHW', got {layout!r}")
    if layout == "NCHW" and images.ndim == 4:
        images = images.transpose(0, 2, 3, 1)  # (N, H, W, C)
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    n = min(n, len(images))
    if n < 1:
        raise ValueError("no images to show")
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig = _figure(1.3 * ncols, 1.5 * nrows + 0.4)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    wrong = 0
    for i, ax in enumerate(axes):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.set_axis_off()
            continue
        ax.imshow(_displayable(images[i]), cmap="gray")
        mistake = y_true[i] != y_pred[i]
        wrong += int(mistake)
        colour = MISTAKE if mistake else "black"
        ax.set_title(f"{class_names[y_true[i]]} / {class_names[y_pred[i]]}", fontsize=8,
                     color=colour)
        for spine in ax.spines.values():
            spine.set_edgecolor(colour)
            spine.set_linewidth(3 if mistake else 0.5)
    fig.suptitle(title or f"true / predicted: {wrong} of {n} wrong (vermillion)")
    return fig
