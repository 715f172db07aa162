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

from cnnbook._optional import require

require("torch")  # an ImportError that names the extra to install when torch is missing
import torch  # noqa: E402

from cnnbook.training.devices import resolve_device  # noqa: E402

__all__ = ["Data", "TensorBatches", "epoch_seed", "make_batches", "split_validation"]

Data = Any  # a DataLoader, or an (x, y) tuple of tensors / NumPy arrays


def _as_tensor(a: Any, name: str) -> torch.Tensor:
    if isinstance(a, torch.Tensor):
        return a
    if isinstance(a, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(a))
    raise TypeError(f"{name} must be a torch.Tensor or a NumPy array, got {type(a).__name__}")


def epoch_seed(seed: int, epoch: int) -> int:
    """A 32-bit seed mixed from ``(seed, epoch)`` (NumPy's ``SeedSequence``; torch's CPU generator
    keeps only 32 bits of a seed, so ``seed + epoch * 2**32`` would repeat every epoch). Seeding
    an epoch with it makes its random draws independent of what ran before, so a run resumed at
    epoch ``k`` draws what an uninterrupted run draws."""
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0])


class TensorBatches:
    """Mini-batches of an in-memory ``(x, y)`` set that live on ``device``.

    Args:
        x: ``(N, C, H, W)`` floats (tensor or array); moved to ``device`` once.
        y: ``(N,)`` class ids (kept as int64), or ``(N, K)`` one-hot or soft labels (kept as
            float32; ``nn.CrossEntropyLoss`` accepts class probabilities as targets).
        batch_size: images per batch; the last batch may be smaller.
        shuffle: draw a new order each time the object is iterated (each epoch).
        seed: seeds the order; two objects with the same seed give the same batches.
        device: where the data and the shuffling live (``"auto"`` as in :func:`resolve_device`).

    :meth:`set_epoch` makes the order of an epoch depend only on ``(seed, epoch)``; :func:`fit`
    calls it before each epoch.
    """

    def __init__(self, x: Any, y: Any, batch_size: int = 128, shuffle: bool = True,
                 seed: int = 0, device: str | torch.device = "auto") -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
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
        else:
            raise ValueError(f"y must be class ids (N,) or one-hot labels (N, K), "
                             f"got shape {tuple(self.y.shape)}")
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.generator = torch.Generator(device=self.device).manual_seed(seed)

    def set_epoch(self, epoch: int) -> None:
        """Reseed the order so that the next pass is epoch ``epoch``'s, whatever ran before."""
        self.generator.manual_seed(epoch_seed(self.seed, epoch))

    def __len__(self) -> int:
        return (len(self.x) + self.batch_size - 1) // self.batch_size  # ceil(N / batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.x)
        if self.shuffle:
            order = torch.randperm(n, device=self.device, generator=self.generator)
        for start in range(0, n, self.batch_size):
            if self.shuffle:
                idx = order[start:start + self.batch_size]
                yield self.x[idx], self.y[idx]  # (B, C, H, W), (B,) or (B, K)
            else:
                yield self.x[start:start + self.batch_size], self.y[start:start + self.batch_size]


def make_batches(data: Data, batch_size: int, shuffle: bool, seed: int,
                 device: torch.device) -> Iterable:
    """``data`` as batches: an ``(x, y)`` tuple becomes :class:`TensorBatches` on ``device``; a
    DataLoader or :class:`TensorBatches` is used as it is."""
    if isinstance(data, tuple) and len(data) == 2:
        return TensorBatches(data[0], data[1], batch_size, shuffle, seed, device)
    if isinstance(data, (torch.utils.data.DataLoader, TensorBatches)):
        return data
    raise TypeError(f"expected a DataLoader or an (x, y) tuple, got {type(data).__name__}")


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
