"""A model as pure data: layer specs applied to an input shape (no framework import).

With :mod:`cnnbook.models.shapes` an :class:`Architecture` works out every shape, parameter count
and receptive field before anything is built. The book's own architectures are entries of the
catalogue (:mod:`cnnbook.models.catalogue`), whose framework builders the tests check against
these specs.

Shapes are channels-first ``(C, H, W)``. Layer labels (``conv1``, ``pool1``, ``fc1`` ...) match
the attribute names of the torch models and the layer names of the Keras models.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnbook.models.layers import ActivationSpec, Conv2dSpec, LayerSpec, Pool2dSpec
from cnnbook.models.shapes import (
    ReceptiveField,
    Shape,
    format_param_table,
    output_shapes,
    param_table,
    receptive_field,
)

__all__ = ["Architecture", "conv_block"]


@dataclass(frozen=True)
class Architecture:
    """``layers`` (specs, in order) applied to ``input_shape`` ``(C, H, W)``."""

    input_shape: tuple[int, int, int]
    layers: tuple[LayerSpec, ...]

    def output_shapes(self) -> list[Shape]:
        """Every layer's output shape (see :func:`cnnbook.models.shapes.output_shapes`)."""
        return output_shapes(list(self.layers), self.input_shape)

    def param_table(self) -> list[tuple[str, Shape, int]]:
        """One ``(label, output shape, parameters)`` row per layer."""
        return param_table(list(self.layers), self.input_shape)

    def count_params(self) -> int:
        """Trainable parameters (weights and biases), from the specs alone."""
        return sum(params for _, _, params in self.param_table())

    def receptive_field(self, *, axis: int = 0) -> list[ReceptiveField]:
        """Receptive field after each spatial layer (:func:`cnnbook.models.receptive_field`)."""
        return receptive_field(list(self.layers), axis=axis)

    def summary(self) -> str:
        """A text table of layers, output shapes and parameters."""
        return format_param_table(list(self.layers), self.input_shape)


def conv_block(index: int, in_channels: int, out_channels: int) -> tuple[LayerSpec, ...]:
    """3x3 valid conv + ReLU + 2x2 max pool, labelled ``conv{index}``, ``relu{index}``,
    ``pool{index}`` like the framework models."""
    return (
        Conv2dSpec(in_channels, out_channels, 3, label=f"conv{index}"),
        ActivationSpec("relu", label=f"relu{index}"),
        Pool2dSpec(2, label=f"pool{index}"),
    )
