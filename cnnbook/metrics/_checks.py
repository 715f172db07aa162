"""The one check of boxes and class masks, shared by the metrics, ``detection`` and ``plots``.

- Boxes are ``(K, 4)`` ``(x1, y1, x2, y2)`` in pixels, finite, with ``x2 >= x1`` and
  ``y2 >= y1`` (an empty box, ``x2 == x1``, is allowed: it has area 0). A box whose corners come
  in the wrong order is refused rather than scored: pycocotools, which takes ``(x, y, w, h)``,
  would score it differently.
- Masks are integer class maps of any shape (e.g. ``(N, H, W)``) with values in
  ``[0, num_classes)``; there is no ignore index.

Each check raises a one-line ``ValueError`` that names the argument and the first bad index.
NumPy only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["check_box_list", "check_boxes", "check_mask"]


def _show(row: np.ndarray) -> str:
    return "(" + ", ".join(f"{v:g}" for v in row) + ")"


def check_boxes(boxes: object, name: str = "boxes") -> np.ndarray:
    """``boxes`` as a ``(K, 4)`` float64 array ``(x1, y1, x2, y2)`` (an empty input gives
    ``(0, 4)``), after checking the shape, that every coordinate is finite and that
    ``x2 >= x1`` and ``y2 >= y1``.

    Raises:
        ValueError: one line, naming ``name`` and the first bad box, e.g.
            ``boxes[3] = (5, 0, 2, 4) has x2 < x1``.
    """
    try:
        array = np.asarray(boxes, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be boxes (K, 4) as (x1, y1, x2, y2), numbers") from None
    if array.size == 0:
        return array.reshape(0, 4)
    if array.ndim != 2 or array.shape[1] != 4:
        raise ValueError(f"{name} must be boxes (K, 4) as (x1, y1, x2, y2), got shape "
                         f"{array.shape}")
    finite = np.isfinite(array).all(axis=1)  # (K,)
    if not finite.all():
        i = int(np.argmin(finite))
        raise ValueError(f"{name}[{i}] = {_show(array[i])} has a non-finite coordinate")
    for lo, hi, axis in ((0, 2, "x"), (1, 3, "y")):
        reversed_ = array[:, hi] < array[:, lo]  # (K,)
        if reversed_.any():
            i = int(np.argmax(reversed_))
            raise ValueError(f"{name}[{i}] = {_show(array[i])} has {axis}2 < {axis}1 (boxes "
                             f"are (x1, y1, x2, y2))")
    return array


def check_box_list(items: Sequence[object], name: str,
                   n: int | None = None) -> list[np.ndarray]:
    """:func:`check_boxes` of each image's boxes, named ``name[i]``; ``n`` images if given."""
    if n is not None and len(items) != n:
        raise ValueError(f"{name} has {len(items)} images, expected {n}")
    return [check_boxes(b, f"{name}[{i}]") for i, b in enumerate(items)]


def check_mask(mask: object, num_classes: int, name: str = "mask") -> np.ndarray:
    """``mask`` as an integer array of any shape after checking that every value is a class in
    ``[0, num_classes)``.

    Raises:
        ValueError: one line, naming ``name``, the first bad value and its index, e.g.
            ``target has class 12 at (0, 3, 4), outside [0, 11)``.
    """
    if num_classes < 1:
        raise ValueError(f"num_classes must be positive, not {num_classes}")
    array = np.asarray(mask)
    if array.size == 0:
        return array
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must hold integer classes, not {array.dtype}")
    bad = (array < 0) | (array >= num_classes)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        where = index[0] if len(index) == 1 else index
        raise ValueError(f"{name} has class {int(array[index])} at {where}, outside "
                         f"[0, {num_classes})")
    return array
