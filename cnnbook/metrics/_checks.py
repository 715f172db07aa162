"""The checks of boxes, class ids and scores, shared by the metrics, ``detection`` and ``plots``.

- Boxes are ``(K, 4)`` ``(x1, y1, x2, y2)`` in pixels, finite, with ``x2 >= x1`` and
  ``y2 >= y1`` (an empty box, ``x2 == x1``, is allowed: it has area 0). A box whose corners come
  in the wrong order is refused rather than scored: pycocotools, which takes ``(x, y, w, h)``,
  would score it differently.
- Masks are integer class maps of any shape (e.g. ``(N, H, W)``) with values in
  ``[0, num_classes)``; there is no ignore index. Class labels (``(N,)`` or per image ``(K_i,)``)
  are checked in the same way; where a function does not know ``num_classes``, only negative
  classes are refused. Floats are refused, even whole ones: a class ``1.5`` or ``nan`` would
  otherwise match no class and be dropped without a word.
- Scores are ``(K,)`` finite numbers, one per box.

Each check raises a one-line ``ValueError`` that names the argument and the first bad index.
A torch tensor is taken too, on any device and with or without a gradient (detached and copied
to the CPU, without importing torch). NumPy only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cnnbook.arrays import as_numpy

__all__ = ["as_numpy", "check_box_list", "check_boxes", "check_detection_lists",
           "check_label_list", "check_labels", "check_mask", "check_score_list", "check_scores"]


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
        array = np.asarray(as_numpy(boxes), dtype=np.float64)
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
    reversed_ = array[:, 2:] < array[:, :2]  # (K, 2): x2 < x1, y2 < y1
    if reversed_.any():
        i = int(np.argmax(reversed_.any(axis=1)))  # the first bad box, whichever axis
        axis = "x" if reversed_[i, 0] else "y"
        raise ValueError(f"{name}[{i}] = {_show(array[i])} has {axis}2 < {axis}1 (boxes are "
                         f"(x1, y1, x2, y2))")
    return array


def check_box_list(items: Sequence[object], name: str,
                   n: int | None = None) -> list[np.ndarray]:
    """:func:`check_boxes` of each image's boxes, named ``name[i]``; ``n`` images if given."""
    if n is not None and len(items) != n:
        raise ValueError(f"{name} has {len(items)} images, expected {n}")
    return [check_boxes(b, f"{name}[{i}]") for i, b in enumerate(items)]


def check_mask(mask: object, num_classes: int | None, name: str = "mask") -> np.ndarray:
    """``mask`` as an integer array of any shape after checking that every value is a class in
    ``[0, num_classes)`` (``num_classes=None``: any class ``>= 0``).

    Raises:
        ValueError: one line, naming ``name``, the first bad value and its index, e.g.
            ``target has class 12 at (0, 3, 4), outside [0, 11)``.
    """
    if num_classes is not None and num_classes < 1:
        raise ValueError(f"num_classes must be positive, not {num_classes}")
    array = np.asarray(as_numpy(mask))
    if array.size == 0:
        return array
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must hold integer classes, not {array.dtype}")
    bad = (array < 0) if num_classes is None else (array < 0) | (array >= num_classes)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        where = index[0] if len(index) == 1 else index
        bound = "negative" if num_classes is None else f"outside [0, {num_classes})"
        raise ValueError(f"{name} has class {int(array[index])} at {where}, {bound}")
    return array


def check_labels(labels: object, name: str, num_classes: int | None,
                 n: int | None = None) -> np.ndarray:
    """``labels`` as ``(K,)`` int64 classes after :func:`check_mask`; ``n`` of them if given
    (e.g. one per box).

    Raises:
        ValueError: one line, e.g. ``gt_labels[1] has class 12 at 3, outside [0, 10)`` or
            ``labels has 2 labels, expected 3``.
    """
    array = check_mask(np.asarray(as_numpy(labels)).reshape(-1), num_classes, name)
    if n is not None and len(array) != n:
        raise ValueError(f"{name} has {len(array)} labels, expected {n}")
    return array.astype(np.int64)


def check_label_list(items: Sequence[object], name: str, num_classes: int | None,
                     lengths: Sequence[int] | None = None) -> list[np.ndarray]:
    """:func:`check_labels` of each image's labels ``(K_i,)``, named ``name[i]``; with
    ``lengths`` (e.g. each image's number of boxes), image ``i`` has ``lengths[i]`` labels."""
    if lengths is not None and len(items) != len(lengths):
        raise ValueError(f"{name} has {len(items)} images, expected {len(lengths)}")
    return [check_labels(item, f"{name}[{i}]", num_classes,
                         None if lengths is None else lengths[i])
            for i, item in enumerate(items)]


def check_scores(scores: object, name: str, n: int) -> np.ndarray:
    """``scores`` as ``(n,)`` float64 after checking that there are ``n`` (one per box) and
    that every one is finite.

    Raises:
        ValueError: one line, e.g. ``det_scores[0][4] = nan is not finite``.
    """
    try:
        array = np.asarray(as_numpy(scores), dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers, one per box") from None
    if len(array) != n:
        raise ValueError(f"{name} has {len(array)} scores, expected {n} (one per box)")
    finite = np.isfinite(array)
    if not finite.all():
        i = int(np.argmin(finite))
        raise ValueError(f"{name}[{i}] = {array[i]:g} is not finite")
    return array


def check_score_list(items: Sequence[object], name: str,
                     lengths: Sequence[int]) -> list[np.ndarray]:
    """:func:`check_scores` of each image's scores, named ``name[i]``: image ``i`` has
    ``lengths[i]`` (its number of boxes)."""
    if len(items) != len(lengths):
        raise ValueError(f"{name} has {len(items)} images, expected {len(lengths)}")
    return [check_scores(s, f"{name}[{i}]", k)
            for i, (s, k) in enumerate(zip(items, lengths, strict=True))]


def check_detection_lists(
        gt_boxes: Sequence[object], gt_labels: Sequence[object], det_boxes: Sequence[object],
        det_scores: Sequence[object], det_labels: Sequence[object], num_classes: int,
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray], list[np.ndarray],
           list[np.ndarray]]:
    """The per-image arguments of COCO's evaluation, checked: ``(gt_boxes, gt_labels,
    det_boxes, det_scores, det_labels)`` as lists of ``(K_i, 4)`` float64 boxes, ``(K_i,)``
    int64 classes in ``[0, num_classes)`` and ``(K_i,)`` finite float64 scores, one list entry
    per image (as many images in each)."""
    gtb = check_box_list(gt_boxes, "gt_boxes")
    gtl = check_label_list(gt_labels, "gt_labels", num_classes, [len(b) for b in gtb])
    dtb = check_box_list(det_boxes, "det_boxes", len(gtb))
    dts = check_score_list(det_scores, "det_scores", [len(b) for b in dtb])
    dtl = check_label_list(det_labels, "det_labels", num_classes, [len(b) for b in dtb])
    return gtb, gtl, dtb, dts, dtl
