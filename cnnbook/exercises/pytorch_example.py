"""The exercises of the chapter "The post's PyTorch example" (``book/pytorch_example.ipynb``)."""

from __future__ import annotations

import dataclasses
from typing import Any

from cnnbook.arrays import batches
from cnnbook.exercises._answers import close, ints, verdict
from cnnbook.models.catalogue import get
from cnnbook.models.layers import Conv2dSpec
from cnnbook.models.specs import Architecture

__all__ = [
    "check_pytorch_example_1",
    "check_pytorch_example_2",
    "check_pytorch_example_3",
    "check_pytorch_example_4",
]


def check_pytorch_example_1(answer: Any) -> bool:
    """``(flat, fc1_params)``: the post's network on 48x48 colour images: the flatten size
    ``fc1`` would need instead of ``64 * 6 * 6``, and ``fc1``'s parameters then."""
    values = ints(answer, 2)
    rows = {label: (shape, params)
            for label, shape, params in get("post_pytorch").spec_for(input_size=48).param_table()}
    expected = (rows["flatten"][0][0], rows["fc1"][1])
    if values is None:
        return verdict(False, "give two integers: (flatten size, fc1's parameters).")
    if values[0] != expected[0]:
        return verdict(False, "follow the side: a 3x3 convolution without padding takes 2 off, "
                               "a 2x2 pooling halves it and rounds down; then 64 channels.")
    return verdict(values[1] == expected[1], "fc1 has one weight per input for each of its 128 "
                                              "units, plus one bias per unit.")


def _five_by_five() -> Architecture:
    """The post's network with 5x5 kernels in both convolutions (no padding), at 32x32."""
    spec = get("post_pytorch").spec
    layers = tuple(dataclasses.replace(layer, kernel_size=5) if isinstance(layer, Conv2dSpec)
                   else layer for layer in spec.layers)
    return Architecture(spec.input_shape, layers)


def check_pytorch_example_2(params: Any) -> bool:
    """The parameters of the post's network, on 32x32 images, with 5x5 kernels in both
    convolutions (no padding) and ``fc1`` resized to fit."""
    right = ints([params], 1) == (_five_by_five().count_params(),)
    return verdict(right, "bigger kernels add weights to the convolutions but shrink the last "
                           "map, and fc1's weights follow the flatten size: count every layer.")


def _velocity(gradients: list[float], momentum: float = 0.9) -> float:
    """torch.optim.SGD's momentum buffer after these gradients: ``v <- momentum * v + g``."""
    velocity = 0.0
    for gradient in gradients:
        velocity = momentum * velocity + gradient
    return velocity


def check_pytorch_example_3(answer: Any) -> bool:
    """``(steady, alternating)``: the momentum velocity (0.9) after three steps whose gradients
    are 1, 1, 1, and after three whose gradients are 1, -1, 1."""
    try:
        steady, alternating = answer
    except (TypeError, ValueError):
        return verdict(False, "give two numbers: (steady, alternating).")
    right = close(steady, _velocity([1.0, 1.0, 1.0])) and close(
        alternating, _velocity([1.0, -1.0, 1.0]))
    return verdict(right, "start from v = 0 and apply v <- 0.9 v + g once per gradient, in order.")


def check_pytorch_example_4(answer: Any) -> bool:
    """``(steps, last)``: an epoch of 45,000 training images in batches of 64 (the last batch
    kept, as the book's loaders keep it): the optimizer steps, and the images in the last
    batch."""
    values = ints(answer, 2)
    sizes = [part.stop - part.start for part in batches(45_000, 64)]
    if values is None:
        return verdict(False, "give two integers: (steps, images in the last batch).")
    return verdict(values == (len(sizes), sizes[-1]),
                   "every batch but the last holds 64 images; the last holds what is left, "
                   "and it is a step too.")
