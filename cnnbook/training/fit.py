"""A small, Keras-like ``fit`` / ``evaluate`` / ``predict`` for PyTorch classifiers.

    history = fit(model, (x_train, y_train), epochs=10, validation_data=(x_test, y_test))
    history.history["val_accuracy"]  # one float per epoch, as in Keras
    probabilities = predict(model, x_test)  # (N, num_classes)

Inputs are NCHW: ``x`` is a float tensor or array ``(N, C, H, W)`` (prepare it with
``cnnbook.datasets.torch_data.to_tensors``) and ``y`` holds integer class ids ``(N,)`` or one-hot
(or soft) labels ``(N, K)`` as floats, which ``nn.CrossEntropyLoss`` takes as class probabilities.
``train`` and ``validation_data`` may also be a ``torch.utils.data.DataLoader`` yielding such
batches.

Tensors and arrays are batched by :class:`TensorBatches`, which keeps the whole set on the
training device and shuffles it there with ``torch.randperm``: a GPU step then pays neither a
DataLoader worker nor a host-to-device copy. The loop reads no value back from the device during
an epoch (no ``.item()`` per step); loss and accuracy are accumulated on the device and read once
per epoch, which is what keeps ``fit`` as fast as a hand-written loop.

Like Keras, the training ``loss`` and ``accuracy`` of an epoch are running averages over that
epoch's batches (computed with dropout on, while the weights change), so they differ from what
:func:`evaluate` reports on the same data afterwards.

Each epoch's randomness (shuffling, dropout, augmentation) is seeded from ``(seed, epoch)`` alone,
so ``fit(..., epochs=4, initial_epoch=2)`` on a model, optimizer and scheduler restored from a
checkpoint saved after epoch 2 (:mod:`cnnbook.saving.torch_checkpoint`) repeats the last two epochs
of an uninterrupted four-epoch run exactly (on CPU; GPU kernels may not be deterministic).

Speed options (:mod:`cnnbook.training.speed`): ``channels_last=True``, ``precision="bf16"`` or
``"fp16"`` (autocast), ``compile=True`` (``torch.compile``; the steps that compile are timed apart
as ``history.params["compile_s"]``). Under ``torchrun``, after
:func:`cnnbook.training.distributed.init_distributed`, the same call trains data parallel:
``batch_size`` is the global batch, split across the processes (:mod:`~.distributed`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from cnnbook._optional import needs

with needs("torch"):
    import torch
    from torch import nn

from cnnbook import arrays
from cnnbook.seeding import seed_everything
from cnnbook.training import distributed
from cnnbook.training.batching import (
    Data,
    epoch_seed,
    make_batches,
    set_epoch,
    split_validation,
)
from cnnbook.training.callbacks import Callback
from cnnbook.training.devices import resolve_device
from cnnbook.training.epoch import Scheduler, run_epoch, run_evaluation
from cnnbook.training.speed import Speed
from cnnbook.training.transfer import hold_frozen_norms

__all__ = ["History", "evaluate", "fit", "predict"]


@dataclass
class History:
    """What :func:`fit` returns; shaped like Keras' ``History`` so one plot serves both.

    Attributes:
        history: ``{"loss": [...], "accuracy": [...], "val_loss": [...], "val_accuracy": [...],
            "lr": [...]}``, one float per epoch (the ``val_`` keys only with validation data;
            ``lr``: the first parameter group's learning rate at the start of the epoch).
        epoch: the epoch indices ``[initial_epoch, ..., last]``.
        params: the settings of the run (epochs, batch size, device, seed, steps per epoch,
            world size, the speed options) and ``compile_s``, the wall time of the steps that
            compiled with ``compile``, else ``None``.
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    epoch: list[int] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)


def evaluate(model: nn.Module, data: Data, *, loss: Callable | None = None,
             batch_size: int = 1024, device: str | torch.device = "auto",
             precision: str = "fp32") -> dict[str, float]:
    """Mean loss and accuracy of ``model`` on NCHW ``data``, in eval mode (dropout off), no
    gradients, under ``precision``'s autocast. Local: under ``torchrun`` each process evaluates
    all of ``data``.

    Returns:
        ``{"loss": float, "accuracy": float}``; ``loss`` defaults to ``nn.CrossEntropyLoss()``.
    """
    device = resolve_device(device)
    speed = Speed(precision=precision)
    speed.check(device)
    model.to(device)
    return run_evaluation(model, make_batches(data, batch_size, False, 0, device),
                          nn.CrossEntropyLoss() if loss is None else loss, device, speed)


