"""The exercises of the chapter "Hierarchy and receptive fields" (``book/hierarchy.ipynb``)."""

from __future__ import annotations

from typing import Any

from cnnbook.exercises._answers import convs_to_cover, verdict
from cnnbook.models.layers import (
    Conv2dSpec,
    LayerSpec,
    Pool2dSpec,
)
from cnnbook.models.shapes import receptive_field

__all__ = [
    "check_hierarchy_1",
    "check_hierarchy_2",
    "check_hierarchy_3",
]


def check_hierarchy_1(size: Any) -> bool:
    """The receptive field after two 3x3 convolutions, a 2x2 max pool and a 3x3 convolution (no
    padding, stride 1 for the convolutions)."""
    layers: list[LayerSpec] = [Conv2dSpec(1, 1, 3), Conv2dSpec(1, 1, 3), Pool2dSpec(2),
                               Conv2dSpec(1, 1, 3)]
    return verdict(size == receptive_field(layers)[-1].size,
                    "each k x k window adds (k - 1) x jump; the pool doubles the jump for the "
                    "layer after it.")


def check_hierarchy_2(jump: Any) -> bool:
    """The jump (input pixels between neighbouring units) after three 2x2 max pools."""
    layers: list[LayerSpec] = [Pool2dSpec(2), Pool2dSpec(2), Pool2dSpec(2)]
    return verdict(jump == receptive_field(layers)[-1].jump, "every stride multiplies the "
                                                              "jump.")


def check_hierarchy_3(count: Any) -> bool:
    """How many 3x3 convolutions with dilation 2 (stride 1) a unit needs before its field
    covers 28 pixels."""
    return verdict(count == convs_to_cover(28, dilation=2),
                    "a dilated 3x3 window adds (3 - 1) x dilation pixels to the field.")
