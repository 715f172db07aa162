"""Data parallel training with PyTorch's own engine: ``torchrun`` and DistributedDataParallel.

A training script becomes data parallel by adding one call before it trains; :func:`fit` is
called exactly as on one process:

    from cnnbook.training import fit
    from cnnbook.training.distributed import init_distributed

    init_distributed()      # joins torchrun's process group; a no-op under plain `python`
    fit(model, (x, y), epochs=5, batch_size=256)

    torchrun --nproc_per_node=2 train.py        # 2 processes, each sees half of every batch

What :func:`fit` does once a process group is initialised (:func:`is_distributed`):

- wraps the model in ``DistributedDataParallel``, which broadcasts rank 0's weights once and then
  averages the gradients of every step across processes (an all-reduce inside ``backward``);
- ``batch_size`` is the **global** batch: every process draws the same permutation of the data
  from the shared ``(seed, epoch)`` and trains on its own ``batch_size / world_size`` slice of
  each global batch (:class:`~cnnbook.training.batching.TensorBatches` with ``rank`` and
  ``world_size``), so N processes take the same optimizer steps as one process with the same
  ``batch_size``, up to floating-point rounding (without BatchNorm, whose statistics stay
  per-process unless converted with ``nn.SyncBatchNorm.convert_sync_batchnorm``);
- all-reduces the epoch's loss and accuracy sums, once per epoch, so the history is the same on
  every process and equals one process's history (when ``N`` is a multiple of ``world_size``;
  otherwise the remainder, fewer than ``world_size`` samples, sits out each epoch);
- seeds dropout and ``augment`` per process, so that the processes do not repeat each other's
  random draws;
- prints (and shows progress bars) on rank 0 only. Callbacks run on every process (with the
  same logs, so ``EarlyStopping`` stops them together); a script saves from rank 0
  (:func:`is_main`).

A training DataLoader must use a ``DistributedSampler`` (its ``batch_size`` is then per process;
``fit`` calls the sampler's ``set_epoch``); an ``(x, y)`` tuple needs nothing. Validation data are
split across the processes too and their sums all-reduced; :func:`~cnnbook.training.evaluate` and
``predict`` stay local (each process computes all of its data), so calling them on rank 0 alone
cannot hang.

Launching happens outside: ``fit`` never initialises a process group itself (that would be a hidden
side effect of a library call), but it refuses to run when ``torchrun`` launched several
processes and :func:`init_distributed` was not called, instead of silently training N copies.
The backend is ``nccl`` on CUDA and ``gloo`` on CPU. Call :func:`close_distributed` at the end of
the script. Under ``torchrun`` with CUDA, each process uses the GPU ``cuda:LOCAL_RANK``.
"""

from __future__ import annotations

import os
from datetime import timedelta

from cnnbook._optional import needs

with needs("torch"):
    import torch
    import torch.distributed as dist
    from torch import nn

__all__ = ["all_reduce_sum", "close_distributed", "init_distributed", "is_distributed",
           "is_main", "rank", "world_size", "wrap_model"]


def is_distributed() -> bool:
    """Whether a ``torch.distributed`` process group is initialised (even with one process)."""
    return dist.is_available() and dist.is_initialized()


def rank() -> int:
    """This process's rank, 0 to ``world_size() - 1``; 0 when not distributed."""
    return dist.get_rank() if is_distributed() else 0


def world_size() -> int:
    """The number of processes; 1 when not distributed."""
    return dist.get_world_size() if is_distributed() else 1


def is_main() -> bool:
    """Whether this process is rank 0, the one that prints and saves."""
    return rank() == 0


def init_distributed(backend: str | None = None, timeout_s: float = 600.0) -> bool:
    """Join the process group that ``torchrun`` describes in the environment.

    Args:
        backend: ``None`` picks ``"nccl"`` when CUDA is available and ``"gloo"`` otherwise.
        timeout_s: how long a collective waits for the other processes before it fails.

    Returns:
        ``True`` when this process is now part of a group; ``False`` (and nothing done) when the
        script was not launched by ``torchrun`` (no ``RANK``/``WORLD_SIZE`` in the environment).
        Calling it twice is harmless. On CUDA it also selects the GPU ``LOCAL_RANK``.
    """
    if is_distributed():
        return True
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        return False
    if backend is None:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend=backend, timeout=timedelta(seconds=timeout_s))
    return True


def close_distributed() -> None:
    """Leave the process group (at the end of a script); a no-op when not distributed."""
    if is_distributed():
        dist.destroy_process_group()


def check_launch() -> None:
    """Raise if ``torchrun`` started several processes but no process group is initialised."""
    launched = int(os.environ.get("WORLD_SIZE", "1"))
    if launched > 1 and not is_distributed():
        raise RuntimeError(f"launched as one of {launched} processes (WORLD_SIZE={launched}) but "
                           "torch.distributed is not initialised: call "
                           "cnnbook.training.distributed.init_distributed() before fit")


def training_device(device: torch.device) -> torch.device:
    """``device`` with an explicit index on CUDA (DDP needs ``cuda:k``, not ``cuda``)."""
    if device.type == "cuda" and device.index is None:
        return torch.device("cuda", torch.cuda.current_device())
    if is_distributed() and device.type not in ("cuda", "cpu"):
        raise ValueError(f"distributed training runs on CUDA (nccl) or CPU (gloo), not {device}")
    return device


def wrap_model(model: nn.Module, device: torch.device) -> nn.Module:
    """``model`` in ``DistributedDataParallel`` when distributed (it shares the parameters, so an
    optimizer built on ``model.parameters()`` keeps working); ``model`` itself otherwise."""
    if not is_distributed():
        return model
    device_ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=device_ids)


def all_reduce_sum(tensor: torch.Tensor) -> torch.Tensor:
    """``tensor`` summed over all processes, in place (every process must call it); unchanged
    when not distributed."""
    if is_distributed() and world_size() > 1:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor
