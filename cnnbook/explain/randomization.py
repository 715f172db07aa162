"""The model-randomisation test of Adebayo et al. ("Sanity checks for saliency maps", 2018) for
torch models: if an explanation stays the same when the trained weights are destroyed, it
explains the input (an edge detector would do), not the model.

:func:`cascading_randomization` re-initialises the layers of a *copy* of the model **top-down**
(the output layer first, then each layer below it, cumulatively) and, after each step, compares
the new maps with the trained model's by Spearman's rank correlation
(:func:`cnnbook.explain.rank_correlation`). "Top-down" is the order in which the layers run,
found by one forward pass, reversed; a layer is re-initialised by its own ``reset_parameters()``
(PyTorch's default initialisation; batch norm also resets its running statistics), under a
seeded generator that leaves the global random state alone.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from cnnbook._optional import needs

with needs("torch"):
    import torch
    from torch import nn

from cnnbook.explain._checks import Target, as_targets
from cnnbook.explain.hooks import evaluating, find_layer, to_tensor
from cnnbook.explain.sanity import rank_correlation

__all__ = ["cascading_randomization", "layers_top_down"]

Explain = Callable[[nn.Module, Any, np.ndarray], np.ndarray]


def layers_top_down(model: nn.Module, x: Any) -> list[str]:
    """Dotted names of the modules that hold parameters of their own, in the reverse of the
    order they first run in a forward pass of ``x[:1]`` (output layer first)."""
    order: list[str] = []
    handles = []
    for name, module in model.named_modules():
        if name and any(True for _ in module.parameters(recurse=False)):
            handles.append(module.register_forward_hook(
                lambda _m, _i, _o, name=name: order.append(name) if name not in order else None))
    try:
        with evaluating(model), torch.no_grad():
            model(to_tensor(model, x[:1]))
    finally:
        for handle in handles:
            handle.remove()
    return order[::-1]


def cascading_randomization(model: nn.Module, explain: Explain, x: Any, target: Target, *,
                            layers: Sequence[str] | None = None,
                            seed: int = 0) -> dict[str, np.ndarray]:
    """Rank correlation of each step's maps with the trained model's, per image.

    Args:
        model: the trained model; it is not modified (a deep copy is randomised).
        explain: ``explain(model, x, targets)`` -> maps ``(N, ...)``, e.g.
            ``lambda m, x, t: grad_cam(m, x, "conv2", t)``.
        x: inputs ``(N, C, H, W)``.
        target: class index, one for all inputs or one per input.
        layers: the dotted names to re-initialise, in this order (default:
            :func:`layers_top_down`).
        seed: step ``i`` re-initialises its layer under ``torch.manual_seed(seed + i)``.

    Returns:
        ``{layer: rho (N,)}`` in randomisation order: after the entry for ``layer``, that layer
        and every one before it in the dict have been re-initialised. ``rho`` is ``nan`` where a
        map is constant (e.g. an all-zero Grad-CAM).
    """
    targets = as_targets(target, len(x))
    names = list(layers) if layers is not None else layers_top_down(model, x)
    reference = explain(model, x, targets)
    randomised = copy.deepcopy(model)
    result: dict[str, np.ndarray] = {}
    for step, name in enumerate(names):
        module = find_layer(randomised, name)
        reset = getattr(module, "reset_parameters", None)
        if reset is None:
            raise ValueError(f"layer {name!r} ({type(module).__name__}) has no "
                             "reset_parameters() to re-initialise it")
        with torch.random.fork_rng():
            torch.manual_seed(seed + step)
            reset()
        result[name] = rank_correlation(reference, explain(randomised, x, targets))
    return result