def fit(model: nn.Module, train: Data, *, epochs: int,
        optimizer: torch.optim.Optimizer | None = None, loss: Callable | None = None,
        validation_data: Data | None = None, validation_split: float = 0.0,
        batch_size: int = 128, device: str | torch.device = "auto", seed: int = 0,
        verbose: int = 1, shuffle: bool = True, scheduler: Scheduler | None = None,
        scheduler_step: Literal["batch", "epoch"] = "epoch",
        augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
        callbacks: Sequence[Callback] = (), initial_epoch: int = 0,
        channels_last: bool = False, precision: str = "fp32",
        compile: bool | Mapping[str, Any] = False) -> History:
    """Train ``model`` on ``train`` for ``epochs`` epochs, like Keras' ``model.fit``.

    Args:
        model: a classifier returning logits ``(N, num_classes)`` from ``(N, C, H, W)``.
        train: a DataLoader or an ``(x, y)`` tuple; tuples are batched on the device by
            :class:`TensorBatches` with ``batch_size``, ``shuffle`` and ``seed``. A DataLoader keeps
            its own batch size and shuffling.
        epochs: the index of the last epoch plus one (as in Keras, not a count when resuming).
        optimizer: built on ``model.parameters()``; default ``torch.optim.Adam`` with lr 1e-3,
            the optimizer Keras' ``"adam"`` gives.
        loss: a callable ``loss(logits, y)``; default ``nn.CrossEntropyLoss()`` (class ids or
            class probabilities; ``label_smoothing=`` is one of its arguments). Dense
            predictors pass their own: per-pixel class ids ``y`` ``(N, H, W)`` work with the
            default (``accuracy`` is then per pixel); float target maps ``(N, C, H, W)`` with,
            e.g., :class:`cnnbook.detection.loss.CenterNetLoss` (no ``accuracy`` is logged).
        validation_data: evaluated after each epoch (same forms as ``train``).
        validation_split: hold out the **last** fraction of an ``(x, y)`` ``train`` tuple,
            before shuffling, as validation data (Keras' semantics); not with ``validation_data``
            or a DataLoader.
        batch_size: images per optimizer step, over all processes when data parallel (each of
            N processes then takes ``batch_size / N`` of every batch; see :mod:`~.distributed`).
        device: ``"auto"`` (cuda, then mps, then cpu), or any torch device.
        seed: seeds Python, NumPy and torch via ``seed_everything``; each epoch then reseeds
            torch, the batch order and ``augment`` from ``(seed, epoch)``.
        verbose: 0 silent; 1 one line per epoch plus a progress bar where one helps; 2 lines only.
            Only rank 0 prints when data parallel.
        scheduler: a torch LR scheduler built on ``optimizer``, stepped after every optimizer
            step (``scheduler_step="batch"``, e.g. ``OneCycleLR`` with ``steps_per_epoch=
            math.ceil(n_train / batch_size)``, ``n_train`` counted after ``validation_split``)
            or after every epoch (``"epoch"``, e.g. ``StepLR``, ``CosineAnnealingLR``).
            ``ReduceLROnPlateau`` needs a metric and is not supported.
        augment: ``augment(x) -> x`` applied on the device to each training batch ``(B, C, H,
            W)`` only (never to validation data), e.g. :func:`cnnbook.training.augment.compose`.
            If it has ``set_epoch(epoch)``, that is called before each epoch (data parallel:
            with ``epoch * world_size + rank``, so that each process draws its own).
        callbacks: at most a few :class:`~cnnbook.training.callbacks.Callback` objects
            (``EarlyStopping``, ``BestCheckpoint``): ``on_epoch_end(epoch, logs, model) -> bool``
            after each epoch (``True`` stops training), ``on_train_end(model)`` at the end. They
            get the plain model (never the compiled or DDP wrapper) and run on every process.
        initial_epoch: the epoch to start at, to resume a run (see the module docstring).
        channels_last: model and batches in ``torch.channels_last`` memory format (the tensors
            stay NCHW-indexed).
        precision: ``"fp32"``; ``"bf16"`` (CUDA with bf16, or any CPU, where it is slow
            without bf16 instructions) or ``"fp16"`` (CUDA only, with a GradScaler): autocast
            of the forward pass and the loss (:mod:`cnnbook.training.speed`).
        compile: ``True`` or a dict of ``torch.compile`` arguments: train through
            ``torch.compile(model)``; ``history.params["compile_s"]`` is the time of the steps
            that compiled (the first, and the first with a smaller last batch).

    Returns:
        A :class:`History` with ``loss``, ``accuracy``, ``lr`` (and ``val_loss``,
        ``val_accuracy``), one value per epoch trained.
    """
    if not 0 <= initial_epoch <= epochs:
        raise ValueError(f"need 0 <= initial_epoch <= epochs, got {initial_epoch} and {epochs}")
    if scheduler_step not in ("batch", "epoch"):
        raise ValueError(f"scheduler_step must be 'batch' or 'epoch', got {scheduler_step!r}")
    speed = Speed(channels_last, precision, compile)
    distributed.check_launch()
    if validation_split:
        if validation_data is not None:
            raise ValueError("pass validation_data or validation_split, not both")
        train, validation_data = split_validation(train, validation_split)
    seed_everything(seed)
    device = distributed.training_device(resolve_device(device))
    speed.check(device)
    rank, world = distributed.rank(), distributed.world_size()
    verbose = verbose if rank == 0 else 0
    speed.prepare(model.to(device))
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        raise ValueError("ReduceLROnPlateau steps on a metric, which fit does not pass; use a "
                         "fixed schedule, or EarlyStopping")
    if scheduler is not None and getattr(scheduler, "optimizer", None) is not optimizer:
        raise ValueError("the scheduler must be built on the optimizer given to fit")
    loss_fn = nn.CrossEntropyLoss() if loss is None else loss
    batches = make_batches(train, batch_size, shuffle, seed, device, rank=rank,
                           world_size=world, channels_last=channels_last)
    val_batches = None
    if validation_data is not None:  # every sample once, over all processes
        val_batches = make_batches(validation_data, max(batch_size, 1024), False, seed, device,
                                   rank=rank, world_size=world, even_shards=False,
                                   channels_last=channels_last)
    # The model that trains: DDP when data parallel (gradients averaged in backward), compiled
    # if asked. Validation and callbacks use `model` itself: the same weights, no recompilation.
    trained = speed.compiled(distributed.wrap_model(model, device))
    scaler = speed.grad_scaler(device)
    compiled_shapes: set[tuple[int, ...]] | None = set() if speed.compiling else None

    history = History(params={"epochs": epochs, "batch_size": batch_size, "device": str(device),
                              "seed": seed, "steps": len(batches),  # type: ignore[arg-type]
                              "initial_epoch": initial_epoch, "world_size": world,
                              **speed.params(), "compile_s": 0.0 if speed.compiling else None})
    for epoch in range(initial_epoch, epochs):
        torch.manual_seed(epoch_seed(seed, epoch, rank))  # dropout and any global draws
        set_epoch(batches, epoch)  # TensorBatches: the same order on every process
        set_epoch(augment, epoch * world + rank)  # Augmentation: its own draws per process
        trained.train()
        hold_frozen_norms(model)  # frozen batch norms keep their statistics, as in Keras
        lr = float(optimizer.param_groups[0]["lr"])
        desc = f"Epoch {epoch + 1}/{epochs}" if verbose == 1 else None
        logs = run_epoch(trained, batches, loss_fn, device, optimizer=optimizer, speed=speed,
                         scaler=scaler, augment=augment, desc=desc, all_reduce=world > 1,
                         scheduler=scheduler if scheduler_step == "batch" else None,
                         compiled_shapes=compiled_shapes)
        if "compile_s" in logs:  # the steps that compiled, timed apart
            history.params["compile_s"] += logs.pop("compile_s")
        if scheduler is not None and scheduler_step == "epoch":
            scheduler.step()
        if val_batches is not None:
            val = run_evaluation(model, val_batches, loss_fn, device, speed, world > 1)
            logs.update({f"val_{key}": value for key, value in val.items()})
        logs["lr"] = lr
        for key, value in logs.items():
            history.history.setdefault(key, []).append(value)
        history.epoch.append(epoch)
        if verbose:
            metrics = " - ".join(f"{key}: {value:.4g}" if key == "lr" else f"{key}: {value:.4f}"
                                 for key, value in logs.items()
                                 if key != "lr" or scheduler is not None)
            print(f"Epoch {epoch + 1}/{epochs} - {metrics}")
        # Every callback sees every epoch, even when an earlier one asks to stop. The logs are
        # the same on every process, so data-parallel processes stop together.
        stops = [callback.on_epoch_end(epoch, logs, model) for callback in callbacks]
        if any(stops):
            break
    for callback in callbacks:
        callback.on_train_end(model)
    return history


