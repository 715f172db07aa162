"""Exceptions of the datasets layer. Each message is one line naming the file and the problem.

A :class:`DataFormatError` means bytes that do not hold what the format promises (for example
IDX images that are not uint8 ``(N, H, W)``, or CIFAR batches that are not uint8 ``(N, 3072)``).
"""

from __future__ import annotations


class DataFormatError(ValueError):
    """A dataset file is not what its name promises (bad magic, truncated, mismatched counts)."""


class DatasetNotFoundError(FileNotFoundError):
    """A dataset is neither in the offline folder nor in the cache, and downloads are off."""


class DownloadError(OSError):
    """Every mirror of a file failed (HTTP error, dropped connection or wrong hash)."""
