"""The exercises of the chapter "Use the models outside the book" (``book/use_outside.ipynb``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnbook.cli import BadInput
from cnnbook.cli._common import check_fit
from cnnbook.datasets.fetch import get_dataset
from cnnbook.datasets.images import mnist_style, to_model_input
from cnnbook.exercises._answers import close, ints, verdict
from cnnbook.models import catalogue

__all__ = [
    "USE_OUTSIDE_NORMALISATION",
    "check_use_outside_1",
    "check_use_outside_2",
    "check_use_outside_3",
]

USE_OUTSIDE_NORMALISATION = ((0.1307,), (0.3081,))
"""Exercise 3: a checkpoint's ``(mean, std)`` per channel, of images scaled to [0, 1]."""


def _trainable_on(dataset: str) -> set[str]:
    """The catalogue models that ``cnnbook train MODEL --data dataset`` accepts."""
    data = get_dataset(dataset)
    names = set()
    for entry in catalogue.entries():
        try:
            check_fit(entry, data)
        except BadInput:
            continue
        names.add(entry.name)
    return names


def check_use_outside_1(names: Any) -> bool:
    """The catalogue models that ``cnnbook train MODEL --data fashion-mnist`` accepts (any
    collection of names)."""
    if isinstance(names, str) or not hasattr(names, "__iter__"):
        return verdict(False, "give a list or set of model names.")
    given = {str(name) for name in names}
    return verdict(given == _trainable_on("fashion-mnist"),
                   "the command trains classifiers with a torch builder whose input (C x H x W) "
                   "is the dataset's image shape and whose output is one score per class.")


def _ink_box(height: int, width: int) -> tuple[int, int]:
    """The ink box, after ``mnist_style``, of a dark bar ``height`` x ``width`` on white paper."""
    paper = np.full((height + 40, width + 40), 255, dtype=np.uint8)
    paper[20:20 + height, 20:20 + width] = 30  # dark ink
    seen, _ = mnist_style(paper)  # (28, 28)
    rows, cols = np.nonzero(seen)
    return int(np.ptp(rows)) + 1, int(np.ptp(cols)) + 1


def check_use_outside_2(answer: Any) -> bool:
    """A scanned "1" whose ink fills a box 150 pixels tall and 30 wide: ``(height, width)`` of its
    ink box in the 28x28 image that ``mnist_style`` makes."""
    return verdict(ints(answer, 2) == _ink_box(150, 30),
                   "the crop is scaled so that its longer side fits MNIST's box (see 'A digit of "
                   "our own'), and the shorter side keeps the proportions, rounded.")


def check_use_outside_3(answer: Any) -> bool:
    """``(background, ink)``: what the model receives for a black background pixel and a full-ink
    pixel of a digit, with ``USE_OUTSIDE_NORMALISATION``."""
    picture = np.full((60, 60, 3), 255, dtype=np.uint8)
    picture[15:45, 25:35] = 0  # black ink on white paper
    x, _ = to_model_input(picture, (1, 28, 28), dataset="mnist",
                          normalisation=USE_OUTSIDE_NORMALISATION)  # (1, 1, 28, 28)
    try:
        background, ink = (float(v) for v in answer)
    except (TypeError, ValueError):
        return verdict(False, "give two numbers: (background, ink).")
    right = close(background, float(x.min())) and close(ink, float(x.max()))
    return verdict(right, "the model gets (x - mean) / std, with x the pixel scaled to [0, 1] "
                          "after the inversion to light strokes on black.")
