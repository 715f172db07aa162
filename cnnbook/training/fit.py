"""A small, Keras-like ``fit`` / ``evaluate`` for PyTorch classifiers.

    history = fit(model, (x_train, y_train), epochs=10, validation_data=(x_test, y_test))
    history.history["val_accuracy"]  # one float per epoch, as in Keras

Inputs are NCHW: ``x`` is a float tensor or array ``(N, C, H, W)`` (prepare it with
``cnnbook.datasets.torch_data.to_tensors``) and ``y`` holds integer class ids ``(N,)``. ``train``
and ``validation_data`` may also be a ``torch.utils.data.DataLoader`` yielding such batches.

Tensors and arrays are batched by :class:`TensorBatches`, which keeps the whole set on the
training device and shuffles it there with ``torch.randperm``: a GPU step then pays neither a
DataLoader worker nor a host-to-device copy. The loop reads no value back from the device during
an epoch (no ``.item()`` per step); loss and accuracy are accumulated on the device and read once
per epoch, which is what keeps ``fit`` as fast as a hand-written loop.

Like Keras, the training ``loss`` and ``accuracy`` of an epoch are running averages over that
epoch's batches (computed with dropout on, while the weights change), so they differ from what
:func:`evaluate` reports on the same data afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cnnbook._optional import require

require("torch")  # an ImportError that names the extra to install when torch is missing
import torch  # noqa: E402
from torch import nn  # noqa: E402

from cnnbook.progress import progress  # noqa: E402
from cnnbook.seeding import seed_everything  # noqa: E402
from cnnbook.training.batching import Data, make_batches  # noqa: E402
from cnnbook.training.devices import resolve_device  # noqa: E402

__all__ = ["History", "evaluate", "fit"]


@dataclass
class History:
    """What :func:`fit` returns; shaped like Keras' ``History`` so one plot serves both.

    Attributes:
        history: ``{"loss": [...], "accuracy": [...], "val_loss": [...], "val_accuracy": [...]}``,
            one float per epoch (the ``val_`` keys only with validation data).
        epoch: the epoch indices ``[0, 1, ...]``.
        params: the settings of the run (epochs, batch size, device, seed, steps per epoch).
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    epoch: list[int] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)


def _run_epoch(model: nn.Module, batches: Iterable, loss_fn: Callable, device: torch.device,
               optimizer: torch.optim.Optimizer | None, desc: str | None = None
               ) -> dict[str, float]:
    """One pass over ``batches``; trains when ``optimizer`` is given. Syncs once, at the end.

    A progress bar is offered (see :mod:`cnnbook.progress`) only when ``desc`` is given.
    """
    losses, predictions, targets, sizes = [], [], [], []
    if desc is not None:
        batches = progress(batches, desc=desc, leave=False, unit="batch")
    for xb, yb in batches:
        xb = xb.to(device, non_blocking=True)  # (B, C, H, W)
        yb = yb.to(device, non_blocking=True)  # (B,)
        logits = model(xb)  # (B, num_classes)
        loss = loss_fn(logits, yb)
        if optimizer is not None:
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        # Keep per-step work to one extra kernel (argmax); compare and count once per epoch.
        losses.append(loss.detach())
        predictions.append(logits.detach().argmax(1))  # (B,)
        targets.append(yb.argmax(1) if yb.ndim == 2 else yb)  # one-hot labels are accepted too
        sizes.append(len(yb))
    if not sizes:
        raise ValueError("no batches: the data is empty")
    weights = torch.tensor(sizes, device=device, dtype=torch.float32)
    total_loss = (torch.stack(losses).float() * weights).sum()  # mean loss x batch size
    total_correct = (torch.cat(predictions) == torch.cat(targets)).sum()
    seen = sum(sizes)
    return {"loss": total_loss.item() / seen, "accuracy": total_correct.item() / seen}


def evaluate(model: nn.Module, data: Data, *, loss: Callable | None = None,
             batch_size: int = 1024, device: str | torch.device = "auto") -> dict[str, float]:
    """Mean loss and accuracy of ``model`` on ``data``, in eval mode (dropout off), no gradients.

    Returns:
        ``{"loss": float, "accuracy": float}``; ``loss`` defaults to ``nn.CrossEntropyLoss()``.
    """
    device = resolve_device(device)
    model.to(device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return _run_epoch(model, make_batches(data, batch_size, False, 0, device),
                              nn.CrossEntropyLoss() if loss is None else loss, device,
                              optimizer=None)
    finally:
        model.train(was_training)


def fit(model: nn.Module, train: Data, *, epochs: int,
        optimizer: torch.optim.Optimizer | None = None, loss: Callable | None = None,
        validation_data: Data | None = None, batch_size: int = 128,
        device: str | torch.device = "auto", seed: int = 0, verbose: int = 1,
        shuffle: bool = True) -> History:
    """Train ``model`` on ``train`` for ``epochs`` epochs, like Keras' ``model.fit``.

    Args:
        model: a classifier returning logits ``(N, num_classes)`` from ``(N, C, H, W)``.
        train: a DataLoader or an ``(x, y)`` tuple; tuples are batched on the device by
            :class:`TensorBatches` with ``batch_size``, ``shuffle`` and ``seed``. A DataLoader keeps
            its own batch size and shuffling.
        epochs: number of passes over ``train``.
        optimizer: built on ``model.parameters()``; default ``torch.optim.Adam`` with lr 1e-3,
            the optimizer Keras' ``"adam"`` gives.
        loss: a callable ``loss(logits, y)``; default ``nn.CrossEntropyLoss()``.
        validation_data: evaluated after each epoch (same forms as ``train``).
        device: ``"auto"`` (cuda, then mps, then cpu), or any torch device.
        seed: seeds Python, NumPy and torch (dropout, shuffling) via ``seed_everything``.
        verbose: 0 silent; 1 one line per epoch plus a progress bar where one helps; 2 lines only.

    Returns:
        A :class:`History` with ``loss``, ``accuracy`` (and ``val_loss``, ``val_accuracy``).
    """
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    seed_everything(seed)
    device = resolve_device(device)
    model.to(device)
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss() if loss is None else loss
    batches = make_batches(train, batch_size, shuffle, seed, device)
    val_batches = None
    if validation_data is not None:
        val_batches = make_batches(validation_data, max(batch_size, 1024), False, seed, device)

    history = History(params={"epochs": epochs, "batch_size": batch_size, "device": str(device),
                              "seed": seed, "steps": len(batches)})  # type: ignore[arg-type]
    for epoch in range(epochs):
        model.train()
        desc = f"Epoch {epoch + 1}/{epochs}" if verbose == 1 else None
        logs = _run_epoch(model, batches, loss_fn, device, optimizer, desc)
        if val_batches is not None:
            val = evaluate(model, val_batches, loss=loss_fn, device=device)
            logs.update({f"val_{key}": value for key, value in val.items()})
        for key, value in logs.items():
            history.history.setdefault(key, []).append(value)
        history.epoch.append(epoch)
        if verbose:
            metrics = " - ".join(f"{key}: {value:.4f}" for key, value in logs.items())
            print(f"Epoch {epoch + 1}/{epochs} - {metrics}")
    return history
