"""The minimal hand-written PyTorch training epoch that ``fit`` is measured against.

Shared by ``bench/bench_training.py`` (one process, fit vs loop) and the ``torch loop`` worker of
:mod:`cnnbook.benchmarks.worker` (the book's speed table), so both compare ``fit`` with the same
loop. Inputs are NCHW.
"""

from __future__ import annotations

from collections.abc import Iterable

from cnnbook._optional import require

require("torch")  # an ImportError that names the extra to install when torch is missing
import torch  # noqa: E402
from torch import nn  # noqa: E402

__all__ = ["hand_written_epoch"]


def hand_written_epoch(model: nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
                       optimizer: torch.optim.Optimizer, loss_fn: nn.Module) -> None:
    """The minimal training epoch everybody writes: forward, loss, backward, step."""
    model.train()
    for xb, yb in batches:  # (B, C, H, W), (B,) already on the device
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)  # (B, 10) logits -> scalar
        loss.backward()
        optimizer.step()
