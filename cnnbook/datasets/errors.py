"""Exceptions of the datasets layer. Each message is one line naming the file and the problem."""

from __future__ import annotations


class DataFormatError(ValueError):
    """A dataset file is not what its name promises (bad magic, truncated, mismatched counts)."""


class DatasetNotFoundError(FileNotFoundError):
    """A dataset is neither in the offline folder nor in the cache, and downloads are off."""


class DownloadError(OSError):
    """Every mirror of a file failed (HTTP error, dropped connection or wrong hash)."""
