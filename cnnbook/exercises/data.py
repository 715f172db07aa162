"""The exercises of the chapter "The data" (``book/data.ipynb``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnbook.datasets.registry import REGISTRY
from cnnbook.datasets.subsets import balanced_quotas, channel_stats
from cnnbook.exercises._answers import as_array, ints, verdict
from cnnbook.ops.conv import conv_output_size

__all__ = [
    "DATA_X",
    "check_data_1",
    "check_data_2",
    "check_data_3",
    "check_data_4",
]


DATA_X = np.array([[[[0, 0, 0], [255, 0, 0]],
                    [[255, 255, 0], [255, 255, 255]]]], dtype=np.uint8)
"""One 2x2 colour image, ``(1, 2, 2, 3)`` channels last like CIFAR-10, of the data chapter's
exercise 2: every value is 0 or 255."""


def check_data_1(answer: Any) -> bool:
    """``(uint8_bytes, float32_bytes)``: the bytes of a batch of 128 CIFAR-10 images as the
    loaders return them (``uint8``), and after ``astype("float32") / 255``."""
    values = ints(answer, 2)
    if values is None:
        return verdict(False, "give two integers: (uint8 bytes, float32 bytes).")
    pixels = 128 * int(np.prod(REGISTRY["cifar10"].image_shape))
    expected = (pixels * np.dtype(np.uint8).itemsize, pixels * np.dtype(np.float32).itemsize)
    return verdict(values == expected, "count the values of one image (height x width x "
                                        "channels), times the batch; a uint8 takes one byte, "
                                        "a float32 four.")


def check_data_2(answer: Any) -> bool:
    """``(mean, std)``: the per-channel mean and standard deviation of ``DATA_X / 255``, each
    three numbers (red, green, blue), as ``channel_stats`` computes them."""
    try:
        mean, std = (as_array(a, (3,)) for a in answer)
    except (TypeError, ValueError):
        return verdict(False, "give two lists of three numbers: (mean, std).")
    expected_mean, expected_std = channel_stats(DATA_X)
    right = (mean is not None and std is not None
             and bool(np.allclose(mean, expected_mean, atol=1e-3))
             and bool(np.allclose(std, expected_std, atol=1e-3)))
    return verdict(right, "divide by 255 first, take each channel's four pixels on their own, "
                           "and divide the squared deviations by the number of pixels, not by "
                           "one less.")


def _sides_with_padding(padding: int) -> list[int]:
    """Input sides from 10 to 128 for which the post's PyTorch layers, with ``padding`` in both
    convolutions, reach ``x.view(-1, 64 * 6 * 6)`` with 6x6 maps."""
    fits = []
    for side in range(10, 129):
        out = side
        for kernel, stride, pad in ((3, 1, padding), (2, 2, 0), (3, 1, padding), (2, 2, 0)):
            out = conv_output_size(out, kernel, stride, pad)
        if out == 6:
            fits.append(side)
    return fits


def check_data_3(sides: Any) -> bool:
    """The input sides (a list, from 10 to 128) that give 6x6 maps before the post's
    ``x.view(-1, 64 * 6 * 6)`` when both of its convolutions have ``padding=1``."""
    try:
        answer = sorted(int(s) for s in sides)
    except (TypeError, ValueError):
        return verdict(False, "give a list of integers.")
    return verdict(answer == _sides_with_padding(1),
                   "with padding 1 a 3x3 convolution keeps the side; only the poolings shrink "
                   "it, each rounding down.")


def check_data_4(counts: Any) -> bool:
    """The images of each digit, 0 to 9, in ``load_mnist(limit=25)``'s training subset."""
    classes = REGISTRY["mnist"].num_classes
    values = ints(counts, classes)
    # every class holds far more than 25 images, in every edition of the data
    expected = tuple(int(q) for q in balanced_quotas(np.full(classes, 25), 25))
    if values is None:
        return verdict(False, f"give a list of {classes} integers, one per digit.")
    return verdict(values == expected, "the subset is as balanced as it can be: every class "
                                        "gets the same share, and what is left over goes to "
                                        "the first classes, one each.")
