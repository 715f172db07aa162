"""Hand-written PyTorch training loops: the minimal epoch that ``fit`` is measured against, and
the loop a typical tutorial writes.

- :func:`hand_written_epoch`: forward, loss, backward, step over batches already on the device.
  Shared by ``bench/bench_training.py`` (one process, fit vs loop) and the ``torch loop`` worker
  of :mod:`cnnbook.benchmarks.worker` (the book's speed table), so both compare ``fit`` with the
  same loop.
- :func:`tutorial_steps`: the same step plus what tutorials add around it, a ``.to(device)`` per
  batch and a ``loss.item()`` per step (which waits for the device): the first rungs of the
  time-to-accuracy ladder (:mod:`cnnbook.benchmarks.ladder`).

Inputs are NCHW.
"""

from __future__ import annotations

from collections.abc import Iterable

from cnnbook._optional import needs

with needs("torch"):
    import torch
    from torch import nn

__all__ = ["hand_written_epoch", "tutorial_steps"]


def hand_written_epoch(model: nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
                       optimizer: torch.optim.Optimizer, loss_fn: nn.Module) -> None:
    """The minimal training epoch everybody writes: forward, loss, backward, step."""
    model.train()
    for xb, yb in batches:  # (B, C, H, W), (B,) already on the device
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)  # (B, 10) logits -> scalar
        loss.backward()
        optimizer.step()


def tutorial_steps(model: nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
                   optimizer: torch.optim.Optimizer, loss_fn: nn.Module,
                   device: torch.device) -> list[float]:
    """The training loop of a typical tutorial, one step per batch of ``batches``.

    Each batch ``(B, C, H, W)``, ``(B,)`` is copied to ``device`` (a no-op when it is there
    already), and each step reads its loss back with ``loss.item()``, which waits for the device
    to finish the step before Python queues the next one.

    Returns:
        The loss of every step, as Python floats (what the tutorial prints or averages).
    """
    model.train()
    losses = []
    for xb, yb in batches:
        xb, yb = xb.to(device), yb.to(device)  # (B, C, H, W), (B,)
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)  # (B, 10) logits -> scalar
        loss.backward()
        optimizer.step()
        losses.append(loss.item())  # a sync per step
    return losses
