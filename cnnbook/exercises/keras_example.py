"""The exercises of the chapter "The post's Keras example" (``book/keras_example.ipynb``)."""

from __future__ import annotations

from typing import Any

from cnnbook.exercises._answers import ints, layer_params, verdict, with_layer, wrong_names
from cnnbook.models.catalogue import get
from cnnbook.models.layers import Conv2dSpec
from cnnbook.models.specs import Architecture, conv_block

__all__ = [
    "check_keras_example_1",
    "check_keras_example_2",
    "check_keras_example_3",
    "check_keras_example_4",
]


def _labels(spec: Architecture) -> list[str | None]:
    return [layer.label for layer in spec.layers]


def check_keras_example_1(answer: Any) -> bool:
    """``(conv2, fc1)``: the parameters of the post's Keras model's second convolution and of
    its ``Dense(128)`` when ``conv2`` has 32 filters instead of 64."""
    values = ints(answer, 2)
    if values is None:
        return verdict(False, "give two integers: (conv2 parameters, Dense(128) parameters).")
    spec = get("post_keras").spec
    narrow = with_layer(spec, Conv2dSpec(32, 32, 3, label="conv2"))
    expected = (layer_params(narrow, "conv2"), layer_params(narrow, "fc1"))
    wrong = wrong_names(("conv2", "Dense(128)"), values, expected)
    return verdict(not wrong, f"check the {' and the '.join(wrong)}: each conv2 filter still "
                               "reads all of conv1's channels; the map after the second "
                               "pooling keeps its size but has fewer channels.")


def _three_blocks() -> Architecture:
    """The post's Keras model's two blocks and a third: 3x3 convolution to 128 channels, 2x2
    max pooling (the dense layers left out)."""
    spec = get("post_keras").spec
    labels = _labels(spec)
    blocks = spec.layers[:labels.index("flatten")]  # conv1 ... pool2
    return Architecture(spec.input_shape, (*blocks, *conv_block(3, 64, 128)))


def check_keras_example_2(answer: Any) -> bool:
    """``(side, field)``: after a third block (a 3x3 convolution to 128 channels and a 2x2 max
    pooling) added behind ``pool2``, the side of the map and the receptive field of one of its
    values, in input pixels."""
    values = ints(answer, 2)
    if values is None:
        return verdict(False, "give two integers: (side, receptive field).")
    spec = _three_blocks()
    side = spec.output_shapes()[-1][-1]
    field = spec.receptive_field()[-1].size
    if values[0] != side:
        return verdict(False, "the side: a valid 3x3 convolution takes 2 off, the pooling "
                               "halves what is left, rounding down.")
    return verdict(values[1] == field, "the side is right; the field: each layer adds "
                                        "(window - 1) x jump, and every pooling doubles the "
                                        "jump for the layers after it.")


def check_keras_example_3(answer: Any) -> bool:
    """``(keras_macs, tensorflow_macs)``: the multiply-adds of one forward pass of one digit
    through the post's Keras model and through its TensorFlow model."""
    values = ints(answer, 2)
    if values is None:
        return verdict(False, "give two integers: (Keras model MACs, TensorFlow model MACs).")
    expected = (get("post_keras").count_macs(), get("post_tensorflow").count_macs())
    wrong = wrong_names(("Keras model", "TensorFlow model"), values, expected)
    return verdict(not wrong, f"check the {' and the '.join(wrong)}: add up every layer; a "
                               "convolution does its weights (no biases) once per output "
                               "position, a dense layer each weight once.")


def check_keras_example_4(answer: Any) -> bool:
    """``(flattened, fc1)``: fed 56x56 digits (``input_size=56``), the length of the post's
    Keras model's ``Flatten`` output and the parameters of its ``Dense(128)``."""
    values = ints(answer, 2)
    if values is None:
        return verdict(False, "give two integers: (flattened length, Dense(128) parameters).")
    spec = get("post_keras").spec_for(input_size=56)
    flattened = [shape for name, shape, _ in spec.param_table() if name == "flatten"][0][0]
    if values[0] != flattened:
        return verdict(False, "follow the side through the four layers (a valid 3x3 "
                               "convolution takes 2 off, a pooling halves, rounding down), "
                               "then multiply by the channels.")
    return verdict(values[1] == layer_params(spec, "fc1"), "the flattened length is right; the "
                                                       "dense layer has one weight per input "
                                                       "and unit, and one bias per unit.")
