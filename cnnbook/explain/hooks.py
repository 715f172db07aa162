"""Feature maps of any named layer of a torch ``nn.Module``, and the torch plumbing the other
explanation modules share (NCHW: inputs ``(N, C, H, W)``).

A layer is named by its dotted module path, as ``model.get_submodule`` reads it: ``"conv1"``,
``"res1.conv2"``, ``"features.3"``. Its output is caught by a forward hook, so the model's
``forward`` needs no change; a module that runs more than once per forward pass (a shared
``nn.MaxPool2d``, say) is refused, because its "output" would be ambiguous.

Every function runs the model in ``eval`` mode (dropout off, batch norm on its running
statistics) and restores each submodule's mode afterwards. Inputs may be NumPy arrays or tensors;
they are moved to the model's device, and results come back as float32 NumPy arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np

from cnnbook._optional import needs

with needs("torch"):
    import torch
    from torch import nn

from cnnbook.explain._checks import batches

__all__ = ["activations", "capture", "evaluating", "find_layer", "predictor", "to_tensor"]

Output = Literal["logits", "probabilities"]
_MAX_NAMES = 30  # layer names listed in an error message


def find_layer(model: nn.Module, name: str) -> nn.Module:
    """The submodule of ``model`` at the dotted path ``name``; a one-line ValueError otherwise."""
    try:
        return model.get_submodule(name)
    except AttributeError:
        names = [n for n, _ in model.named_modules() if n]
        listed = ", ".join(names[:_MAX_NAMES]) + (" ..." if len(names) > _MAX_NAMES else "")
        raise ValueError(f"{type(model).__name__} has no layer {name!r}; layers: {listed}") \
            from None


def to_tensor(model: nn.Module, x: Any) -> torch.Tensor:
    """``x`` as a float32 tensor on ``model``'s device (CPU for a model without parameters)."""
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    return torch.as_tensor(np.asarray(x) if not torch.is_tensor(x) else x,
                           dtype=torch.float32, device=device)


@contextmanager
def evaluating(model: nn.Module) -> Iterator[nn.Module]:
    """``model`` in eval mode for the block; each submodule's mode is restored afterwards."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for module, mode in modes:
            module.training = mode


@contextmanager
def capture(model: nn.Module, layer: str) -> Iterator[list[torch.Tensor]]:
    """A list that receives ``layer``'s output tensor at each forward pass inside the block."""
    outputs: list[torch.Tensor] = []

    def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
        if not torch.is_tensor(output):
            raise ValueError(f"layer {layer!r} returns {type(output).__name__}, not a tensor")
        outputs.append(output)

    handle = find_layer(model, layer).register_forward_hook(hook)
    try:
        yield outputs
    finally:
        handle.remove()


def single(outputs: list[torch.Tensor], layer: str) -> torch.Tensor:
    """The one output :func:`capture` caught; a one-line ValueError when the layer ran 0 or 2+
    times in the forward pass."""
    if len(outputs) != 1:
        raise ValueError(f"layer {layer!r} ran {len(outputs)} times in one forward pass; "
                         "choose a layer that runs exactly once")
    return outputs[0]


def activations(model: nn.Module, x: Any, layer: str, *, batch_size: int = 256) -> np.ndarray:
    """The output of ``layer`` for inputs ``x`` ``(N, C, H, W)``: ``(N, C', h, w)`` for a
    convolution, whatever shape the layer gives otherwise; float32 NumPy.

    The model runs without gradients, ``batch_size`` inputs at a time, in eval mode.
    """
    parts = []
    with evaluating(model), torch.no_grad(), capture(model, layer) as outputs:
        for part in batches(len(x), batch_size):
            outputs.clear()
            model(to_tensor(model, x[part]))
            parts.append(single(outputs, layer).float().cpu().numpy())
    return np.concatenate(parts)


def predictor(model: nn.Module, *, output: Output = "logits",
              batch_size: int = 256) -> Callable[[np.ndarray], np.ndarray]:
    """A function from a NumPy batch ``(N, C, H, W)`` to ``(N, K)`` scores, for
    :func:`cnnbook.explain.occlusion` and :func:`cnnbook.explain.deletion_test`.

    ``output="logits"`` returns what the model returns (the book's torch models return logits);
    ``"probabilities"`` applies a softmax to it.
    """
    if output not in ("logits", "probabilities"):
        raise ValueError(f"output must be 'logits' or 'probabilities', got {output!r}")

    def forward(batch: np.ndarray) -> np.ndarray:
        parts = []
        with evaluating(model), torch.no_grad():
            for part in batches(len(batch), batch_size):
                scores = model(to_tensor(model, batch[part]))  # (B, K)
                if output == "probabilities":
                    scores = scores.softmax(dim=1)
                parts.append(scores.float().cpu().numpy())
        return np.concatenate(parts)

    return forward
