"""Argument helpers shared by the NumPy ops: int-or-pair arguments and padding rules."""

from __future__ import annotations

import math

import numpy as np

IntPair = int | tuple[int, int]
Padding = int | tuple[int, int] | str


def pair(value: IntPair, name: str) -> tuple[int, int]:
    """Return ``(value, value)`` for an int, or the pair itself; reject anything else."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), int(value)
    if (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)
    ):
        return int(value[0]), int(value[1])
    raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")


def positive_pair(value: IntPair, name: str) -> tuple[int, int]:
    """Like :func:`pair`, but every entry must be >= 1 (kernel sizes, strides, dilations)."""
    result = pair(value, name)
    if min(result) < 1:
        raise ValueError(f"{name} must be >= 1, got {value!r}")
    return result


def same_padding(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """TensorFlow's ``"SAME"`` rule along one axis: ``(before, after)`` padding.

    The output has ``ceil(size / stride)`` positions; the total padding is
    ``max((ceil(size / stride) - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)`` and the odd
    pixel goes after (bottom / right), as in TensorFlow.
    """
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def resolve_padding(
    padding: Padding,
    in_hw: tuple[int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Turn ``padding`` (int, pair, "valid", "same") into ``((top, bottom), (left, right))``."""
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return (0, 0), (0, 0)
        if mode == "same":
            return (
                same_padding(in_hw[0], kernel[0], stride[0], dilation[0]),
                same_padding(in_hw[1], kernel[1], stride[1], dilation[1]),
            )
        raise ValueError(f"padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
    ph, pw = pair(padding, "padding")
    if min(ph, pw) < 0:
        raise ValueError(f"padding must be >= 0, got {padding!r}")
    return (ph, ph), (pw, pw)


def check_ndim(array: np.ndarray, ndim: int, name: str, layout: str) -> None:
    """Raise a one-line ValueError unless ``array`` has ``ndim`` dimensions."""
    if array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D {layout}, got shape {array.shape}")
