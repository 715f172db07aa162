"""One verb per question, whatever the model is: :func:`count_params` and :func:`layer_table`.

Both accept a torch ``nn.Module`` or a Keras 3 model; :func:`count_params` also accepts a catalogue
entry or an :class:`~cnnbook.models.specs.Architecture`, answered from the spec. Frameworks are
recognised through ``sys.modules``, so this module imports none: a model of a framework implies
that the framework is already imported.
"""

from __future__ import annotations

import math
import sys
from typing import Any

from cnnbook.models.catalogue import ModelEntry
from cnnbook.models.numpy_build import NumpyNet
from cnnbook.models.specs import Architecture

__all__ = ["count_params", "layer_table"]

Row = tuple[str, tuple[int, ...], int]


def _framework(model: Any) -> str:
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(model, torch.nn.Module):
        return "torch"
    keras = sys.modules.get("keras")
    if keras is not None and isinstance(model, keras.Model):
        return "keras"
    raise TypeError(f"expected a torch nn.Module or a Keras model, got {type(model).__name__}")


def count_params(model: Any) -> int:
    """Trainable parameters (weights and biases) of ``model``.

    Args:
        model: a catalogue :class:`~cnnbook.models.catalogue.ModelEntry` or an
            :class:`~cnnbook.models.specs.Architecture` (counted from the spec, no framework), a
            torch ``nn.Module`` (parameters with ``requires_grad``) or a Keras model (its
            ``trainable_weights``; Keras' own ``count_params()`` also counts frozen weights), or a
            :class:`~cnnbook.models.numpy_build.NumpyNet` (its parameter arrays).
    """
    if isinstance(model, (ModelEntry, Architecture)):
        return model.count_params()
    if isinstance(model, NumpyNet):
        return sum(p.size for p in model.parameters().values())
    if _framework(model) == "torch":
        return sum(p.numel() for p in model.parameters() if p.requires_grad)
    return sum(math.prod(w.shape) for w in model.trainable_weights)


def layer_table(model: Any, input_shape: tuple[int, int, int] | None = None) -> list[Row]:
    """One ``(layer class, output shape without the batch axis, parameters)`` row per layer.

    Two models of one framework with equal tables have the same architecture, whatever their code
    looks like; the chapters use it to check the post's code against the catalogue's builders.

    Args:
        model: a Keras model (one row per layer, shapes NHWC; ``input_shape`` must be ``None``) or
            a torch ``nn.Module`` (one row per leaf-module *call* in ``forward``, shapes NCHW: the
            post's shared ``pool`` called twice gives two rows).
        input_shape: for torch, one input ``(C, H, W)``; the table comes from one forward pass on
            zeros of shape ``(1, C, H, W)`` in eval mode without gradients.
    """
    if _framework(model) == "keras":
        if input_shape is not None:
            raise ValueError("a Keras model knows its input shape: pass input_shape=None")
        return [(type(layer).__name__, tuple(layer.output.shape[1:]), int(layer.count_params()))
                for layer in model.layers]
    if input_shape is None:
        raise ValueError("a torch model needs input_shape=(C, H, W) for its forward pass")
    return _torch_layer_table(model, input_shape)


def _torch_layer_table(model: Any, input_shape: tuple[int, int, int]) -> list[Row]:
    import torch

    rows: list[Row] = []

    def record(module: torch.nn.Module, _inputs: object, output: torch.Tensor) -> None:
        params = sum(p.numel() for p in module.parameters())
        rows.append((type(module).__name__, tuple(output.shape[1:]), params))

    leaves = [m for m in model.modules() if not list(m.children())]
    hooks = [m.register_forward_hook(record) for m in leaves]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(1, *input_shape))  # (1, C, H, W)
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    return rows
