"""What every chapter's checkers share: the verdict line and the forms an answer may take."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from cnnbook.models.layers import Conv2dSpec, LayerSpec, Pool2dSpec
from cnnbook.models.shapes import receptive_field
from cnnbook.models.specs import Architecture


def verdict(right: bool, hint: str, well: str = "Right.") -> bool:
    print(well if right else f"Not yet: {hint}")
    return right


def close(answer: Any, expected: float, rel: float = 1e-3) -> bool:
    try:
        return math.isclose(float(answer), expected, rel_tol=rel, abs_tol=1e-9)
    except (TypeError, ValueError):
        return False


def all_close(answer: Any, expected: Sequence[float], rel: float = 1e-3) -> bool:
    """``answer`` is as many numbers as ``expected``, each :func:`close` to its own."""
    if not isinstance(answer, Sequence) or isinstance(answer, str) or len(answer) != len(expected):
        return False
    return all(close(a, e, rel) for a, e in zip(answer, expected, strict=True))


def wrong_names(names: Sequence[str], values: Sequence[Any], expected: Sequence[Any],
                same: Callable[[Any, Any], bool] = operator.eq) -> list[str]:
    """The names of the parts of an answer that are not ``same`` as expected, in order."""
    return [name for name, v, e in zip(names, values, expected, strict=True) if not same(v, e)]


def with_layer(spec: Architecture, layer: LayerSpec) -> Architecture:
    """``spec`` with its layer labelled as ``layer`` replaced by ``layer``."""
    label = getattr(layer, "label", None)
    layers = tuple(layer if getattr(old, "label", None) == label else old for old in spec.layers)
    return Architecture(spec.input_shape, layers)


def layer_params(spec: Architecture, label: str) -> int:
    """The parameters of the layers of ``spec`` labelled ``label``."""
    return sum(p for name, _, p in spec.param_table() if name == label)


def ints(answer: Any, length: int) -> tuple[int, ...] | None:
    """``answer`` as ``length`` integers, or ``None`` when it is not that."""
    if not isinstance(answer, Sequence) or isinstance(answer, str) or len(answer) != length:
        return None
    try:
        values = tuple(int(v) for v in answer)
    except (TypeError, ValueError):
        return None
    return values if all(v == a for v, a in zip(values, answer, strict=True)) else None


def as_array(answer: Any, shape: tuple[int, ...]) -> np.ndarray | None:
    try:
        array = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array if array.shape == shape else None


def convs_to_cover(size: int, *, dilation: int = 1, pool_every: int | None = None) -> int:
    """How many 3x3 convolutions (stride 1, ``dilation``), with a 2x2 max pool after every
    ``pool_every`` of them, a unit needs before its receptive field covers ``size`` pixels."""
    layers: list[LayerSpec] = []
    convs = 0
    while not layers or receptive_field(layers)[-1].size < size:
        layers.append(Conv2dSpec(1, 1, 3, dilation=dilation))
        convs += 1
        if pool_every and convs % pool_every == 0 and receptive_field(layers)[-1].size < size:
            layers.append(Pool2dSpec(2))
    return convs
