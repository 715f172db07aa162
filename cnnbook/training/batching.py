"""Mini-batches that live on the training device (NCHW images, integer labels).

:class:`TensorBatches` keeps a whole in-memory set on the device and shuffles it there with
``torch.randperm``: a GPU step then pays neither a DataLoader worker nor a host-to-device copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from cnnbook._optional import require

require("torch")  # an ImportError that names the extra to install when torch is missing
import torch  # noqa: E402

from cnnbook.training.devices import resolve_device  # noqa: E402

__all__ = ["Data", "TensorBatches", "make_batches"]

Data = Any  # a DataLoader, or an (x, y) tuple of tensors / NumPy arrays


def _as_tensor(a: Any, name: str) -> torch.Tensor:
    if isinstance(a, torch.Tensor):
        return a
    if isinstance(a, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(a))
    raise TypeError(f"{name} must be a torch.Tensor or a NumPy array, got {type(a).__name__}")


class TensorBatches:
    """Mini-batches of an in-memory ``(x, y)`` set that live on ``device``.

    Args:
        x: ``(N, C, H, W)`` floats (tensor or array); moved to ``device`` once.
        y: ``(N,)`` integer class ids.
        batch_size: images per batch; the last batch may be smaller.
        shuffle: draw a new order each time the object is iterated (each epoch).
        seed: seeds the order; two objects with the same seed give the same batches.
        device: where the data and the shuffling live (``"auto"`` as in :func:`resolve_device`).
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
        self.y = self.y.long()
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = torch.Generator(device=self.device).manual_seed(seed)

    def __len__(self) -> int:
        return (len(self.x) + self.batch_size - 1) // self.batch_size  # ceil(N / batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.x)
        if self.shuffle:
            order = torch.randperm(n, device=self.device, generator=self.generator)
        for start in range(0, n, self.batch_size):
            if self.shuffle:
                idx = order[start:start + self.batch_size]
                yield self.x[idx], self.y[idx]  # (B, C, H, W), (B,)
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
