"""The exercises of the chapter "What the units respond to" (``book/what_it_learned.ipynb``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnbook.exercises._answers import all_close, close, verdict
from cnnbook.explain.features import class_separation
from cnnbook.explain.patches import orientation_coherence
from cnnbook.models.catalogue import get
from cnnbook.models.layers import Conv2dSpec, LayerSpec
from cnnbook.models.shapes import receptive_field

__all__ = [
    "WHAT_IT_LEARNED_CROSS",
    "WHAT_IT_LEARNED_EDGE",
    "WHAT_IT_LEARNED_FEATURES",
    "WHAT_IT_LEARNED_LABELS",
    "check_what_it_learned_1",
    "check_what_it_learned_2",
    "check_what_it_learned_3",
]


WHAT_IT_LEARNED_EDGE = np.zeros((7, 7))
WHAT_IT_LEARNED_EDGE[:, 3:] = 1.0
WHAT_IT_LEARNED_EDGE.flags.writeable = False
"""A 7x7 grey patch: dark on the left, bright from the middle column on (one vertical edge)."""

WHAT_IT_LEARNED_CROSS = np.zeros((7, 7))
WHAT_IT_LEARNED_CROSS[3, 1:6] = WHAT_IT_LEARNED_CROSS[1:6, 3] = 1.0
WHAT_IT_LEARNED_CROSS.flags.writeable = False
"""A 7x7 grey patch: a bright plus sign, centred, on a dark background."""

WHAT_IT_LEARNED_FEATURES = np.array([[0.0], [2.0], [4.0], [6.0]])
WHAT_IT_LEARNED_FEATURES.flags.writeable = False
"""Four images' features, one feature each (``(N, D)`` = ``(4, 1)``)."""

WHAT_IT_LEARNED_LABELS = np.array([0, 0, 1, 1])
WHAT_IT_LEARNED_LABELS.flags.writeable = False
"""The four images' classes."""


def _conv4_field() -> int:
    """The field of a 3x3 convolution (padding 1) added after ``cifar_resnet_small``'s pool3."""
    layers = list(get("cifar_resnet_small").spec.layers)
    cut = next(i for i, layer in enumerate(layers) if getattr(layer, "label", "") == "pool3")
    grown: list[LayerSpec] = [*layers[:cut + 1], Conv2dSpec(160, 160, 3, padding=1)]
    return receptive_field(grown)[-1].size


def check_what_it_learned_1(size: Any) -> bool:
    """The receptive field, in input pixels, of a 3x3 convolution ``conv4`` (padding 1) added
    after ``cifar_resnet_small``'s last pooling ``pool3``."""
    return verdict(close(size, _conv4_field()), "after pool3 neighbouring units sit a jump of "
                                                "several pixels apart: a 3x3 window adds "
                                                "(3 - 1) x jump to the field.")


def check_what_it_learned_2(answer: Any) -> bool:
    """``(edge, cross)``: the orientation coherence of ``WHAT_IT_LEARNED_EDGE`` and of
    ``WHAT_IT_LEARNED_CROSS``."""
    edge, cross = orientation_coherence([WHAT_IT_LEARNED_EDGE, WHAT_IT_LEARNED_CROSS])
    try:
        mine = [float(v) for v in answer]
    except (TypeError, ValueError):
        mine = []
    right = len(mine) == 2 and all(abs(a - b) < 1e-6 for a, b in zip(mine, (edge, cross),
                                                                   strict=True))
    return verdict(right, "give two numbers in [0, 1]. One edge: are all its gradients "
                          "parallel? The cross: turn it by a quarter turn; what happens to the "
                          "two directions' energies?")


def check_what_it_learned_3(answer: Any) -> bool:
    """``(share, scaled)``: the class separation of ``WHAT_IT_LEARNED_FEATURES`` with classes
    ``WHAT_IT_LEARNED_LABELS``, and the same after multiplying every feature by 10."""
    x, labels = WHAT_IT_LEARNED_FEATURES, WHAT_IT_LEARNED_LABELS
    expected = (class_separation(x, labels), class_separation(10 * x, labels))
    right = all_close(answer, expected)
    return verdict(right, "give two shares in [0, 1]: the squared distances of the class "
                          "means from the overall mean (each counted once per member), over "
                          "the squared distances of all points; then ask what a common scale "
                          "does to a ratio.")
