"""The exercises of the chapter "One model, three frameworks" (``book/three_frameworks.ipynb``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnbook.exercises._answers import ints, verdict
from cnnbook.models import catalogue

__all__ = [
    "check_three_frameworks_1",
    "check_three_frameworks_2",
    "check_three_frameworks_3",
]


def _torch_order(height: int, width: int, channels: int) -> np.ndarray:
    """For each position of the torch-flattened ``(c, h, w)`` map, the position of the same value
    in the Keras-flattened ``(h, w, c)`` map: what :func:`cnnbook.models.port.flatten_permutation`
    gives (that module imports the frameworks; the tests compare the two)."""
    keras_index = np.arange(height * width * channels).reshape(height, width, channels)
    return keras_index.transpose(2, 0, 1).ravel()  # (c*h*w,) in torch order


def _entering_flatten(name: str) -> tuple[int, int, int]:
    """``(h, w, c)`` of the map that the catalogue model ``name`` flattens, from its spec."""
    table = catalogue.get(name).spec.param_table()
    labels = [label for label, _, _ in table]
    c, h, w = table[labels.index("flatten") - 1][1]
    return h, w, c


def check_three_frameworks_1(perm: Any) -> bool:
    """``flatten_permutation(2, 2, 3)``: for each of the 12 positions of PyTorch's flat vector of a
    map with h = 2, w = 2, c = 3, the position in Keras's flat vector that holds the same value."""
    answer = ints(perm, 12) if not isinstance(perm, np.ndarray) else ints(perm.tolist(), 12)
    right = answer is not None and answer == tuple(_torch_order(2, 2, 3).tolist())
    return verdict(right, "PyTorch's vector runs through every position of channel 0 first; "
                          "for each of its entries, write down where Keras's (h, w, c) order "
                          "put that value, channel fastest.")


def check_three_frameworks_2(answer: Any) -> bool:
    """The post's PyTorch model (``post_pytorch``, 32x32 colour inputs): ``(map, keras, torch)``,
    the ``(h, w, c)`` map entering its Flatten and the shape of fc1's matrix in Keras and in
    PyTorch."""
    h, w, c = _entering_flatten("post_pytorch")
    table = {label: shape for label, shape, _ in catalogue.get("post_pytorch").spec.param_table()}
    (units,) = table["fc1"]
    expected = ((h, w, c), (h * w * c, units), (units, h * w * c))
    try:
        given = tuple(ints(list(part), len(want)) for part, want in zip(answer, expected,
                                                                         strict=True))
    except (TypeError, ValueError):
        return verdict(False, "give three shapes: ((h, w, c), keras_shape, torch_shape).")
    return verdict(given == expected, "follow the shapes layer by layer: a 3x3 convolution without "
                                      "padding makes the map one pixel smaller on every side, a "
                                      "2x2 pool halves it, rounding down; Keras stores a dense "
                                      "matrix as (in, out), PyTorch as (out, in).")


def check_three_frameworks_3(count: Any) -> bool:
    """Without the permutation, how many of the inputs of the post's Keras model's fc1 meet the
    weights they were trained with: how many positions does ``flatten_permutation`` leave in
    place for the map that model flattens?"""
    perm = _torch_order(*_entering_flatten("post_keras"))
    fixed = int((perm == np.arange(perm.size)).sum())
    return verdict(ints([count], 1) == (fixed,),
                   "with s the spatial index (h * width + w), the value of channel c sits at "
                   "c * (height * width) + s in PyTorch's order and at s * channels + c in "
                   "Keras's: count the pairs (c, s) where the two agree.")
