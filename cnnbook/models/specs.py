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
from typing import Any

from cnnbook.models.layers import ActivationSpec, Conv2dSpec, LayerSpec, Pool2dSpec
from cnnbook.models.shapes import (
    ReceptiveField,
    Shape,
    batch_norm_features,
    count_macs,
    format_param_table,
    output_shapes,
    param_table,
    receptive_field,
)

__all__ = ["Architecture", "BuilderArg", "conv_block"]


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

    def count_macs(self) -> int:
        """Multiply-accumulates of one forward pass of one input, from the specs alone
        (:func:`cnnbook.models.shapes.count_macs`)."""
        return count_macs(list(self.layers), self.input_shape)

    def batch_norm_features(self) -> list[int]:
        """The channels of every batch norm, nested ones included: each keeps a running mean and
        variance of that size (buffers, not parameters), which checkpoints store too."""
        return batch_norm_features(list(self.layers))

    def receptive_field(self, *, axis: int = 0) -> list[ReceptiveField]:
        """Receptive field after each spatial layer (:func:`cnnbook.models.receptive_field`)."""
        return receptive_field(list(self.layers), axis=axis)

    def summary(self) -> str:
        """A text table of layers, output shapes and parameters."""
        return format_param_table(list(self.layers), self.input_shape)


@dataclass(frozen=True)
class BuilderArg:
    """A keyword argument that a catalogue entry's torch builder accepts from a checkpoint: an
    integer in ``[low, high]``; with ``real=True`` a number in ``[low, high]``; with ``length``
    a list of such integers, of a length in ``[length[0], length[1]]``."""

    name: str
    low: int
    high: int
    real: bool = False
    length: tuple[int, int] | None = None

    def check(self, value: Any) -> Any:
        """``value`` as the builder takes it (a list becomes a tuple); a one-line ``ValueError``
        saying what it must be otherwise."""
        if self.length is not None:
            shortest, longest = self.length
            if (not isinstance(value, (list, tuple)) or not shortest <= len(value) <= longest
                    or not all(self._fits(v) for v in value)):
                size = shortest if shortest == longest else f"{shortest} to {longest}"
                raise ValueError(f"must be a list of {size} integers in {self._range()}, "
                                 f"not {_short(value)}")
            return tuple(value)
        if not self._fits(value):
            kind = "a number" if self.real else "an integer"
            raise ValueError(f"must be {kind} in {self._range()}, not {_short(value)}")
        return value

    def _fits(self, value: Any) -> bool:
        kinds = (int, float) if self.real else (int,)
        return (isinstance(value, kinds) and not isinstance(value, bool)
                and self.low <= value <= self.high)

    def _range(self) -> str:
        return f"{self.low:,}..{self.high:,}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def conv_block(index: int, in_channels: int, out_channels: int) -> tuple[LayerSpec, ...]:
    """3x3 valid conv + ReLU + 2x2 max pool, labelled ``conv{index}``, ``relu{index}``,
    ``pool{index}`` like the framework models."""
    return (
        Conv2dSpec(in_channels, out_channels, 3, label=f"conv{index}"),
        ActivationSpec("relu", label=f"relu{index}"),
        Pool2dSpec(2, label=f"pool{index}"),
    )
