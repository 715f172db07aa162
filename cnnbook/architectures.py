"""The blog post's three CNNs as pure data: layer specs plus the input shape (no framework import).

With :func:`cnnbook.ops.output_shapes`, :func:`cnnbook.ops.count_params` and
:func:`cnnbook.ops.receptive_field` the book works out every shape and parameter count before
building anything; the framework versions live in :mod:`cnnbook.torch_models` and
:mod:`cnnbook.keras_models` and the tests check that all three agree.

Shapes are channels-first ``(C, H, W)``. Layer labels (``conv1``, ``pool1``, ``fc1`` ...) match the
attribute names of the torch models and the layer names of the Keras models. Every convolution is
3x3 with ``"valid"`` padding and a ReLU; every pooling is 2x2 max pooling.

- :data:`POST_TENSORFLOW`: MNIST 28x28x1, Conv 32, MaxPool, Flatten, Dense 10 softmax (54,410).
- :data:`POST_KERAS`: MNIST 28x28x1, Conv 32, MaxPool, Conv 64, MaxPool, Dense 128, Dense 10 softmax
  (225,034).
- :data:`POST_PYTORCH`: CIFAR-10 32x32x3, Conv 32, MaxPool, Dropout, Conv 64, MaxPool, Dropout,
  Dense 128, Dropout, Dense 10 logits (315,722).
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnbook.ops.layers import (
    ActivationSpec,
    Conv2dSpec,
    DenseSpec,
    DropoutSpec,
    FlattenSpec,
    LayerSpec,
    Pool2dSpec,
)
from cnnbook.ops.shapes import count_params, format_param_table, output_shapes

__all__ = ["Architecture", "POST_TENSORFLOW", "POST_KERAS", "POST_PYTORCH", "ARCHITECTURES"]


@dataclass(frozen=True)
class Architecture:
    """A model as data: ``layers`` (specs, in order) applied to ``input_shape`` ``(C, H, W)``."""

    name: str
    input_shape: tuple[int, int, int]
    layers: tuple[LayerSpec, ...]
    description: str = ""

    def output_shapes(self) -> list[tuple[int, ...]]:
        """Every layer's output shape (see :func:`cnnbook.ops.output_shapes`)."""
        return output_shapes(list(self.layers), self.input_shape)

    def count_params(self) -> int:
        """Trainable parameters (see :func:`cnnbook.ops.count_params`)."""
        return count_params(list(self.layers), self.input_shape)

    def summary(self) -> str:
        """A text table of layers, output shapes and parameters."""
        return format_param_table(list(self.layers), self.input_shape)


def _conv_block(index: int, in_channels: int, out_channels: int) -> tuple[LayerSpec, ...]:
    """3x3 valid conv + ReLU + 2x2 max pool, labelled like the framework models."""
    return (
        Conv2dSpec(in_channels, out_channels, 3, label=f"conv{index}"),
        ActivationSpec("relu", label=f"relu{index}"),
        Pool2dSpec(2, label=f"pool{index}"),
    )


POST_TENSORFLOW = Architecture(
    name="post_tensorflow",
    input_shape=(1, 28, 28),
    layers=(
        *_conv_block(1, 1, 32),  # (32, 13, 13)
        FlattenSpec(label="flatten"),  # (5408,)
        DenseSpec(None, 10, label="fc1"),
        ActivationSpec("softmax", label="softmax"),
    ),
    description="The post's TensorFlow model for MNIST",
)

POST_KERAS = Architecture(
    name="post_keras",
    input_shape=(1, 28, 28),
    layers=(
        *_conv_block(1, 1, 32),  # (32, 13, 13)
        *_conv_block(2, 32, 64),  # (64, 5, 5)
        FlattenSpec(label="flatten"),  # (1600,)
        DenseSpec(None, 128, label="fc1"),
        ActivationSpec("relu", label="relu3"),
        DenseSpec(128, 10, label="fc2"),
        ActivationSpec("softmax", label="softmax"),
    ),
    description="The post's Keras model for MNIST",
)

POST_PYTORCH = Architecture(
    name="post_pytorch",
    input_shape=(3, 32, 32),
    layers=(
        *_conv_block(1, 3, 32),  # (32, 15, 15)
        DropoutSpec(0.5, label="dropout1"),
        *_conv_block(2, 32, 64),  # (64, 6, 6)
        DropoutSpec(0.5, label="dropout2"),
        FlattenSpec(label="flatten"),  # (2304,) = 64 * 6 * 6, the post's x.view(-1, 64 * 6 * 6)
        DenseSpec(None, 128, label="fc1"),
        ActivationSpec("relu", label="relu3"),
        DropoutSpec(0.5, label="dropout3"),
        DenseSpec(128, 10, label="fc2"),  # logits: CrossEntropyLoss applies log-softmax
    ),
    description="The post's PyTorch model for CIFAR-10",
)

ARCHITECTURES = {a.name: a for a in (POST_TENSORFLOW, POST_KERAS, POST_PYTORCH)}
