"""Gradient saliency for a torch ``nn.Module``: the vanilla gradient, gradient x input and
SmoothGrad (NCHW: inputs and maps are ``(N, C, H, W)``).

- ``"gradient"`` (Simonyan et al., 2014): ``d y_c / d x``, how much each input value would move
  the target's score. ``captum.attr.Saliency`` computes the same (its ``abs=True`` default is
  ``absolute=True`` here); the tests check that to 1e-5.
- ``"gradient_x_input"`` (Shrikumar et al., 2016): ``x * d y_c / d x``, a first-order estimate of
  each value's contribution relative to an all-zero input.
- ``"smoothgrad"`` (Smilkov et al., 2017): the gradient averaged over ``samples`` noisy copies of
  the input, noise ``sigma`` times each image's value range, seeded (see
  :func:`cnnbook.explain.smooth_grad`, shared with Keras).

``y_c`` is the model's output for class ``c`` (logits for the book's torch models). Maps keep the
channel axis; for a figure take e.g. ``np.abs(maps).max(axis=1)`` ``(N, H, W)``.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from cnnbook._optional import needs

with needs("torch"):
    import torch
    from torch import nn

from cnnbook.explain._checks import Target, as_targets, batches
from cnnbook.explain.hooks import evaluating, to_tensor
from cnnbook.explain.maps import smooth_grad

__all__ = ["METHODS", "input_gradient", "saliency"]

Method = Literal["gradient", "gradient_x_input", "smoothgrad"]
METHODS: tuple[Method, ...] = ("gradient", "gradient_x_input", "smoothgrad")


def input_gradient(model: nn.Module, x: Any, target: Target, *,
                   batch_size: int = 64) -> np.ndarray:
    """``d y_target / d x`` ``(N, C, H, W)`` float32, in eval mode."""
    targets = as_targets(target, len(x))
    parts = []
    with evaluating(model), torch.enable_grad():
        for part in batches(len(x), batch_size):
            inputs = to_tensor(model, x[part]).requires_grad_(True)  # (B, C, H, W)
            scores = model(inputs)  # (B, K)
            chosen = torch.as_tensor(targets[part], device=scores.device)
            (grads,) = torch.autograd.grad(scores.gather(1, chosen[:, None]).sum(), inputs)
            parts.append(grads.float().cpu().numpy())
    return np.concatenate(parts)


def saliency(model: nn.Module, x: Any, target: Target, *, method: Method = "gradient",
             samples: int = 25, sigma: float = 0.15, seed: int = 0, absolute: bool = False,
             batch_size: int = 64) -> np.ndarray:
    """Saliency of ``target`` for inputs ``x`` ``(N, C, H, W)``: ``(N, C, H, W)`` float32.

    Args:
        model: maps ``(N, C, H, W)`` to scores ``(N, K)``.
        x: inputs (NumPy or tensor).
        target: class index, one for all inputs or one per input.
        method: ``"gradient"``, ``"gradient_x_input"`` or ``"smoothgrad"`` (module docstring).
        samples, sigma, seed: SmoothGrad's noisy copies, noise level (fraction of each image's
            value range) and seed; ignored by the other methods.
        absolute: return ``|map|``.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    values = x.detach().cpu().numpy() if torch.is_tensor(x) else np.asarray(x, np.float32)
    targets = as_targets(target, len(values))
    if method == "smoothgrad":
        maps = smooth_grad(lambda noisy: input_gradient(model, noisy, targets,
                                                        batch_size=batch_size),
                           values, samples=samples, sigma=sigma, seed=seed)
    else:
        maps = input_gradient(model, values, targets, batch_size=batch_size)
        if method == "gradient_x_input":
            maps = maps * values
    return np.abs(maps) if absolute else maps