def predict(model: nn.Module, x: Any, *, batch_size: int = 1024,
            device: str | torch.device = "auto", probabilities: bool = True) -> Any:
    """Class probabilities (softmax) or logits of ``model`` for the images ``x``.

    Batched, in eval mode (dropout off, batch norm uses its running statistics), without
    gradients; the model's previous mode is restored.

    Args:
        x: float images ``(N, C, H, W)``, a tensor (on any device) or a NumPy array.
        probabilities: ``True`` for ``softmax(logits)`` (rows sum to 1), ``False`` for logits.

    Returns:
        ``(N, num_classes)`` float32: a NumPy array for a NumPy ``x``, a tensor on ``x``'s
        device for a tensor ``x``.
    """
    if isinstance(x, np.ndarray):
        inputs = torch.from_numpy(np.ascontiguousarray(x))
    elif isinstance(x, torch.Tensor):
        inputs = x
    else:
        raise TypeError(f"x must be a torch.Tensor or a NumPy array, got {type(x).__name__}")
    if inputs.ndim != 4 or not inputs.is_floating_point() or len(inputs) == 0:
        raise ValueError(f"x must be float images (N, C, H, W) with N >= 1, got {inputs.dtype} "
                         f"{tuple(inputs.shape)}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    device = resolve_device(device)
    model.to(device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            outputs = torch.cat([model(inputs[part].to(device, non_blocking=True))
                                 for part in arrays.batches(len(inputs), batch_size)])  # (N, K)
    finally:
        model.train(was_training)
    if probabilities:
        outputs = outputs.softmax(dim=1)  # (N, K), rows sum to 1
    return outputs.cpu().numpy() if isinstance(x, np.ndarray) else outputs.to(inputs.device)
