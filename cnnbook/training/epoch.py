"""One pass over a set of batches, the inner loop of :func:`~cnnbook.training.fit` and
:func:`~cnnbook.training.evaluate`.

Batches are NCHW ``(B, C, H, W)`` floats with class ids ``(B,)`` or class probabilities
``(B, K)``. The pass reads no value back from the device until it ends: loss and accuracy are
accumulated on the device, summed over processes when data parallel (one all-reduce), and read
once, which keeps ``fit`` as fast as a hand-written loop. The only exceptions are the steps in
which a compiled model compiles (its first step, and the first with a new batch shape, such as a
smaller last batch), each timed apart between two syncs so that compilation is reported on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from cnnbook._optional import needs

with needs("torch"):
    import torch
    from torch import nn

from cnnbook.progress import progress
from cnnbook.training.devices import sync
from cnnbook.training.distributed import all_reduce_sum
from cnnbook.training.speed import Speed

__all__ = ["run_epoch", "run_evaluation"]

Scheduler = torch.optim.lr_scheduler.LRScheduler


def _update(loss: torch.Tensor, optimizer: torch.optim.Optimizer,
            scaler: torch.amp.GradScaler | None, scheduler: Scheduler | None) -> None:
    """Backward pass and optimizer step (through the fp16 loss scaler when there is one)."""
    optimizer.zero_grad(set_to_none=True)
    if scaler is None:
        loss.backward()
        optimizer.step()
    else:
        scaler.scale(loss).backward()
        scaler.step(optimizer)  # skipped when the scaled gradients overflowed
        scaler.update()
    if scheduler is not None:
        scheduler.step()


def run_epoch(model: nn.Module, batches: Iterable, loss_fn: Callable, device: torch.device, *,
              optimizer: torch.optim.Optimizer | None = None, speed: Speed | None = None,
              scaler: torch.amp.GradScaler | None = None,
              augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
              scheduler: Scheduler | None = None, desc: str | None = None,
              all_reduce: bool = False,
              compiled_shapes: set[tuple[int, ...]] | None = None) -> dict[str, float]:
    """One pass over ``batches``; trains when ``optimizer`` is given. Syncs once, at the end.

    In training, ``augment`` transforms each input batch on the device and ``scheduler`` (when
    given) steps after each optimizer step. ``speed`` sets the memory format and the autocast.
    A progress bar is offered (see :mod:`cnnbook.progress`) only when ``desc`` is given.

    Args:
        compiled_shapes: for a compiled model, the input shapes it has already compiled for
            (updated in place): a step with a new shape compiles, and is timed apart.

    Returns:
        ``{"loss": mean loss, "accuracy": fraction correct}`` over the samples seen (over every
        process's samples with ``all_reduce``, which all processes must then call; per pixel
        for ``(B, H, W)`` class ids; no ``"accuracy"`` for dense float targets such as a
        detector's maps, which have no class to compare), plus
        ``"compile_s"``, the synced wall time of the steps that compiled, with
        ``compiled_shapes``.
    """
    speed = Speed() if speed is None else speed
    losses, predictions, targets, sizes = [], [], [], []
    logs: dict[str, float] = {}
    if desc is not None:
        batches = progress(batches, desc=desc, leave=False, unit="batch")
    for xb, yb in batches:
        timed = compiled_shapes is not None and tuple(xb.shape) not in compiled_shapes
        if timed:  # a compiled model compiles in this step: time it apart
            compiled_shapes.add(tuple(xb.shape))  # type: ignore[union-attr]
            sync(device)
            start = time.perf_counter()
        xb = xb.to(device, non_blocking=True)  # (B, C, H, W)
        yb = yb.to(device, non_blocking=True)  # (B,) class ids or (B, K) probabilities
        if augment is not None and optimizer is not None:
            xb = augment(xb)  # (B, C, H, W), on the device
        xb = speed.batch(xb)  # (B, C, H, W), channels_last in memory if asked
        with speed.autocast(device):
            logits = model(xb)  # (B, num_classes)
            loss = loss_fn(logits, yb)
        if optimizer is not None:
            _update(loss, optimizer, scaler, scheduler)
        if timed:
            sync(device)
            logs["compile_s"] = logs.get("compile_s", 0.0) + time.perf_counter() - start
        # Keep per-step work to one extra kernel (argmax); compare and count once per epoch.
        losses.append(loss.detach())
        if not (yb.ndim == 4 and yb.is_floating_point()):  # float maps: no accuracy
            predictions.append(logits.detach().argmax(1))  # (B,) or (B, H, W)
            targets.append(yb.argmax(1) if yb.ndim == 2 else yb)  # one-hot -> class ids
        sizes.append(len(yb))
    if not sizes:
        raise ValueError("no batches: the data is empty")
    weights = torch.tensor(sizes, device=device, dtype=torch.float32)
    total_loss = (torch.stack(losses).float() * weights).sum()  # mean loss x batch size
    parts = [total_loss, weights.sum()]
    if predictions:  # correct predictions (pixels for per-pixel ids) and how many were made
        hits = torch.cat(predictions) == torch.cat(targets)
        parts += [hits.sum().float(), torch.tensor(float(hits.numel()), device=device)]
    totals = torch.stack(parts)  # (2,) or (4,)
    if all_reduce:
        all_reduce_sum(totals)  # the sums over every process's samples
    sums = totals.tolist()  # the one read-back of the epoch
    accuracy = {"accuracy": sums[2] / sums[3]} if predictions else {}
    return {"loss": sums[0] / sums[1], **accuracy, **logs}


def run_evaluation(model: nn.Module, batches: Iterable, loss_fn: Callable, device: torch.device,
                   speed: Speed | None = None, all_reduce: bool = False) -> dict[str, float]:
    """:func:`run_epoch` in eval mode (dropout off, batch norm's running statistics) without
    gradients; the model's previous mode is restored."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return run_epoch(model, batches, loss_fn, device, speed=speed, all_reduce=all_reduce)
    finally:
        model.train(was_training)
