"""Grad-CAM (Selvaraju et al., 2017) on any layer of a torch ``nn.Module`` with a 4-D output.

For target class ``c`` and the layer's feature maps ``A`` ``(N, K, h, w)`` (NCHW):

    alpha_k = mean over (i, j) of d y_c / d A_k[i, j]          (one weight per channel)
    cam     = ReLU(sum_k alpha_k * A_k)                         (N, h, w), at layer resolution

``y_c`` is the model's output for class ``c``: the logit, for the book's torch models (the paper
uses the score before the softmax). This is ``captum.attr.LayerGradCam`` with
``relu_attributions=True``, and the tests check that to 1e-5. ``relu=False`` keeps the negative
part. Upsample to the input's size for an overlay with :func:`cnnbook.explain.resize`.

The layer is named by its dotted module path (``"conv2"``, ``"res1"``, ``"res1.conv2"``): any
module whose output is ``(N, K, h, w)``, typically a convolution or the block that ends with one.
When the next module changes the output in place (``nn.ReLU(inplace=True)``), the map is that of
the changed tensor, the ReLU's output, as with captum.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnbook._optional import needs

with needs("torch"):
    import torch
    from torch import nn

from cnnbook.explain._checks import Target, as_targets, batches
from cnnbook.explain.hooks import capture, evaluating, single, to_tensor

__all__ = ["grad_cam"]


def grad_cam(model: nn.Module, x: Any, layer: str, target: Target, *, relu: bool = True,
             batch_size: int = 64) -> np.ndarray:
    """Grad-CAM of ``target`` at ``layer``: ``(N, h, w)`` float32 (module docstring).

    Args:
        model: maps ``(N, C, H, W)`` to scores ``(N, K)``; run in eval mode here.
        x: inputs ``(N, C, H, W)`` (NumPy or tensor).
        layer: dotted module path of a layer whose output is ``(N, K, h, w)``.
        target: class index, one for all inputs or one per input.
        relu: keep only the positive part (Grad-CAM as published).
        batch_size: inputs per forward and backward pass.
    """
    targets = as_targets(target, len(x))
    parts = []
    with evaluating(model), torch.enable_grad(), capture(model, layer) as outputs:
        for part in batches(len(x), batch_size):
            outputs.clear()
            inputs = to_tensor(model, x[part]).requires_grad_(True)  # (B, C, H, W)
            scores = model(inputs)  # (B, K)
            maps = single(outputs, layer)  # (B, K', h, w)
            if maps.ndim != 4:
                raise ValueError(f"Grad-CAM needs a (N, C, H, W) layer output; {layer!r} gives "
                                 f"{tuple(maps.shape)}")
            chosen = torch.as_tensor(targets[part], device=scores.device)
            score = scores.gather(1, chosen[:, None]).sum()
            (grads,) = torch.autograd.grad(score, maps)  # (B, K', h, w)
            weights = grads.mean(dim=(2, 3), keepdim=True)  # (B, K', 1, 1): alpha_k
            cam = (weights * maps).sum(dim=1)  # (B, h, w)
            if relu:
                cam = torch.relu(cam)
            parts.append(cam.detach().float().cpu().numpy())
    return np.concatenate(parts)
