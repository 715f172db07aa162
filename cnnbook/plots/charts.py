"""Bar charts: images per class, and values side by side (e.g. accuracy per experiment).

- :func:`plot_class_counts`: images per class in each split of each dataset.
- :func:`plot_bars`: grouped horizontal bars, e.g. validation and test accuracy per experiment.
- :func:`plot_tradeoff`: accuracy against costs (parameters, multiply-accumulates), one point per
  model with the spread of its runs.
- :func:`plot_spread`: a score against a budget (e.g. labels per class), one line per method
  through the mean of its runs, with the spread of the runs as a band.

NumPy and matplotlib only; the figure comes from :mod:`cnnbook.plots.style`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter, PercentFormatter

from cnnbook.plots import style

__all__ = ["plot_bars", "plot_class_counts", "plot_spread", "plot_tradeoff"]

HATCHES = (None, "//", "..", "xx")  # a second cue besides colour, one per split


def plot_class_counts(
    datasets: Mapping[str, Sequence[Any]],
    *,
    split_names: Sequence[str] = ("train", "test"),
    num_classes: int | None = None,
    title: str | None = "Images per class",
) -> Figure:
    """Side-by-side bars of how many images each class has, one panel per dataset.

    Args:
        datasets: ``{name: (y_train, y_test)}``, integer class ids ``(N,)`` per split, e.g.
            ``{"MNIST": (y_train, y_test), "CIFAR-10": (...)}``; one label array per split name.
        split_names: the splits' names, in the order of the label arrays.
        num_classes: classes on the x axis (default: the largest label + 1, over everything).
    """
    if not datasets:
        raise ValueError("nothing to show: got no datasets")
    splits = {name: [np.asarray(y, dtype=int) for y in ys] for name, ys in datasets.items()}
    for name, ys in splits.items():
        if len(ys) != len(split_names):
            raise ValueError(f"{name}: got {len(ys)} label arrays for splits {list(split_names)}")
    if num_classes is None:
        num_classes = 1 + max(int(y.max()) for ys in splits.values() for y in ys if y.size)
    classes = np.arange(num_classes)
    width = 0.8 / len(split_names)
    fig, axes = style.subplots(1, len(splits), figsize=(4.0 * len(splits), 3.4), squeeze=False)
    for ax, (name, ys) in zip(axes[0], splits.items(), strict=True):
        for i, (split, y) in enumerate(zip(split_names, ys, strict=True)):
            offset = (i - (len(split_names) - 1) / 2) * width
            ax.bar(classes + offset, np.bincount(y, minlength=num_classes), width=width,
                   label=split, color=style.CYCLE[i % len(style.CYCLE)],
                   hatch=HATCHES[i % len(HATCHES)], edgecolor="white")
        sizes = " / ".join(f"{len(y):,} {split}" for split, y in zip(split_names, ys, strict=True))
        ax.set_title(f"{name}: {sizes}", fontsize=10)
        ax.set_xlabel("class label")
        ax.set_ylabel("images")
        ax.set_xticks(classes)
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center",
               ncols=len(split_names))
    if title:
        fig.suptitle(title)
    return fig


def plot_bars(
    values: Mapping[str, Sequence[float]],
    categories: Sequence[str],
    *,
    xlabel: str | None = None,
    fmt: str | None = "{:.1%}",
    limits: tuple[float, float] | None = None,
    title: str | None = None,
) -> Figure:
    """Grouped horizontal bars: one row per category, top to bottom, one bar per series.

    Args:
        values: ``{series: one value per category}``, e.g. ``{"validation": [...], "test": [...]}``;
            a NaN draws no bar (a value that was not measured).
        categories: the row labels, in order (the first at the top); long names read well here.
        xlabel: the value axis's label.
        fmt: how the value written at the end of each bar is formatted (``None``: no values).
        limits: the value axis's range (default: from 0 to a little beyond the largest value).
    """
    if not values:
        raise ValueError("nothing to show: got no series")
    series = {name: np.asarray(v, dtype=float) for name, v in values.items()}
    for name, v in series.items():
        if v.shape != (len(categories),):
            raise ValueError(f"{name}: got {v.size} values for {len(categories)} categories")
    rows = np.arange(len(categories))
    height = 0.8 / len(series)
    fig, ax = style.subplots(figsize=(6.4, 0.9 + 0.28 * len(categories) * len(series)))
    for i, (name, v) in enumerate(series.items()):
        offset = (i - (len(series) - 1) / 2) * height
        bars = ax.barh(rows + offset, np.nan_to_num(v), height=height, label=name,
                       color=style.CYCLE[i % len(style.CYCLE)], hatch=HATCHES[i % len(HATCHES)],
                       edgecolor="white")
        for bar, value in zip(bars, v, strict=True):
            if np.isnan(value):
                bar.set_visible(False)
            elif fmt is not None:
                ax.annotate(fmt.format(value), (value, bar.get_y() + bar.get_height() / 2),
                            xytext=(3, 0), textcoords="offset points", va="center",
                            fontsize=8)
    ax.set_yticks(rows, list(categories))
    ax.invert_yaxis()  # the first category at the top
    finite = np.concatenate([v[~np.isnan(v)] for v in series.values()])
    top = float(finite.max()) if finite.size else 1.0
    ax.set_xlim(limits if limits is not None else (0.0, 1.15 * top if top > 0 else 1.0))
    ax.grid(axis="x", alpha=0.3)
    if xlabel:
        ax.set_xlabel(xlabel)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=len(series))
    if title:
        ax.set_title(title)
    return fig


MARKERS = ("o", "s", "^", "D", "v", "P", "X")  # a second cue besides colour, one per model


def plot_tradeoff(
    scores: Mapping[str, Sequence[float]],
    costs: Mapping[str, Mapping[str, float]],
    *,
    ylabel: str = "test accuracy",
    percent: bool = True,
    title: str | None = None,
) -> Figure:
    """A score against each cost, one panel per cost on a log axis: a point per model at the
    mean of its runs, with a bar from the lowest run to the highest.

    Args:
        scores: ``{model: one score per run}``, e.g. test accuracy per seed; the models in the
            order of the legend.
        costs: ``{cost name: {model: cost}}``, e.g. ``{"parameters": {...}, "multiply-accumulates
            per image": {...}}``; every model needs a positive cost in each.
        ylabel: the score axis's label; with ``percent`` its ticks read as percentages of 1.
    """
    if not scores or not costs:
        raise ValueError("nothing to show: plot_tradeoff needs scores and at least one cost")
    runs = {name: np.asarray(v, dtype=float) for name, v in scores.items()}
    for name, v in runs.items():
        if v.ndim != 1 or v.size == 0 or not np.isfinite(v).all():
            raise ValueError(f"{name}: needs one or more finite scores, got {v.tolist()}")
    for cost, by_model in costs.items():
        missing = [name for name in runs if not by_model.get(name, 0) > 0]
        if missing:
            raise ValueError(f"{cost}: no positive cost for {', '.join(missing)}")
    fig, axes = style.subplots(1, len(costs), figsize=(3.4 * len(costs), 3.4), sharey=True,
                               squeeze=False)
    for ax, (cost, by_model) in zip(axes[0], costs.items(), strict=True):
        for i, (name, v) in enumerate(runs.items()):
            mean = float(v.mean())
            ax.errorbar([by_model[name]], [mean], yerr=[[mean - v.min()], [v.max() - mean]],
                        fmt=MARKERS[i % len(MARKERS)], color=style.CYCLE[i % len(style.CYCLE)],
                        capsize=3, markersize=7, label=name)
        ax.set_xscale("log")
        ax.set_xlabel(cost)
        ax.grid(alpha=0.3, which="both")
    axes[0][0].set_ylabel(ylabel)
    if percent:
        axes[0][0].yaxis.set_major_formatter(PercentFormatter(1.0))
    fig.legend(*axes[0][0].get_legend_handles_labels(), loc="outside lower center",
               ncols=min(len(runs), 4))
    if title:
        fig.suptitle(title)
    return fig


def plot_spread(
    series: Mapping[str, Mapping[float, Sequence[float]]],
    *,
    xlabel: str,
    ylabel: str = "test accuracy",
    log_x: bool = True,
    percent: bool = True,
    title: str | None = None,
) -> Figure:
    """A score against a budget: one line per series through the mean of its runs at each
    budget, markers at the means, and a band from the lowest run to the highest.

    Args:
        series: ``{method: {budget: one score per run}}``, e.g. ``{"fine-tune": {10: [0.8,
            0.82], 50: [...]}}``; the budgets may differ between methods.
        xlabel, ylabel: the axes' labels; ``log_x`` puts the budgets on a log axis.
        percent: the score's ticks read as percentages of 1.
    """
    if not series:
        raise ValueError("nothing to show: plot_spread needs at least one series")
    fig, ax = style.subplots(figsize=(6.4, 3.8))
    for i, (name, runs) in enumerate(series.items()):
        if not runs:
            raise ValueError(f"{name}: no budgets")
        xs = sorted(runs)
        values = [np.asarray(runs[x], dtype=float) for x in xs]
        if any(v.size == 0 or not np.isfinite(v).all() for v in values):
            raise ValueError(f"{name}: every budget needs one or more finite scores")
        colour = style.CYCLE[i % len(style.CYCLE)]
        ax.plot(xs, [v.mean() for v in values], color=colour,
                ls=style.LINESTYLES[i % len(style.LINESTYLES)],
                marker=MARKERS[i % len(MARKERS)], label=name)
        ax.fill_between(xs, [v.min() for v in values], [v.max() for v in values],
                        color=colour, alpha=0.2, linewidth=0)
    if log_x:
        ax.set_xscale("log")
    budgets = sorted({x for runs in series.values() for x in runs})
    ax.set_xticks(budgets, [f"{x:g}" for x in budgets])  # the budgets, as plain numbers
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if percent:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    if title:
        ax.set_title(title)
    return fig
