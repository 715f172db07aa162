"""The exercises of the chapter "The post's TensorFlow example"
(``book/tensorflow_example.ipynb``)."""

from __future__ import annotations

from typing import Any

from cnnbook.exercises._answers import ints, layer_params, verdict, with_layer, wrong_names
from cnnbook.models.catalogue import get
from cnnbook.models.layers import Conv2dSpec
from cnnbook.models.shapes import count_macs
from cnnbook.models.specs import Architecture

__all__ = [
    "check_tensorflow_example_1",
    "check_tensorflow_example_2",
    "check_tensorflow_example_3",
    "check_tensorflow_example_4",
]


def check_tensorflow_example_1(answer: Any) -> bool:
    """``(conv1, dense)``: the parameters of the post's TensorFlow model's convolution and of its
    dense layer when it reads CIFAR-10's 32x32 colour images instead of MNIST digits."""
    values = ints(answer, 2)
    if values is None:
        return verdict(False, "give two integers: (conv1 parameters, dense parameters).")
    spec = get("post_tensorflow").spec_for(in_channels=3, input_size=32)
    expected = (layer_params(spec, "conv1"), layer_params(spec, "fc1"))
    wrong = wrong_names(("conv1", "dense"), values, expected)
    return verdict(not wrong, f"check the {' and the '.join(wrong)}: each filter now has a "
                               "3x3 window on every colour channel, and the pooled map the "
                               "dense layer reads is larger.")


def _five_by_five() -> Architecture:
    """The post's TensorFlow model with 5x5 instead of 3x3 filters."""
    spec = get("post_tensorflow").spec
    return with_layer(spec, Conv2dSpec(1, 32, 5, label="conv1"))


def check_tensorflow_example_2(answer: Any) -> bool:
    """``(flattened, parameters)``: with ``kernel_size=(5, 5)`` in the post's ``Conv2D``, the
    length of the ``Flatten`` output and the model's total parameters."""
    values = ints(answer, 2)
    if values is None:
        return verdict(False, "give two integers: (flattened length, total parameters).")
    spec = _five_by_five()
    flattened = [shape for name, shape, _ in spec.param_table() if name == "flatten"][0][0]
    if values[0] != flattened:
        return verdict(False, "a valid 5x5 convolution takes 4 pixels off each side's length, "
                               "then the pooling halves it, rounding down.")
    return verdict(values[1] == spec.count_params(),
                   "the flattened length is right; the filters grow, but the dense layer "
                   "shrinks: add up both layers' weights and biases.")


def check_tensorflow_example_3(answer: Any) -> bool:
    """``(conv_macs, dense_macs)``: the multiply-adds of one forward pass of one digit through
    the post's TensorFlow model, in its convolution and in its dense layer."""
    values = ints(answer, 2)
    if values is None:
        return verdict(False, "give two integers: (convolution MACs, dense MACs).")
    spec = get("post_tensorflow").spec
    layers = list(spec.layers)
    conv = count_macs(layers[:1], spec.input_shape)
    expected = (conv, count_macs(layers, spec.input_shape) - conv)
    wrong = wrong_names(("convolution", "dense layer"), values, expected)
    return verdict(not wrong, f"check the {' and the '.join(wrong)}: a convolution does its "
                               "weights (no biases) once per output position; a dense layer "
                               "uses each weight once.")


# The choices of exercise 4, as the chapter prints them.
_CHOICES = {
    "a": "a fair estimate of the accuracy on new digits",
    "b": "likely higher than the accuracy on new digits",
    "c": "likely lower than the accuracy on new digits",
    "d": "the training accuracy of the last epoch",
}


def check_tensorflow_example_4(letter: Any) -> bool:
    """The post validates on the test set. You keep the epoch with the best ``val_accuracy`` and
    report that ``val_accuracy`` as the test accuracy: which of ``_CHOICES`` is it?"""
    if not isinstance(letter, str) or letter.strip("() ").lower() not in _CHOICES:
        return verdict(False, f"answer with one letter: {', '.join(_CHOICES)}.")
    # picking the best of several noisy scores on the same images selects for luck
    return verdict(letter.strip("() ").lower() == "b",
                   "you chose the epoch by looking at these very test digits: which way does "
                   "picking the best of several noisy scores push the number you report?")
