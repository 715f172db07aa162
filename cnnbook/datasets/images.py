"""Pictures from disk as a model's input: PNG and JPEG files (Pillow) to NCHW float arrays.

    image = read_image("digit.png")           # uint8 (H, W, 3) RGB, alpha composited on white
    x, notes = to_model_input(image, (1, 28, 28), dataset="mnist", normalisation=(mean, std))
    # x: float32 (1, 1, 28, 28); notes: ["dark ink on light paper: inverted ..."]

A model of the book expects what its dataset looks like. MNIST and Fashion-MNIST are light
strokes on a black background, grey, 28×28, and MNIST digits are fitted into a 20×20 box and
centred by their centre of mass; :func:`mnist_style` does exactly that to any picture. It is
written so that a JavaScript port can mirror it step by step and bit for bit (every sum in a fixed
order, rounding half to even): ``book/_static/cnnbook_draw.js`` does, for the page on which a
reader draws a digit, and a browser test checks that the two agree pixel for pixel. CIFAR-10
images are colour, 32×32: other pictures are centre-cropped to the model's aspect ratio and
resampled. Resampling everywhere is :func:`resample_area` (each output pixel is the mean of the
source area it covers), written out in NumPy so that it can be mirrored exactly.

Reading is defensive: only PNG and JPEG are opened, a picture over ``max_pixels`` pixels (a
decompression bomb) is refused before it is decoded, and every problem is an
:class:`ImageError`, one line that names the file. NumPy and Pillow only (Pillow comes with
matplotlib).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = ["FORMATS", "MAX_PIXELS", "ImageError", "mnist_style", "read_image",
           "resample_area", "to_grey", "to_model_input"]

FORMATS = ("PNG", "JPEG")
MAX_PIXELS = 89_478_485  # Pillow's own default limit (Image.MAX_IMAGE_PIXELS)
LUMA = (0.299, 0.587, 0.114)  # ITU-R 601-2, as Pillow's convert("L")
# Grey datasets of light strokes on black, and the box their objects are fitted into.
LIGHT_ON_DARK = {"mnist": 20, "fashion-mnist": 28}
INK_THRESHOLD = 0.1  # a pixel is ink when it is above this fraction of the brightest one


class ImageError(ValueError):
    """A picture that cannot be used; the message is one line and starts with the file name."""


def _flatten_alpha(im: Image.Image) -> np.ndarray:
    """Any Pillow image as uint8 RGB ``(H, W, 3)``, transparency composited on white."""
    if im.mode.startswith("I"):  # 16-bit grey PNG: 0..65535 -> 0..255
        grey = np.asarray(im, dtype=np.float64) / 257.0
        im = Image.fromarray(np.clip(np.rint(grey), 0, 255).astype(np.uint8), mode="L")
    if im.has_transparency_data:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba)
    return np.asarray(im.convert("RGB"), dtype=np.uint8)


def read_image(path: str | Path, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read a PNG or JPEG file as uint8 RGB ``(H, W, 3)``.

    Transparency is composited on white (a drawing on a transparent canvas reads as ink on
    paper) and a JPEG's EXIF orientation is applied.

    Raises:
        ImageError: one line naming ``path``: missing file, not a PNG or JPEG, truncated or
            damaged data, or more than ``max_pixels`` pixels (refused before decoding).
    """
    path = Path(path)
    if not path.is_file():
        raise ImageError(f"{path}: no such file")
    try:
        with warnings.catch_warnings():  # Pillow only warns between its limit and twice it
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=FORMATS) as im:
                width, height = im.size
                if width * height > max_pixels:
                    raise ImageError(f"{path}: {width}×{height} pixels is more than the limit "
                                     f"of {max_pixels:,} (a decompression bomb?)")
                im.load()
                return _flatten_alpha(ImageOps.exif_transpose(im))
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ImageError(f"{path}: refused, too many pixels ({err})") from None
    except UnidentifiedImageError:
        raise ImageError(f"{path}: not a {' or '.join(FORMATS)} image") from None
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise ImageError(f"{path}: cannot read the image ({err})") from None


def _area_weights(size_in: int, size_out: int) -> np.ndarray:
    """``(size_out, size_in)``: row ``i`` averages the source span ``[i, i + 1) * in / out``."""
    scale = size_in / size_out
    edges = np.arange(size_out + 1) * scale  # source coordinates of the output pixels' edges
    k = np.arange(size_in)[np.newaxis, :]
    overlap = np.minimum(edges[1:, np.newaxis], k + 1) - np.maximum(edges[:-1, np.newaxis], k)
    return np.clip(overlap, 0.0, None) / scale


