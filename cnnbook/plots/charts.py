"""Charts about the data: :func:`plot_class_counts`, images per class in each split of each dataset.

NumPy and matplotlib only; the figure comes from :mod:`cnnbook.plots.style`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from cnnbook.plots import style

__all__ = ["plot_class_counts"]

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
