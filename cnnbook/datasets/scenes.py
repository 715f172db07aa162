"""Scenes of real MNIST digits for segmentation and detection: ``make_scenes()``.

The scenes are composed by the book from real MNIST digits: a teaching data set, in the tradition
of d2l's banana-detection data, not a published benchmark. Each scene places 1 to 4 digits (by
default) on a black ``canvas x canvas`` picture, each digit scaled up by a random factor so that
its strokes are several pixels wide, at a random position. For each scene the generator returns:

- the image, float32 in ``[0, 1]``, NCHW ``(N, 1, H, W)``;
- the **per-pixel class mask** ``(N, H, W)`` int64: 0 is background, ``1 + d`` a pixel of a digit
  ``d`` whose (scaled) ink is at least ``ink_threshold``;
- the **instance boxes** ``(K, 4)`` float32 ``x0, y0, x1, y1`` in pixels (``x1``, ``y1``
  exclusive), each the bounding box of one digit's thresholded ink, with their digit labels.

By default digits do not overlap (their boxes may touch). With ``overlap=True`` boxes may
intersect: the image keeps the brighter ink of the two digits, the overlapping ink pixels go to
the digit placed last in the mask, and every digit keeps its whole box.

Training scenes draw only MNIST-train digits and test scenes only MNIST-test digits, so nothing
leaks; ``Scenes.sources`` gives each digit's index into the split that
:func:`cnnbook.datasets.load_mnist` returns. The same arguments always give the same scenes.
NumPy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from cnnbook.datasets.loaders import load_mnist

__all__ = ["NUM_SEGMENT_CLASSES", "Scenes", "glyph", "make_scenes"]

#: Classes of the mask: background plus the ten digits.
NUM_SEGMENT_CLASSES = 11

_DIGIT = 28           # MNIST digit side
_TRIES = 200          # positions tried per digit before a scene is drawn again
_RESTARTS = 1000      # scenes drawn again before giving up


@dataclass(frozen=True)
class Scenes:
    """``n`` scenes; the lists hold one array per scene.

    Attributes:
        images: ``(N, 1, H, W)`` float32 in ``[0, 1]``, NCHW.
        masks: ``(N, H, W)`` int64; 0 background, ``1 + digit`` for a digit's ink (11 classes).
        boxes: per scene ``(K_i, 4)`` float32 ``x0, y0, x1, y1`` in pixels, ``x1``/``y1``
            exclusive, in the order the digits were placed.
        labels: per scene ``(K_i,)`` int64 digit classes 0-9.
        sources: per scene ``(K_i,)`` int64 index of each digit in its MNIST split.
        scales: per scene ``(K_i,)`` float64 scale factor of each digit.
        split: ``"train"`` or ``"test"``: the MNIST split the digits came from.
        seed: the seed that drew the scenes.
    """

    images: np.ndarray
    masks: np.ndarray
    boxes: list[np.ndarray]
    labels: list[np.ndarray]
    sources: list[np.ndarray]
    scales: list[np.ndarray]
    split: str
    seed: int

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def describe(self) -> str:
        """One line for a chapter: how many scenes, their size, digits per scene."""
        counts = [len(b) for b in self.boxes]
        side = self.images.shape[-1]
        return (f"{len(self)} {self.split} scenes {side}x{side}, composed from real MNIST-"
                f"{self.split} digits, {sum(counts)} digits "
                f"({min(counts)}-{max(counts)} per scene), seed {self.seed}")


def _resize_matrix(size_in: int, size_out: int) -> np.ndarray:
    """``(size_out, size_in)`` bilinear interpolation weights, half-pixel centres."""
    centres = (np.arange(size_out) + 0.5) * (size_in / size_out) - 0.5
    centres = np.clip(centres, 0, size_in - 1)
    low = np.floor(centres).astype(int)
    high = np.minimum(low + 1, size_in - 1)
    frac = centres - low
    weights = np.zeros((size_out, size_in))
    weights[np.arange(size_out), low] += 1 - frac
    weights[np.arange(size_out), high] += frac
    return weights


def glyph(digit: np.ndarray, scale: float, ink_threshold: float = 0.5) -> np.ndarray:
    """One MNIST digit ``(28, 28)`` uint8, scaled bilinearly by ``scale`` and cropped to the
    bounding box of its ink (pixels ``>= ink_threshold``): float32 ``(h, w)`` in ``[0, 1]``."""
    if digit.shape != (_DIGIT, _DIGIT):
        raise ValueError(f"a digit must be (28, 28), not {digit.shape}")
    side = max(1, round(_DIGIT * scale))
    resize = _resize_matrix(_DIGIT, side)
    big = np.clip(resize @ (digit.astype(np.float64) / 255.0) @ resize.T, 0.0, 1.0)
    rows, cols = np.nonzero(big >= ink_threshold)
    if rows.size == 0:
        raise ValueError(f"the digit has no ink at threshold {ink_threshold}")
    return big[rows.min():rows.max() + 1, cols.min():cols.max() + 1].astype(np.float32)


def _check(n: int, canvas: int, objects: tuple[int, int], scale: tuple[float, float],
           split: str, ink_threshold: float) -> None:
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    if n < 1:
        raise ValueError(f"n must be a positive number of scenes, not {n}")
    low, high = objects
    if low < 1 or high < low:
        raise ValueError(f"objects must be (min, max) with 1 <= min <= max, not {objects}")
    if scale[0] <= 0 or scale[1] < scale[0]:
        raise ValueError(f"scale must be (min, max) with 0 < min <= max, not {scale}")
    if canvas < round(_DIGIT * scale[1]):
        raise ValueError(f"canvas {canvas} is smaller than a digit at scale {scale[1]} "
                         f"({round(_DIGIT * scale[1])} px)")
    if not 0 < ink_threshold < 1:
        raise ValueError(f"ink_threshold must be in (0, 1), not {ink_threshold}")


def _place(rng: np.random.Generator, shapes: list[tuple[int, int]], canvas: int,
           overlap: bool) -> list[tuple[int, int]] | None:
    """Top-left corners for boxes of ``shapes``, disjoint unless ``overlap``; None if stuck."""
    corners: list[tuple[int, int]] = []
    for h, w in shapes:
        for _ in range(_TRIES):
            y, x = int(rng.integers(0, canvas - h + 1)), int(rng.integers(0, canvas - w + 1))
            if overlap or all(
                    y + h <= y2 or y2 + h2 <= y or x + w <= x2 or x2 + w2 <= x
                    for (y2, x2), (h2, w2) in zip(corners, shapes, strict=False)):
                corners.append((y, x))
                break
        else:
            return None
    return corners


def make_scenes(n: int, *, split: Literal["train", "test"], seed: int, canvas: int = 64,
                objects: tuple[int, int] = (1, 4), scale: tuple[float, float] = (1.0, 1.6),
                overlap: bool = False, ink_threshold: float = 0.5) -> Scenes:
    """``n`` scenes of real MNIST digits from ``split`` (see the module docstring).

    Args:
        n: number of scenes.
        split: ``"train"`` draws MNIST-train digits only, ``"test"`` MNIST-test digits only.
        seed: the seed; the same arguments always give the same scenes.
        canvas: side of the square scene in pixels; at least a digit at the largest scale.
        objects: ``(min, max)`` digits per scene, drawn uniformly.
        scale: ``(min, max)`` scale factor of a 28-pixel digit, drawn uniformly per digit.
        overlap: allow boxes to intersect (the last digit placed owns shared ink pixels).
        ink_threshold: a pixel at least this bright (in ``[0, 1]``) is the digit's ink: it gets
            the digit's class in the mask and defines the digit's box.

    Raises:
        ValueError: a canvas smaller than a digit, zero objects, a non-positive scale, an
            unknown split, or digits that cannot be placed without overlap.
    """
    _check(n, canvas, objects, scale, split, ink_threshold)
    train, test = load_mnist()
    digits, classes = train if split == "train" else test
    rng = np.random.default_rng([seed, 0 if split == "train" else 1])
    images = np.zeros((n, 1, canvas, canvas), np.float32)
    masks = np.zeros((n, canvas, canvas), np.int64)
    boxes, labels, sources, scales = [], [], [], []
    for i in range(n):
        k = int(rng.integers(objects[0], objects[1] + 1))
        for _ in range(_RESTARTS):  # the digits and scales again, keeping their number
            picks = rng.integers(0, len(digits), size=k)
            factors = rng.uniform(scale[0], scale[1], size=k)
            glyphs = [glyph(digits[p], f, ink_threshold)
                      for p, f in zip(picks, factors, strict=True)]
            corners = _place(rng, [g.shape for g in glyphs], canvas, overlap)
            if corners is not None:
                break
        else:
            raise ValueError(f"cannot place {k} digits at scale {scale} on a "
                             f"{canvas}x{canvas} canvas without overlap")
        scene_boxes = []
        for g, (y, x), p in zip(glyphs, corners, picks, strict=True):
            h, w = g.shape
            window = images[i, 0, y:y + h, x:x + w]
            np.maximum(window, g, out=window)
            masks[i, y:y + h, x:x + w][g >= ink_threshold] = 1 + int(classes[p])
            scene_boxes.append((x, y, x + w, y + h))
        boxes.append(np.asarray(scene_boxes, np.float32).reshape(-1, 4))
        labels.append(classes[picks].astype(np.int64))
        sources.append(picks.astype(np.int64))
        scales.append(factors)
    return Scenes(images, masks, boxes, labels, sources, scales, split, seed)
