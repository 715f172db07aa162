"""The exercises of the chapter "Architectures" (``book/architectures.ipynb``)."""

from __future__ import annotations

from typing import Any

from cnnbook.exercises._answers import convs_to_cover, ints, verdict, wrong_names
from cnnbook.models.catalogue import get
from cnnbook.models.layers import (
    Conv2dSpec,
    DenseSpec,
    GlobalPool2dSpec,
    LayerSpec,
)
from cnnbook.models.shapes import count_macs, param_table
from cnnbook.models.specs import Architecture

__all__ = [
    "check_architectures_1",
    "check_architectures_2",
    "check_architectures_3",
]


def _separable_costs() -> tuple[int, int, int, int]:
    shape = (128, 8, 8)
    full: list[LayerSpec] = [Conv2dSpec(128, 256, 3, padding=1, bias=False)]
    separable: list[LayerSpec] = [Conv2dSpec(128, 128, 3, padding=1, bias=False, groups=128),
                                  Conv2dSpec(128, 256, 1, bias=False)]
    costs = []
    for layers in (full, separable):
        costs += [sum(p for _, _, p in param_table(layers, shape)), count_macs(layers, shape)]
    return costs[0], costs[1], costs[2], costs[3]


def check_architectures_1(answer: Any) -> bool:
    """A 3x3 convolution (padding 1, no bias) from 128 to 256 channels on an 8x8 map, and its
    depthwise-separable replacement: ``(weights, macs, separable_weights, separable_macs)``."""
    values = ints(answer, 4)
    expected = _separable_costs()
    if values is None:
        return verdict(False, "give four integers: (weights, macs, separable weights, "
                               "separable macs).")
    wrong = wrong_names(("weights", "MACs", "separable weights", "separable MACs"), values,
                        expected)
    return verdict(not wrong, f"check the {', '.join(wrong)}: a convolution's MACs are its "
                               "weights times its output positions; depthwise is one 3x3 "
                               "filter per channel, pointwise a 1x1 convolution.")


def check_architectures_2(answer: Any) -> bool:
    """``(plain, pooled)``: how many 3x3 convolutions (stride 1) a unit needs before its field
    covers 32 pixels, without pooling, and with a 2x2 max pool after every two convolutions."""
    right = ints(answer, 2) == (convs_to_cover(32), convs_to_cover(32, pool_every=2))
    return verdict(right, "each 3x3 convolution adds 2 x jump to the field; a 2x2 pool adds 1 x "
                           "jump and doubles the jump.")


def check_architectures_3(params: Any) -> bool:
    """LeNet-5 with its three dense layers replaced by global average pooling and one linear
    layer from 16 channels to 10 classes: its trainable parameters."""
    lenet = get("lenet5").spec
    labels = [layer.label for layer in lenet.layers]
    conv_part = lenet.layers[:labels.index("flatten")]  # conv1 ... pool2
    spec = Architecture(lenet.input_shape, (*conv_part, GlobalPool2dSpec("avg"),
                                            DenseSpec(None, 10)))
    return verdict(params == spec.count_params(),
                    "keep conv1 and conv2 as they are; the new linear layer has 16 x 10 "
                    "weights and 10 biases.")
