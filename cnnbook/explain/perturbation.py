"""Occlusion sensitivity (Zeiler & Fergus, 2014) for any model that maps images to scores.

A ``window`` (all channels at once) slides over the image with ``stride``; at each position the
pixels under it are replaced by ``baseline`` and the model runs again. The drop of the target's
score, ``score(x) - score(occluded x)``, is credited to every pixel under the window, and each
pixel's value is the **mean drop over the windows that covered it**. That is
``captum.attr.Occlusion``'s definition, window positions included: along an axis of size ``H``
the window starts at ``0, s, 2s, ...``, ``ceil((H - h) / s) + 1`` times, and the last window is
cut at the border, so every pixel is covered (the tests check equality with captum).

The model is a ``forward`` function from a NumPy batch to scores ``(B, K)``:
:func:`cnnbook.explain.predictor` for torch and :func:`cnnbook.explain.keras_predictor` for
Keras give one, as logits (captum's equality test) or probabilities (the drop in the true-class
probability, for the figures). Framework-free: NumPy only.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from cnnbook.explain._checks import Target, as_targets, batches, check_layout

__all__ = ["occlusion", "window_starts"]

Forward = Callable[[np.ndarray], np.ndarray]


def _pair(value: int | tuple[int, int], name: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or min(pair) < 1:
        raise ValueError(f"{name} must be a positive int or pair of ints, got {value!r}")
    return int(pair[0]), int(pair[1])


def window_starts(size: int, window: int, stride: int) -> list[int]:
    """Start of each window along one axis: ``0, stride, ...``, ``ceil((size - window) / stride)
    + 1`` of them (the last one may overhang the border and is cut there, as in captum)."""
    if window > size:
        raise ValueError(f"window {window} is larger than the image side {size}")
    if stride > window:
        raise ValueError(f"stride {stride} > window {window} would leave pixels uncovered")
    return [i * stride for i in range(math.ceil((size - window) / stride) + 1)]


def occlusion(forward: Forward, x: np.ndarray, target: Target, *,
              window: int | tuple[int, int], stride: int | tuple[int, int],
              baseline: float | np.ndarray = 0.0, layout: str = "NCHW",
              batch_size: int = 256) -> np.ndarray:
    """Occlusion map ``(N, H, W)``: the mean drop of ``target``'s score over the windows that
    covered each pixel (module docstring).

    Args:
        forward: a NumPy batch in ``layout`` -> scores ``(B, K)`` (logits or probabilities).
        x: ``(N, C, H, W)`` (NCHW) or ``(N, H, W, C)`` (NHWC) images, as the model takes them.
        target: the class whose score is watched, one for all images or one per image.
        window, stride: ``(height, width)`` of the patch and of its steps (an int for both).
        baseline: what occluded pixels become: a number, or one value per channel ``(C,)``.
        layout: ``"NCHW"`` (torch) or ``"NHWC"`` (Keras).
        batch_size: occluded copies per call of ``forward``.
    """
    nchw = check_layout(layout) == "NCHW"
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 4:
        raise ValueError(f"x must be (N, C, H, W) or (N, H, W, C), got shape {x.shape}")
    targets = as_targets(target, len(x))
    xs = x if nchw else x.transpose(0, 3, 1, 2)  # (N, C, H, W) internally
    n, c, h, w = xs.shape
    (wh, ww), (sh, sw) = _pair(window, "window"), _pair(stride, "stride")
    fill = np.broadcast_to(np.asarray(baseline, dtype=np.float32).reshape(-1, 1, 1), (c, 1, 1))
    boxes = [(top, left) for top in window_starts(h, wh, sh) for left in window_starts(w, ww, sw)]

    def score(batch: np.ndarray, cls: int) -> np.ndarray:  # batch (B, C, H, W) -> (B,)
        out = np.asarray(forward(batch if nchw else batch.transpose(0, 2, 3, 1)))
        return out[:, cls].astype(np.float64)

    result = np.zeros((n, h, w), dtype=np.float64)
    count = np.zeros((h, w), dtype=np.float64)
    for top, left in boxes:
        count[top:top + wh, left:left + ww] += 1
    for i in range(n):
        reference = score(xs[i:i + 1], int(targets[i]))[0]
        for part in batches(len(boxes), batch_size):
            occluded = np.repeat(xs[i:i + 1], part.stop - part.start, axis=0)  # (B, C, H, W)
            for j, (top, left) in enumerate(boxes[part]):
                occluded[j, :, top:top + wh, left:left + ww] = fill
            drops = reference - score(occluded, int(targets[i]))  # (B,)
            for (top, left), drop in zip(boxes[part], drops, strict=True):
                result[i, top:top + wh, left:left + ww] += drop
    return (result / count).astype(np.float32)
