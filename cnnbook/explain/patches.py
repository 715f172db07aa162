"""Top-activating patches: the dataset crops that excite one channel of one layer most.

Given a layer's feature maps for a dataset (from :func:`cnnbook.explain.activations` or
:func:`cnnbook.explain.keras_activations`), :func:`top_patches` ranks the positions by the
channel's value and crops each winner's **receptive field** out of its image. The field comes from
:mod:`cnnbook.models.shapes`' arithmetic (size ``r``, jump ``j``, start ``s`` per layer and axis):
the unit at row ``i`` sees input rows ``s + i * j - (r - 1) / 2`` up to ``s + i * j + (r - 1) / 2``.
With valid convolutions that crop is *everything* the unit depends on (the tests run the network
on the crop alone and get the same value); with padding it may overhang the image border.

Ranking (``per``):

- ``"image"`` (default): each image counts once, by its maximum over all positions (the first
  position in row-major order on ties); the ``k`` images with the largest maxima win. This is how
  the figures of Zeiler & Fergus (2014) are usually drawn: ``k`` different images.
- ``"position"``: every ``(image, row, column)`` competes; one image may give several,
  overlapping, patches.

Border (``border``): ``"pad"`` (default) returns every patch at the full field size, filling the
pixels outside the image with ``fill``; ``"clip"`` returns only the part inside the image, so
patches at the border are smaller. ``boxes`` always holds the unclipped field.

Layouts: maps and images are NCHW ``(N, C, H, W)`` (torch) or NHWC ``(N, H, W, C)`` (Keras), named
by ``layout``; patches keep the images' layout and dtype, without the batch axis.

What a patch contains: :func:`orientation_coherence` measures how much of a patch's edge energy
runs along one orientation (1: a single straight edge or stroke; near 0: several orientations
in balance, as at a corner, a crossing or a blob), from the patch's structure tensor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from cnnbook.explain._checks import check_channel, check_layout
from cnnbook.models.shapes import ReceptiveField
from cnnbook.models.specs import Architecture

__all__ = ["TopPatches", "field_box", "layer_field", "orientation_coherence", "top_activations",
           "top_patches"]

Fields = (Architecture | Sequence[ReceptiveField]
          | tuple[Sequence[ReceptiveField], Sequence[ReceptiveField]])
Per = Literal["image", "position"]
Border = Literal["pad", "clip"]


@dataclass(frozen=True)
class TopPatches:
    """The ``k`` strongest responses of one channel, best first.

    Attributes:
        layer, channel: what was ranked.
        image_index: ``(k,)`` index of each patch's image in the dataset.
        rows, cols: ``(k,)`` position of the unit in the layer's feature map.
        values: ``(k,)`` the unit's activation.
        boxes: ``(k, 4)`` ``(top, left, bottom, right)`` of its receptive field in input pixels,
            bottom and right exclusive, *not* clipped to the image.
        patches: one array per winner in the images' layout without the batch axis: ``(C, r, r)``
            for NCHW, ``(r, r, C)`` for NHWC (smaller at the border with ``border="clip"``).
    """

    layer: str
    channel: int
    image_index: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    boxes: np.ndarray
    patches: tuple[np.ndarray, ...]


def layer_field(fields: Fields, layer: str) -> tuple[ReceptiveField, ReceptiveField]:
    """The receptive field of ``layer`` along height and width.

    ``fields`` is an :class:`~cnnbook.models.specs.Architecture` (e.g.
    ``catalogue.get("post_keras").spec``), the rows of
    :func:`~cnnbook.models.shapes.receptive_field` (used for both axes), or a pair of row lists
    ``(height rows, width rows)``.
    """
    if isinstance(fields, Architecture):
        rows_h, rows_w = fields.receptive_field(axis=0), fields.receptive_field(axis=1)
    elif len(fields) == 2 and not isinstance(fields[0], ReceptiveField):
        rows_h, rows_w = fields[0], fields[1]  # type: ignore[assignment]
    else:
        rows_h = rows_w = fields  # type: ignore[assignment]
    found = [(h, w) for h, w in zip(rows_h, rows_w, strict=True) if h.name == layer]
    if not found:
        names = ", ".join(row.name for row in rows_h)
        raise ValueError(f"no receptive field for layer {layer!r}; spatial layers: {names}")
    return found[0]


def field_box(field_h: ReceptiveField, field_w: ReceptiveField, row: int,
              col: int) -> tuple[int, int, int, int]:
    """``(top, left, bottom, right)`` in input pixels (bottom, right exclusive) of the unit at
    ``(row, col)``, unclipped: ``top = start + row * jump - (size - 1) / 2``."""
    top = round(field_h.start + row * field_h.jump - (field_h.size - 1) / 2)
    left = round(field_w.start + col * field_w.jump - (field_w.size - 1) / 2)
    return top, left, top + field_h.size, left + field_w.size


def top_activations(maps: np.ndarray, channel: int, k: int, *, per: Per = "image",
                    layout: str = "NCHW", layer: str = "layer") -> tuple[np.ndarray, ...]:
    """``(image_index, rows, cols, values)``, each ``(k,)``, of the ``k`` largest values of
    ``channel`` in ``maps`` ``(N, C, h, w)`` (NCHW) or ``(N, h, w, C)`` (NHWC), best first.

    Ties go to the earlier position in (image, row, column) order. Fewer than ``k`` come back when
    there are fewer candidates (``per="image"``: ``N``).
    """
    maps = np.asarray(maps)
    if maps.ndim != 4:
        raise ValueError(f"maps must be (N, C, h, w) or (N, h, w, C), got shape {maps.shape}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    nchw = check_layout(layout) == "NCHW"
    check_channel(channel, maps.shape[1] if nchw else maps.shape[3], layer)
    m = maps[:, channel] if nchw else maps[..., channel]  # (N, h, w)
    n, h, w = m.shape
    flat = m.reshape(n, h * w)
    if per == "image":
        where = flat.argmax(axis=1)  # (N,) first maximum of each image
        best = flat[np.arange(n), where]
        images = np.argsort(-best, kind="stable")[:k]
        positions = where[images]
    elif per == "position":
        order = np.argsort(-flat.ravel(), kind="stable")[:k]
        images, positions = np.divmod(order, h * w)
    else:
        raise ValueError(f"per must be 'image' or 'position', got {per!r}")
    rows, cols = np.divmod(positions, w)
    return images, rows, cols, m[images, rows, cols]


def _crop(image: np.ndarray, box: np.ndarray, border: Border, fill: float) -> np.ndarray:
    """``image`` ``(H, W, C)`` cut to ``box``, padded with ``fill`` or clipped at the border."""
    top, left, bottom, right = (int(v) for v in box)
    height, width = image.shape[:2]
    inside = image[max(top, 0):min(bottom, height), max(left, 0):min(right, width)]
    if border == "clip":
        return inside
    patch = np.full((bottom - top, right - left, image.shape[2]), fill, dtype=image.dtype)
    patch[max(-top, 0):max(-top, 0) + inside.shape[0],
          max(-left, 0):max(-left, 0) + inside.shape[1]] = inside
    return patch


def top_patches(images: np.ndarray, maps: np.ndarray, channel: int, fields: Fields, layer: str,
                *, k: int = 9, per: Per = "image", border: Border = "pad", fill: float = 0,
                layout: str = "NCHW") -> TopPatches:
    """The ``k`` patches of ``images`` that excite ``channel`` of ``layer`` most.

    Args:
        images: ``(N, C, H, W)`` (NCHW) or ``(N, H, W, C)`` (NHWC), any dtype; grey ``(N, H, W)``
            is read as one channel.
        maps: ``layer``'s feature maps for the same images and layout, ``(N, C', h, w)`` or
            ``(N, h, w, C')``.
        channel: the channel of ``maps`` to rank.
        fields: the receptive-field arithmetic (see :func:`layer_field`).
        layer: the layer's name in ``fields`` (its spec label, e.g. ``"conv2"``).
        k, per: how many, and how they compete (module docstring).
        border, fill: ``"pad"`` with ``fill`` or ``"clip"`` at the image border.
        layout: ``"NCHW"`` or ``"NHWC"``, for both arrays.
    """
    nchw = check_layout(layout) == "NCHW"
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[:, None] if nchw else images[..., None]
    if images.ndim != 4 or len(images) != len(maps):
        raise ValueError(f"images {images.shape} and maps {np.shape(maps)} must be 4-D with the "
                         "same number of images")
    if border not in ("pad", "clip"):
        raise ValueError(f"border must be 'pad' or 'clip', got {border!r}")
    field_h, field_w = layer_field(fields, layer)
    index, rows, cols, values = top_activations(maps, channel, k, per=per, layout=layout,
                                                layer=layer)
    hwc = images.transpose(0, 2, 3, 1) if nchw else images  # (N, H, W, C)
    boxes = np.array([field_box(field_h, field_w, int(r), int(c))
                      for r, c in zip(rows, cols, strict=True)], dtype=np.int64).reshape(-1, 4)
    patches = tuple(_crop(hwc[n], box, border, fill) for n, box in zip(index, boxes, strict=True))
    if nchw:
        patches = tuple(p.transpose(2, 0, 1) for p in patches)
    return TopPatches(layer, channel, index, rows, cols, values, boxes, patches)


def _sobel(image: np.ndarray, axis: int) -> np.ndarray:
    """Sobel derivative of ``image`` ``(h, w)`` along ``axis`` (0: rows, 1: columns), edges
    repeated at the border (``scipy.ndimage.sobel(mode="nearest")``)."""
    p = np.pad(image, 1, mode="edge")  # (h + 2, w + 2)
    if axis == 1:
        p = p.T
    diff = p[2:] - p[:-2]  # (h, w + 2): centred difference along the axis
    smooth = diff[:, :-2] + 2 * diff[:, 1:-1] + diff[:, 2:]  # (h, w): [1, 2, 1] across
    return smooth if axis == 0 else smooth.T


def orientation_coherence(patches: Sequence[np.ndarray], *, layout: str = "NCHW") -> np.ndarray:
    """How much of each patch's edge energy runs along one orientation: ``(k,)`` in [0, 1].

    Each patch (``(C, h, w)`` for NCHW, ``(h, w, C)`` for NHWC, or ``(h, w)``) is averaged over
    its channels; Sobel derivatives ``g_r, g_c`` (border pixels repeated) give the structure
    tensor summed over the patch, ``J = sum [[g_r^2, g_r g_c], [g_r g_c, g_c^2]]``, with
    eigenvalues ``l1 >= l2``. The coherence is ``(l1 - l2) / (l1 + l2)``: 1 when every gradient
    is parallel (one straight edge or stroke), 0 when no orientation dominates (a corner of two
    equal edges, a crossing, a round blob). A flat patch gives ``nan``.
    """
    nchw = check_layout(layout) == "NCHW"
    out = np.empty(len(patches), dtype=np.float64)
    for i, patch in enumerate(patches):
        p = np.asarray(patch, dtype=np.float64)
        if p.ndim == 3:
            p = p.mean(axis=0 if nchw else 2)
        if p.ndim != 2:
            raise ValueError(f"a patch must be (C, h, w), (h, w, C) or (h, w), got {p.shape}")
        g_r, g_c = _sobel(p, 0), _sobel(p, 1)
        j_rr, j_cc, j_rc = (g_r**2).sum(), (g_c**2).sum(), (g_r * g_c).sum()
        trace = j_rr + j_cc
        spread = np.sqrt((j_rr - j_cc) ** 2 + 4 * j_rc**2)  # l1 - l2
        out[i] = spread / trace if trace > 1e-12 else np.nan
    return out
