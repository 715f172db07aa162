"""The exercises of the chapter "Attribution maps and how to check them"
(``book/attribution.ipynb``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnbook.exercises._answers import all_close, ints, verdict
from cnnbook.explain.perturbation import window_starts
from cnnbook.explain.sanity import ink_mass, rank_correlation

__all__ = [
    "ATTRIBUTION_A",
    "ATTRIBUTION_B",
    "ATTRIBUTION_DIGIT",
    "ATTRIBUTION_MAP",
    "check_attribution_1",
    "check_attribution_2",
    "check_attribution_3",
]


ATTRIBUTION_A = np.array([[0.1, 0.2], [0.3, 0.9]])
ATTRIBUTION_A.flags.writeable = False
"""A 2x2 attribution map."""

ATTRIBUTION_B = np.array([[0.9, 0.2], [0.3, 0.1]])
ATTRIBUTION_B.flags.writeable = False
"""``ATTRIBUTION_A`` with its first and last pixels swapped."""

ATTRIBUTION_DIGIT = np.zeros((4, 4))
ATTRIBUTION_DIGIT[1:3, 1:3] = 1.0
ATTRIBUTION_DIGIT.flags.writeable = False
"""A 4x4 grey "digit" in [0, 1]: ink on the centre 2x2 pixels."""

ATTRIBUTION_MAP = np.ones((4, 4))
ATTRIBUTION_MAP[1:3, 1:3] = 3.0
ATTRIBUTION_MAP.flags.writeable = False
"""A 4x4 attribution map for ``ATTRIBUTION_DIGIT``: 3 on the centre, 1 around it."""


def _positions(side: int, window: int, stride: int) -> int:
    return len(window_starts(side, window, stride)) ** 2


def check_attribution_1(answer: Any) -> bool:
    """``(cifar, mnist)``: the positions of the occlusion square per image, an 8x8 square in
    steps of 4 on a 32x32 image, and a 6x6 square in steps of 2 on a 28x28 image."""
    counts = ints(answer, 2)
    right = counts == (_positions(32, 8, 4), _positions(28, 6, 2))
    return verdict(right, "count the starts along one side, 0, stride, ... up to the last one "
                          "that still leaves the square inside the image, then square it.")


def check_attribution_2(answer: Any) -> bool:
    """``(rho_squared, rho_swapped)``: Spearman's rank correlation of ``ATTRIBUTION_A`` with
    ``ATTRIBUTION_A ** 2`` and with ``ATTRIBUTION_B``."""
    a = ATTRIBUTION_A[None]
    expected = (float(rank_correlation(a, a**2)[0]),
                float(rank_correlation(a, ATTRIBUTION_B[None])[0]))
    right = all_close(answer, expected)
    return verdict(right, "rank the four pixels of each map (1 for the smallest), then "
                          "rho = 1 - 6 sum(d^2) / (n (n^2 - 1)) with d the rank differences; "
                          "the values themselves do not matter.")


def check_attribution_3(answer: Any) -> bool:
    """``(margin, margin_grown)``: the ink margin of ``ATTRIBUTION_MAP`` on
    ``ATTRIBUTION_DIGIT`` (the map's share on the ink minus the ink's share of the image), with
    the ink not grown, and grown by 1 pixel."""
    maps, image = ATTRIBUTION_MAP[None], ATTRIBUTION_DIGIT[None]
    expected = (ink_mass(maps, image, dilation=0).margin,
                ink_mass(maps, image, dilation=1).margin)
    right = all_close(answer, expected)
    return verdict(right, "the map's mass on the ink over its whole mass, minus the share of "
                          "pixels that are ink; growing the ink by one pixel changes both "
                          "shares.")
