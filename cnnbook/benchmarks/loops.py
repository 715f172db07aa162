"""The minimal hand-written PyTorch training epoch that ``fit`` is measured against.

Shared by ``bench/bench_training.py`` (one process, fit vs loop) and the ``torch loop`` worker of
:mod:`cnnbook.benchmarks.worker` (the book's speed table), so both compare ``fit`` with the same
loop. Inputs are NCHW.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn


def sync(device: torch.device) -> None:
    """Wait for the device to finish queued work, so a clock reading means something."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def hand_written_epoch(model: nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
                       optimizer: torch.optim.Optimizer, loss_fn: nn.Module) -> None:
    """The minimal training epoch everybody writes: forward, loss, backward, step."""
    model.train()
    for xb, yb in batches:  # (B, C, H, W), (B,) already on the device
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)  # (B, 10) logits -> scalar
        loss.backward()
        optimizer.step()
