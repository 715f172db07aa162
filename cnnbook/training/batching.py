"""Mini-batches that live on the training device (NCHW images; integer or one-hot labels).

:class:`TensorBatches` keeps a whole in-memory set on the device and shuffles it there with
``torch.randperm``: a GPU step then pays neither a DataLoader worker nor a host-to-device copy.
:func:`split_validation` holds out the last fraction of an ``(x, y)`` set, as Keras'
``validation_split`` does.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from cnnbook._optional import needs

with needs("torch"):
    import torch

from cnnbook.training.devices import resolve_device

__all__ = ["Data", "TensorBatches", "epoch_seed", "make_batches", "set_epoch", "split_validation"]

Data = Any  # a DataLoader, or an (x, y) tuple of tensors / NumPy arrays


def _as_tensor(a: Any, name: str) -> torch.Tensor:
    if isinstance(a, torch.Tensor):
        return a
    if isinstance(a, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(a))
    raise TypeError(f"{name} must be a torch.Tensor or a NumPy array, got {type(a).__name__}")


def epoch_seed(seed: int, epoch: int, rank: int = 0) -> int:
    """A 32-bit seed mixed from ``(seed, epoch)`` (NumPy's ``SeedSequence``; torch's CPU generator
    keeps only 32 bits of a seed, so ``seed + epoch * 2**32`` would repeat every epoch). Seeding
    an epoch with it makes its random draws independent of what ran before, so a run resumed at
    epoch ``k`` draws what an uninterrupted run draws. A ``rank`` above 0 (data parallel) mixes
    in the process's rank, so that processes draw different dropout masks; rank 0 draws what a
    single process draws."""
    entropy = [seed, epoch] if rank == 0 else [seed, epoch, rank]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


class TensorBatches:
    """Mini-batches of an in-memory ``(x, y)`` set that live on ``device``.

    Args:
        x: ``(N, C, H, W)`` floats (tensor or array); moved to ``device`` once.
        y: ``(N,)`` class ids (kept as int64), or ``(N, K)`` one-hot or soft labels (kept as
            float32; ``nn.CrossEntropyLoss`` accepts class probabilities as targets), or dense
            targets: integer class ids per pixel ``(N, H, W)`` (kept as int64) or float maps
            such as a detector's ``(N, C, H, W)`` (kept as float32).
        batch_size: images per (global) batch; the last batch may be smaller.
        shuffle: draw a new order each time the object is iterated (each epoch).
        seed: seeds the order; two objects with the same seed give the same batches.
        device: where the data and the shuffling live (``"auto"`` as in :func:`resolve_device`).
        rank, world_size: data parallel sharding. Every process draws the same order and yields
            only its ``rank``-th contiguous slice of each global batch of ``batch_size`` images,
            so the processes see disjoint slices that together make the one-process batch.
        even_shards: with ``world_size > 1``, make the slices of every batch equally large (what
            training needs, so that averaging the processes' gradients averages over the global
            batch): ``batch_size`` must be a multiple of ``world_size``, and the last
            ``N % world_size`` samples of each epoch's order are left out (a different few each
            epoch when shuffling). ``False`` (evaluation) keeps every sample; a process whose
            slice of the last batch is empty yields one batch fewer.
        channels_last: store ``x`` in ``torch.channels_last`` memory format (still indexed as
            NCHW); batches keep it.

    :meth:`set_epoch` makes the order of an epoch depend only on ``(seed, epoch)``; :func:`fit`
    calls it before each epoch.
    """

    def __init__(self, x: Any, y: Any, batch_size: int = 128, shuffle: bool = True,
                 seed: int = 0, device: str | torch.device = "auto", *, rank: int = 0,
                 world_size: int = 1, even_shards: bool = True,
                 channels_last: bool = False) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if not 0 <= rank < world_size:
            raise ValueError(f"need 0 <= rank < world_size, got rank {rank} of {world_size}")
        if world_size > 1 and even_shards and batch_size % world_size:
            raise ValueError(f"batch_size {batch_size} is the global batch and must be a "
                             f"multiple of the {world_size} processes")
        self.device = resolve_device(device)
        self.x = _as_tensor(x, "x").to(self.device)
        self.y = _as_tensor(y, "y").to(self.device)
        if not self.x.is_floating_point():
            raise TypeError(f"x must hold floats (N, C, H, W), got {self.x.dtype}; "
                            "convert with cnnbook.datasets.torch_data.to_tensors")
        if len(self.x) != len(self.y):
            raise ValueError(f"x has {len(self.x)} images but y has {len(self.y)} labels")
        if self.y.ndim == 1:
            self.y = self.y.long()  # (N,) class ids
        elif self.y.ndim == 2:
            self.y = self.y.float()  # (N, K) one-hot or class probabilities
        elif self.y.ndim == 3 and not self.y.is_floating_point():
            self.y = self.y.long()  # (N, H, W) class ids per pixel
        elif self.y.ndim == 4 and self.y.is_floating_point():
            self.y = self.y.float()  # (N, C, H, W) float target maps (a detector's)
        else:
            raise ValueError(f"y must be class ids (N,) or one-hot labels (N, K), or dense "
                             f"targets: integer class ids (N, H, W) or float maps "
                             f"(N, C, H, W); got {self.y.dtype} {tuple(self.y.shape)}")
        if channels_last and self.x.ndim == 4:
            self.x = self.x.contiguous(memory_format=torch.channels_last)  # (N, C, H, W) NHWC bytes
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.rank, self.world_size, self.even_shards = rank, world_size, even_shards
        self.generator = torch.Generator(device=self.device).manual_seed(seed)

    def set_epoch(self, epoch: int) -> None:
        """Reseed the order so that the next pass is epoch ``epoch``'s, whatever ran before."""
        self.generator.manual_seed(epoch_seed(self.seed, epoch))

    def _used(self) -> int:
        """How many samples an epoch uses: all, or a multiple of ``world_size``."""
        n = len(self.x)
        return n - n % self.world_size if self.even_shards else n

    def _slice(self, size: int) -> tuple[int, int]:
        """This rank's part ``[lo, hi)`` of a global batch of ``size`` samples."""
        return self.rank * size // self.world_size, (self.rank + 1) * size // self.world_size

    def __len__(self) -> int:
        n = self._used()
        batches = (n + self.batch_size - 1) // self.batch_size  # ceil(n / batch_size)
        last = n - (batches - 1) * self.batch_size
        lo, hi = self._slice(last)
        return batches - (batches > 0 and lo == hi)  # an empty last slice is not yielded

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = self._used()
        order = None
        if self.shuffle:  # the same permutation on every rank: same seed, same generator
            order = torch.randperm(len(self.x), device=self.device, generator=self.generator)
        for start in range(0, n, self.batch_size):
            lo, hi = self._slice(min(self.batch_size, n - start))
            if lo == hi:
                continue
            if order is not None:
                idx = order[start + lo:start + hi]
                yield self.x[idx], self.y[idx]  # (B, C, H, W), (B,) or (B, K)
            else:
                yield self.x[start + lo:start + hi], self.y[start + lo:start + hi]