def _resample_rows(src: np.ndarray, size_out: int) -> np.ndarray:
    """``(H, ...)`` to ``(size_out, ...)``: each output row is the weighted sum of the source rows
    it covers, added one at a time in source order (a fixed order of float64 operations, without
    fused multiply-adds, so that a JavaScript port gives the same numbers to the last bit)."""
    weights = _area_weights(src.shape[0], size_out)  # (size_out, H)
    out = np.zeros((size_out, *src.shape[1:]))
    for i in range(size_out):
        for k in np.flatnonzero(weights[i]):
            out[i] += weights[i, k] * src[k]
    return out


def resample_area(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize ``(H, W)`` or ``(H, W, C)`` to ``(height, width[, C])`` float64 by area averaging.

    Each output pixel is the mean of the source rectangle it covers (pixels partly covered count
    in proportion): a box filter when shrinking, blocky when enlarging. Separable: rows, then
    columns, each sum taken in source order.
    """
    src = np.asarray(image, dtype=np.float64)
    tall = _resample_rows(src, height)  # (height, W[, C])
    wide = _resample_rows(np.moveaxis(tall, 1, 0), width)  # (width, height[, C])
    return np.moveaxis(wide, 0, 1)  # (height, width[, C])


def to_grey(image: np.ndarray) -> np.ndarray:
    """uint8 RGB ``(H, W, 3)`` to uint8 grey ``(H, W)`` by the ``LUMA`` weights, as Pillow's
    ``convert("L")`` does, rounded half to even (summed red, green, blue, in that order)."""
    rgb = np.asarray(image)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected uint8 RGB (H, W, 3), got {rgb.dtype} {rgb.shape}")
    r, g, b = (rgb[:, :, i].astype(np.float64) for i in range(3))
    luma = r * LUMA[0] + g * LUMA[1] + b * LUMA[2]  # (H, W)
    return np.clip(np.rint(luma), 0, 255).astype(np.uint8)


def mnist_style(grey: np.ndarray, *, box: int = 20, size: int = 28) -> tuple[np.ndarray, bool]:
    """Make a grey picture look like an MNIST digit: ``(uint8 (size, size), inverted)``.

    The steps, in order (``book/_static/cnnbook_draw.js`` mirrors them one for one):

    1. **Polarity.** The border pixels (first and last rows and columns) are the paper. If their
       median is above 127 the picture is dark ink on light paper, and it is inverted
       (``255 - grey``), because MNIST is light strokes on black. ``inverted`` says so.
    2. **Paper to black.** The border median (after step 1) is subtracted and negatives are
       clipped to 0; the result is scaled so that its brightest pixel is 255.
    3. **Crop.** To the bounding box of the ink: pixels above ``INK_THRESHOLD`` (10 %) of 255.
    4. **Fit.** The crop is resampled (:func:`resample_area`) so that its longer side is
       ``box`` pixels (20 for MNIST) and the shorter one keeps the aspect ratio
       (``max(1, round(side * box / longer))``).
    5. **Centre.** It is pasted into a black ``size × size`` canvas so that its centre of mass
       (intensity-weighted, pixel centres at integer coordinates) lands on ``size / 2``, where
       MNIST's digits have theirs (row and column 14 of 28): offset ``floor(size / 2 - mass +
       0.5)``, clipped so that the crop stays inside the canvas.
    6. **Round** to uint8.

    Args:
        grey: uint8 ``(H, W)``, any size.
        box: the side of the box the strokes are fitted into (20: MNIST; 28: Fashion-MNIST).
        size: the side of the output.

    Raises:
        ValueError: when the picture holds no strokes (it is uniform).
    """
    grey = np.asarray(grey)
    if grey.ndim != 2 or grey.dtype != np.uint8 or min(grey.shape) < 1:
        raise ValueError(f"expected uint8 (H, W), got {grey.dtype} {grey.shape}")
    if not 1 <= box <= size:
        raise ValueError(f"need 1 <= box <= size, got box {box} and size {size}")

    def border_median(a: np.ndarray) -> float:
        return float(np.median(np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])))

    pixels = grey.astype(np.float64)
    inverted = border_median(pixels) > 127  # 1. polarity
    if inverted:
        pixels = 255.0 - pixels
    ink = np.clip(pixels - border_median(pixels), 0.0, None)  # 2. paper to black
    if ink.max() <= 0:
        raise ValueError("no strokes: the picture is uniform")
    ink *= 255.0 / ink.max()
    rows, cols = np.nonzero(ink > INK_THRESHOLD * 255.0)  # 3. crop
    crop = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = crop.shape
    longer = max(h, w)  # 4. fit
    new_h, new_w = (max(1, round(side * box / longer)) for side in (h, w))
    patch = resample_area(crop, new_h, new_w)  # (new_h, new_w)
    total = mass_y = mass_x = 0.0  # 5. centre: sums in row-major order (mirrorable)
    for y in range(new_h):
        for x in range(new_w):
            value = float(patch[y, x])
            total += value
            mass_y += value * y
            mass_x += value * x
    mass_y /= total
    mass_x /= total
    centre = size / 2
    top = min(max(math.floor(centre - mass_y + 0.5), 0), size - new_h)
    left = min(max(math.floor(centre - mass_x + 0.5), 0), size - new_w)
    canvas = np.zeros((size, size))
    canvas[top:top + new_h, left:left + new_w] = patch
    return np.clip(np.rint(canvas), 0, 255).astype(np.uint8), inverted  # 6. round


def _centre_crop(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """The largest centred part of ``image`` ``(H, W[, C])`` with the aspect ratio width/height."""
    h, w = image.shape[:2]
    if w * height > h * width:  # too wide
        keep = max(1, round(h * width / height))
        start = (w - keep) // 2
        return image[:, start:start + keep]
    keep = max(1, round(w * height / width))
    start = (h - keep) // 2
    return image[start:start + keep]


def to_model_input(image: np.ndarray, input_shape: Sequence[int], *, dataset: str,
                   normalisation: tuple[Sequence[float], Sequence[float]] | None = None,
                   ) -> tuple[np.ndarray, list[str]]:
    """A picture as one input of a model trained on ``dataset``: ``(x, notes)``.

    Args:
        image: uint8 RGB ``(H, W, 3)`` from :func:`read_image` (or grey ``(H, W)``).
        input_shape: the model's ``(C, H, W)`` (``catalogue.get(name).input_shape("torch")``);
            ``C`` is 1 (grey, by the ``LUMA`` weights) or 3 (RGB).
        dataset: the dataset the model was trained on. For the light-on-dark grey datasets
            (``LIGHT_ON_DARK``: MNIST, Fashion-MNIST) the picture goes through
            :func:`mnist_style`; other pictures are centre-cropped to the model's aspect ratio
            and resampled by :func:`resample_area`.
        normalisation: per-channel ``(mean, std)`` of the training images scaled to [0, 1],
            applied as ``(x - mean) / std``; ``None`` leaves ``x`` in [0, 1].

    Returns:
        ``x``: float32 ``(1, C, H, W)`` (NCHW); ``notes``: what was done that a user should
        know, e.g. that dark ink on light paper was inverted.

    Raises:
        ValueError: for a channel count other than 1 or 3, or a picture without strokes.
    """
    channels, height, width = (int(v) for v in input_shape)
    pixels = np.asarray(image)
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, np.newaxis], 3, axis=2)  # (H, W, 3)
    if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
        raise ValueError(f"expected uint8 RGB (H, W, 3), got {pixels.dtype} {pixels.shape}")
    notes: list[str] = []
    if channels == 1:
        grey = to_grey(pixels)  # (H, W)
        if dataset in LIGHT_ON_DARK:
            if height != width:
                raise ValueError(f"{dataset} models take square inputs, not {height}×{width}")
            fitted, inverted = mnist_style(grey, box=LIGHT_ON_DARK[dataset] * height // 28,
                                           size=height)
            if inverted:
                notes.append(f"dark ink on light paper: inverted to {dataset}'s light strokes "
                             "on black")
            planes = fitted[np.newaxis].astype(np.float64)  # (1, H, W)
        else:
            planes = resample_area(_centre_crop(grey, height, width), height, width)[np.newaxis]
    elif channels == 3:
        rgb = resample_area(_centre_crop(pixels, height, width), height, width)  # (H, W, 3)
        planes = rgb.transpose(2, 0, 1)  # (3, H, W)
    else:
        raise ValueError(f"models with {channels} input channels are not supported (1 or 3)")
    x = planes / 255.0  # (C, H, W) in [0, 1]
    if normalisation is not None:
        mean = np.asarray(normalisation[0], np.float64).reshape(-1, 1, 1)  # (C, 1, 1)
        std = np.asarray(normalisation[1], np.float64).reshape(-1, 1, 1)  # (C, 1, 1)
        x = (x - mean) / std
    return x[np.newaxis].astype(np.float32), notes  # (1, C, H, W)
