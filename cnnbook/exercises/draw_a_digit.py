"""The exercises of the chapter "Draw a digit" (``book/draw_a_digit.ipynb``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnbook.datasets.images import mnist_style
from cnnbook.exercises._answers import ints, verdict
from cnnbook.models.catalogue import get

__all__ = [
    "check_draw_a_digit_1",
    "check_draw_a_digit_2",
    "check_draw_a_digit_3",
    "check_draw_a_digit_4",
    "ink_bar",
]

_MODEL = "post_tensorflow"  # the page's model


def ink_bar(height: int, width: int, *, margin: int = 20) -> np.ndarray:
    """A picture as the drawing pad gives one: uint8 ``(height + 2 margin, width + 2 margin)``,
    a solid black bar ``height x width`` on white paper, ``margin`` pixels of paper around it."""
    paper = np.full((height + 2 * margin, width + 2 * margin), 255, dtype=np.uint8)
    paper[margin:margin + height, margin:margin + width] = 0
    return paper


def _ink_box(height: int, width: int) -> tuple[int, int, int, int]:
    """``(top, left, rows, columns)`` of the ink that :func:`mnist_style` makes of a bar."""
    digit, _ = mnist_style(ink_bar(height, width))
    rows, cols = np.nonzero(digit)
    return (int(rows.min()), int(cols.min()), int(rows.max() - rows.min() + 1),
            int(cols.max() - cols.min() + 1))


def check_draw_a_digit_1(answer: Any) -> bool:
    """``(conv1, fc1)``: the parameters of the page's model (``post_tensorflow``) in its
    convolution and in its dense layer, biases included."""
    table = {name: n for name, _, n in get(_MODEL).spec.param_table()}
    return verdict(ints(answer, 2) == (table["conv1"], table["fc1"]),
                   "give two integers, (conv1, fc1): a filter has a weight per tap and per input "
                   "channel, and a bias; the dense layer has a weight from every pooled value "
                   "to every class, and a bias per class.")


def check_draw_a_digit_2(answer: Any) -> bool:
    """``(rows, columns)``: the size of the ink in the 28x28 input that ``mnist_style`` makes of
    a solid bar 45 pixels tall and 100 wide (``ink_bar(45, 100)``)."""
    return verdict(ints(answer, 2) == _ink_box(45, 100)[2:],
                   "the longer side is fitted to MNIST's box and the shorter one keeps the "
                   "proportions (rounded); answer (rows, columns).")


def check_draw_a_digit_3(answer: Any) -> bool:
    """``(top, left)``: the first row and column of ink in the 28x28 input that ``mnist_style``
    makes of a solid bar 60 pixels tall and 30 wide (``ink_bar(60, 30)``)."""
    return verdict(ints(answer, 2) == _ink_box(60, 30)[:2],
                   "fit the bar first; then its centre of mass, with pixel centres at integer "
                   "coordinates, goes to coordinate size / 2, not the centre of its box.")


def check_draw_a_digit_4(answer: Any) -> bool:
    """``(size, jump)``: the receptive field of one value of the pooled maps of the page's model,
    its side in input pixels, and the step in input pixels between neighbouring values."""
    pooled = next(f for f in get(_MODEL).spec.receptive_field() if f.name == "pool1")
    return verdict(ints(answer, 2) == (pooled.size, pooled.jump),
                   "a pooled value looks at one pooling window of convolution outputs; "
                   "neighbouring convolution outputs are one pixel apart and each sees a "
                   "patch the size of the filter.")