def make_batches(data: Data, batch_size: int, shuffle: bool, seed: int, device: torch.device,
                 *, rank: int = 0, world_size: int = 1, even_shards: bool = True,
                 channels_last: bool = False) -> Iterable:
    """``data`` as batches: an ``(x, y)`` tuple becomes :class:`TensorBatches` on ``device``
    (sharded by ``rank`` when ``world_size > 1``); a DataLoader or :class:`TensorBatches` is
    used as it is, after checking that it is sharded for ``world_size`` processes."""
    if isinstance(data, tuple) and len(data) == 2:
        return TensorBatches(data[0], data[1], batch_size, shuffle, seed, device, rank=rank,
                             world_size=world_size, even_shards=even_shards,
                             channels_last=channels_last)
    if isinstance(data, TensorBatches):
        if data.world_size != world_size:
            raise ValueError(f"these TensorBatches are sharded for {data.world_size} "
                             f"process(es), not {world_size}: pass the (x, y) tuple instead")
        return data
    if isinstance(data, torch.utils.data.DataLoader):
        sampler = getattr(data, "sampler", None)
        if world_size > 1 and even_shards and not isinstance(
                sampler, torch.utils.data.distributed.DistributedSampler):
            raise ValueError("under torchrun a training DataLoader needs a DistributedSampler "
                             "(its batch_size is then per process); or pass the (x, y) tuple")
        return data
    raise TypeError(f"expected a DataLoader or an (x, y) tuple, got {type(data).__name__}")


def set_epoch(batches: object, epoch: int) -> None:
    """Tell ``batches`` (:class:`TensorBatches`, or a DataLoader's ``DistributedSampler``) which
    epoch comes next, so that its order depends on the epoch; other batches are left alone."""
    for target in (batches, getattr(batches, "sampler", None)):
        method = getattr(target, "set_epoch", None)
        if method is not None:
            method(epoch)
            return


def split_validation(data: Data, fraction: float) -> tuple[Data, Data]:
    """``(train, validation)``: the **last** ``fraction`` of an ``(x, y)`` set is held out, before
    any shuffling, as in Keras' ``validation_split`` (so sort or shuffle the set beforehand if its
    order means something). The first ``ceil(N * (1 - fraction))`` samples are trained on."""
    if not isinstance(data, tuple) or len(data) != 2:
        raise TypeError(f"validation_split needs an (x, y) tuple, got {type(data).__name__}; "
                        "split a DataLoader's dataset yourself and pass validation_data")
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation_split must be in (0, 1), got {fraction}")
    x, y = data
    split_at = math.ceil(len(x) * (1.0 - fraction))
    if split_at == len(x):
        raise ValueError(f"validation_split={fraction} of {len(x)} samples leaves no validation "
                         "sample")
    return (x[:split_at], y[:split_at]), (x[split_at:], y[split_at:])
