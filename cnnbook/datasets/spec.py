"""The typed data layer: :class:`RemoteFile`, :class:`Dataset` and the :class:`Format` interface.

A :class:`Dataset` is plain, frozen data: its name, classes, image shape, the files to download
(each a :class:`RemoteFile` with size, SHA-256 and mirror URLs) and a :class:`Format` object. The
format owns everything that depends on how the files are laid out: finding a complete copy in
the offline folder, turning verified downloads into readable data in the cache, and reading.
Nothing outside a format inspects file names or layouts.

Every reader returns ``((x_train, y_train), (x_test, y_test))``, NumPy ``uint8``: grey images
``(N, H, W)``, colour images ``(N, H, W, 3)`` channels last (NHWC), labels ``(N,)``.
"""

from __future__ import annotations

import re
import shutil
from abc import ABC, abstractmethod
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from cnnbook.datasets.errors import DataFormatError

Split = tuple[np.ndarray, np.ndarray]  # images (N, H, W) or (N, H, W, 3) uint8, labels (N,) uint8
Splits = tuple[Split, Split]  # (train, test)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _item(obj: Any, key: str) -> Any:
    """``obj[key]`` for a dataclass field, as the registry's former plain dicts allowed."""
    if key not in {f.name for f in fields(obj)}:
        raise KeyError(key)
    return getattr(obj, key)


@dataclass(frozen=True)
class RemoteFile:
    """One downloadable file: its cache ``name``, exact ``size`` in bytes, hex ``sha256`` and
    ``urls``, mirrors of the same bytes tried in order. The cached copy is always called
    ``name``, whatever the URL's last segment or query string."""

    name: str
    size: int
    sha256: str
    urls: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name or "\\" in self.name or self.name.startswith("."):
            raise ValueError(f"RemoteFile name must be a plain file name, not {self.name!r}")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 1:
            raise ValueError(f"{self.name}: size must be a positive int, not {self.size!r}")
        if not isinstance(self.sha256, str) or not _SHA256.match(self.sha256):
            raise ValueError(f"{self.name}: sha256 must be 64 lower-case hex digits")
        if not isinstance(self.urls, tuple) or not self.urls:
            raise ValueError(f"{self.name}: urls must be a non-empty tuple")
        for url in self.urls:
            if not isinstance(url, str) or not url.startswith(("https://", "http://")):
                raise ValueError(f"{self.name}: {url!r} is not an http(s) URL")

    def __getitem__(self, key: str) -> Any:
        """``file["sha256"]`` is ``file.sha256`` (read access for code written for dicts)."""
        return _item(self, key)


class Format(ABC):
    """How a dataset's files are laid out and read. Implementations are frozen dataclasses.

    ``folder`` is the dataset's sub-folder in the offline folder (``$CNNBOOK_DATA_DIR``).
    """

    folder: str

    @property
    @abstractmethod
    def files(self) -> tuple[str, ...]:
        """The names of the downloaded files this format reads (the dataset's ``RemoteFile``s)."""

    @abstractmethod
    def find_offline(self, root: Path) -> Path | None:
        """The readable copy inside the offline folder ``root`` if it is complete, else None."""

    @abstractmethod
    def cache_data(self, folder: Path) -> Path:
        """Where the readable data lives once the downloads in cache ``folder`` are prepared."""

    @abstractmethod
    def prepare_cache(self, folder: Path, *, fresh: bool) -> Path:
        """Make the verified downloads in cache ``folder`` readable; return :meth:`cache_data`.

        ``fresh``: a file was just (re-)downloaded, so anything built from the old one is stale.
        """

    @abstractmethod
    def read(self, path: Path, num_classes: int) -> Splits:
        """Read all of ``path`` (from :meth:`find_offline` or :meth:`cache_data`), checked."""

    def derived(self, folder: Path) -> Path | None:
        """What :meth:`prepare_cache` built in cache ``folder`` (not hash-checked), if any."""
        return None

    def discard_derived(self, folder: Path) -> bool:
        """Delete :meth:`derived`, so it is rebuilt from the verified downloads; True if removed."""
        built = self.derived(folder)
        if built is None:
            return False
        shutil.rmtree(built)
        return True


def check_labels(y: np.ndarray, num_classes: int, source: str) -> None:
    """Raise a one-line DataFormatError when a label is outside ``0..num_classes - 1``."""
    if y.size and int(y.max()) >= num_classes:
        raise DataFormatError(f"{source}: label {int(y.max())} is outside 0..{num_classes - 1}")


@dataclass(frozen=True)
class Dataset:
    """One dataset: registry key ``name``, display ``title``, ``class_names`` (indexed by label),
    ``image_shape`` of one image as loaded, the ``files`` to download and their ``format``."""

    name: str
    title: str
    num_classes: int
    class_names: tuple[str, ...]
    image_shape: tuple[int, ...]
    files: tuple[RemoteFile, ...]
    format: Format

    def __post_init__(self) -> None:
        if len(self.class_names) != self.num_classes:
            raise ValueError(f"{self.name}: {len(self.class_names)} class names for "
                             f"{self.num_classes} classes")
        if len(self.image_shape) not in (2, 3):
            raise ValueError(f"{self.name}: image_shape is (H, W) or (H, W, C), "
                             f"not {self.image_shape}")
        names = sorted(f.name for f in self.files)
        if names != sorted(self.format.files):
            raise ValueError(f"{self.name}: files {names} do not match the "
                             f"{type(self.format).__name__} format's {sorted(self.format.files)}")

    def read(self, path: Path) -> Splits:
        """All images and labels at ``path`` (see :meth:`Format.read`)."""
        return self.format.read(path, self.num_classes)

    def __getitem__(self, key: str) -> Any:
        """``dataset["files"]`` is ``dataset.files`` (read access for code written for dicts)."""
        return _item(self, key)
