"""Segmentation figures: scenes with their true and predicted class masks.

Masks are integer class maps ``(N, H, W)``: 0 is the background (white), class ``c >= 1`` gets
the book's class colour ``style.class_colour(c - 1)`` (:data:`cnnbook.plots.style.CLASS_COLOURS`:
digit ``c - 1`` has the same colour in every figure, none of them dark like ink), with a legend
that names them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from cnnbook.metrics._checks import check_mask
from cnnbook.plots import style

__all__ = ["CLASS_COLOURS", "mask_cmap", "show_segmentations"]

CLASS_COLOURS = style.CLASS_COLOURS  # the colours of mask classes 1, 2, ...


def mask_cmap(num_classes: int) -> ListedColormap:
    """:data:`style.BACKGROUND` for class 0, then :data:`CLASS_COLOURS` for classes 1 .. C - 1."""
    if not 2 <= num_classes <= len(CLASS_COLOURS) + 1:
        raise ValueError(f"num_classes must be in 2..{len(CLASS_COLOURS) + 1}, not {num_classes}")
    return ListedColormap([style.BACKGROUND, *CLASS_COLOURS[:num_classes - 1]])


def show_segmentations(images: Any, truth: Any, predicted: Any, *, num_classes: int,
                       class_names: Sequence[str] | None = None,
                       titles: Sequence[str] | None = None,
                       title: str | None = None) -> Figure:
    """One column per scene: the image, the true mask, the predicted mask.

    Args:
        images: ``(N, 1, H, W)`` (NCHW) or ``(N, H, W)`` grey images.
        truth, predicted: ``(N, H, W)`` integer class masks, 0 the background.
        num_classes: classes of the masks, background included (11 for digit scenes).
        class_names: names of classes ``1 .. num_classes - 1`` for the legend.
        titles: one line above each column (e.g. the scene's IoU).
        title: the figure's title.

    Raises:
        ValueError: one line: shapes that differ, or a mask value that is not an integer class
            in ``[0, num_classes)`` (naming the mask and the first bad pixel's index).
    """
    x = np.asarray(images)
    x = x[:, 0] if x.ndim == 4 else x
    t, p = check_mask(truth, num_classes, "truth"), check_mask(predicted, num_classes, "predicted")
    if x.ndim != 3 or t.shape != x.shape or p.shape != x.shape:
        raise ValueError(f"images {np.asarray(images).shape}, truth {t.shape} and predicted "
                         f"{p.shape} must be (N, H, W) (images may be (N, 1, H, W))")
    if titles is not None and len(titles) != len(x):
        raise ValueError(f"{len(titles)} titles for {len(x)} scenes")
    names = list(class_names) if class_names is not None else [
        str(c) for c in range(1, num_classes)]
    if len(names) != num_classes - 1:
        raise ValueError(f"{len(names)} class names for {num_classes - 1} classes")
    cmap = mask_cmap(num_classes)
    n = len(x)
    fig, axes = style.subplots(3, n, figsize=(style.PANEL_INCHES * n + 1.2,
                                              style.PANEL_INCHES * 3 + 0.4), squeeze=False)
    for col in range(n):
        axes[0, col].imshow(x[col], cmap=style.IMAGE_CMAP, vmin=0, vmax=1)
        for row, mask in ((1, t[col]), (2, p[col])):
            axes[row, col].imshow(mask, cmap=cmap, vmin=-0.5, vmax=num_classes - 0.5,
                                  interpolation="nearest")
        if titles is not None:
            axes[0, col].set_title(titles[col], fontsize=8)
        for row in range(3):
            style.no_ticks(axes[row, col])
    for row, label in enumerate(("image", "truth", "predicted")):
        axes[row, 0].set_ylabel(label)
    fig.legend(handles=[Patch(color=cmap(c), label=names[c - 1]) for c in range(1, num_classes)],
               loc="outside right center", fontsize=7, frameon=False)
    if title:
        fig.suptitle(title)
    return fig
