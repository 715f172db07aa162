"""PyTorch adapters: NumPy uint8 images -> float32 NCHW tensors, datasets and data loaders.

Thin on purpose: scaling, layout and normalisation happen once, up front, and batching is left
to ``torch.utils.data``. Images are uint8 ``(N, H, W)`` (one channel) or ``(N, H, W, C)``
channels last, labels ``(N,)``; tensors come out float32 ``(N, C, H, W)`` and int64 ``(N,)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from cnnbook._optional import needs

with needs("torch"):
    import torch
    from torch.utils.data import DataLoader, TensorDataset

def to_tensors(x: np.ndarray, y: np.ndarray, mean: Sequence[float] | None = None,
               std: Sequence[float] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Images to float32 NCHW in [0, 1] (then ``(x - mean) / std`` per channel); labels to int64.

    Args:
        x: uint8 images ``(N, H, W)`` or ``(N, H, W, C)`` channels last.
        y: labels ``(N,)``.
        mean, std: per-channel statistics (length C, e.g. from ``channel_stats`` of the training
            set); both or neither.
    """
    if (mean is None) != (std is None):
        raise ValueError("pass both mean and std, or neither")
    if len(x) != len(y):
        raise ValueError(f"{len(x)} images but {len(y)} labels")
    x = np.asarray(x)
    if x.ndim == 3:
        nchw = x[:, np.newaxis]  # (N, 1, H, W)
    elif x.ndim == 4:
        nchw = x.transpose(0, 3, 1, 2)  # (N, C, H, W)
    else:
        raise ValueError(f"expected images (N, H, W) or (N, H, W, C), got {x.shape}")
    # One float32 copy in NCHW order (loader arrays may be read-only views of the file's bytes).
    images = torch.from_numpy(np.ascontiguousarray(nchw, dtype=np.float32)).div_(255.0)
    if mean is not None:
        m = torch.as_tensor(np.asarray(mean, np.float32)).view(1, -1, 1, 1)  # (1, C, 1, 1)
        s = torch.as_tensor(np.asarray(std, np.float32)).view(1, -1, 1, 1)  # (1, C, 1, 1)
        images = (images - m) / s  # (N, C, H, W)
    labels = torch.from_numpy(np.asarray(y).astype(np.int64))  # (N,)
    return images, labels


def to_tensor_dataset(x: np.ndarray, y: np.ndarray, *, mean: Sequence[float] | None = None,
                      std: Sequence[float] | None = None) -> TensorDataset:
    """A ``TensorDataset`` of ``(image (C, H, W) float32, label int64)`` pairs; see to_tensors."""
    return TensorDataset(*to_tensors(x, y, mean, std))


def to_dataloader(x: np.ndarray, y: np.ndarray, *, batch_size: int, shuffle: bool, seed: int,
                  mean: Sequence[float] | None = None, std: Sequence[float] | None = None,
                  **kwargs: Any) -> DataLoader:
    """A ``DataLoader`` over :func:`to_tensor_dataset`; the shuffle order depends only on ``seed``.

    Extra keyword arguments go to ``DataLoader`` (``num_workers``, ``drop_last`` ...).
    """
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(to_tensor_dataset(x, y, mean=mean, std=std), batch_size=batch_size,
                      shuffle=shuffle, generator=generator, **kwargs)
