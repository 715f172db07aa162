"""Figures about training: learning curves, confusion matrix, predictions.

- :func:`plot_history`: loss and accuracy per epoch, training (solid) and validation (dashed),
  for one run or several runs on the same axes.
- :func:`plot_confusion_matrix`: scikit-learn's ``ConfusionMatrixDisplay``, in ``cividis``.
- :func:`show_predictions`: a grid of images titled ``true / pred``; mistakes get a vermillion
  title and a thick frame (the Okabe-Ito palette, readable with every common colour blindness).

Every function returns its ``Figure``, made by :func:`cnnbook.plots.style.figure` (white
background, the book's DPI), and leaves it open in pyplot like :mod:`cnnbook.plots.images` does:
Jupyter shows it when the cell ends and ``plt.show()`` shows it in a script. Assign the result
(``fig = plot_history(...)``) rather than leaving it as a cell's last value, or Jupyter draws it
twice. Light module: NumPy, matplotlib and (for the confusion matrix) scikit-learn only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from cnnbook._optional import require
from cnnbook.metrics._checks import check_labels
from cnnbook.plots import style

OKABE_ITO = style.CYCLE  # one colour per run
MISTAKE = style.VERMILLION


def _as_dict(history: Any) -> Mapping[str, Sequence[float]]:
    """A Keras ``History``, a :class:`cnnbook.training.History` or a plain dict."""
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

    fig = style.figure(4.2 * len(metrics), 3.4)
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, metric in zip(axes, metrics, strict=True):
        for i, (d, label) in enumerate(zip(dicts, labels, strict=True)):
            colour = OKABE_ITO[i % len(OKABE_ITO)]
            prefix = f"{label} " if label else ""
            for key, line, kind in ((metric, "-", "train"), (f"val_{metric}", "--", "val")):
                if key in d:
                    values = list(d[key])
                    epochs = np.arange(1, len(values) + 1)
                    ax.plot(epochs, values, line, color=colour, marker="o", markersize=3,
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

    Raises:
        ValueError: one line: a class id that is not an integer in ``[0, len(class_names))``
            (scikit-learn would leave it out of the matrix without a word), naming ``y_true`` or
            ``y_pred`` and its index; ``y_pred`` not as long as ``y_true``.
    """
    y_true = check_labels(y_true, "y_true", len(class_names))
    y_pred = check_labels(y_pred, "y_pred", len(class_names), len(y_true))
    metrics = require("sklearn.metrics")
    fig = style.figure(6.0, 5.2)
    ax = fig.subplots()
    metrics.ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, labels=list(range(len(class_names))),
        display_labels=list(class_names), normalize=normalize, cmap=style.SEQUENTIAL_CMAP, ax=ax,
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
            or ``(N, C, H, W)`` with ``layout="NCHW"`` (torch); ``C`` is 1 or 3; uint8 or float
            (floats outside [0, 1], e.g. normalised inputs, are rescaled per image).
        y_true, y_pred: integer class ids ``(N,)``.
        class_names: one name per class.
        n: how many images to show (at most ``N``).

    Raises:
        ValueError: one line: a class id that is not an integer in ``[0, len(class_names))``
            (naming ``y_true`` or ``y_pred`` and its index), or not ``N`` of them.
    """
    images = style.to_channels_last(images, layout)  # (N, H, W) or (N, H, W, 3)
    y_true = check_labels(y_true, "y_true", len(class_names), len(images))
    y_pred = check_labels(y_pred, "y_pred", len(class_names), len(images))
    n = min(n, len(images))
    if n < 1:
        raise ValueError("no images to show")
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig = style.figure(1.3 * ncols, 1.5 * nrows + 0.4)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    wrong = 0
    for i, ax in enumerate(axes):
        style.no_ticks(ax)
        if i >= n:
            ax.set_axis_off()
            continue
        style.imshow(ax, _displayable(images[i]), cmap=style.IMAGE_CMAP)
        mistake = y_true[i] != y_pred[i]
        wrong += int(mistake)
        colour = MISTAKE if mistake else "black"
        ax.set_title(f"{class_names[y_true[i]]} / {class_names[y_pred[i]]}", fontsize=8,
                     color=colour)
        style.frame(ax, colour, 3 if mistake else 0.5)
    fig.suptitle(title or f"true / predicted: {wrong} of {n} wrong (vermillion)")
    return fig


def plot_time_to_accuracy(curves: Mapping[str, Sequence[Sequence[float]]], *,
                          target: float | None = None, title: str | None = None) -> Figure:
    """Validation accuracy against training wall time, one line per run (e.g. per rung of the
    speed ladder), with the target as a horizontal line.

    Args:
        curves: ``{label: [(seconds, accuracy), ...]}``, points in time order (seconds of
            training so far, validation accuracy in [0, 1]).
        target: the accuracy to reach, drawn dashed (``None``: no line).
        title: the figure title (default ``"Validation accuracy against training time"``).
    """
    if not curves:
        raise ValueError("no curves to draw")
    fig = style.figure(6.4, 3.8)
    ax = fig.subplots()
    for i, (label, points) in enumerate(curves.items()):
        xy = np.asarray(points, dtype=float).reshape(-1, 2)  # (n, 2): seconds, accuracy
        if len(xy) == 0:
            raise ValueError(f"curve {label!r} has no points")
        ax.plot(xy[:, 0], xy[:, 1], marker="o", markersize=3, label=label,
                color=OKABE_ITO[i % len(OKABE_ITO)], linestyle=("-", "--", ":")[i // 8 % 3])
    if target is not None:
        ax.axhline(target, color=style.GREY, linestyle="--", linewidth=1,
                   label=f"target {target:.0%}")
    ax.set_xlabel("training time (s)")
    ax.set_ylabel("validation accuracy")
    ax.set_xlim(left=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="lower right")
    ax.set_title(title or "Validation accuracy against training time")
    return fig
