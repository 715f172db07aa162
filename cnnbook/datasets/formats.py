"""The two dataset formats: :class:`IdxGzip` (MNIST, Fashion-MNIST) and :class:`CifarPython`.

* :class:`IdxGzip`: four IDX files (``.gz``, or the same name without ``.gz``) in one folder; images
  uint8 ``(N, H, W)``, labels uint8 ``(N,)``; see :mod:`cnnbook.datasets.idx`.
* :class:`CifarPython`: the "python version" batches, from the folder ``cifar-10-batches-py/`` or
  straight from ``cifar-10-python.tar.gz``; images uint8 ``(N, 32, 32, 3)`` channels last, labels
  uint8 ``(N,)``; see :mod:`cnnbook.datasets.cifar`. Downloads keep the tarball in the cache and
  extract it next to it, atomically.
"""

from __future__ import annotations

import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cnnbook.datasets import cifar
from cnnbook.datasets.errors import DataFormatError
from cnnbook.datasets.idx import find_idx, read_idx_images, read_idx_labels
from cnnbook.datasets.spec import Format, Split, Splits, check_labels


@dataclass(frozen=True)
class IdxGzip(Format):
    """MNIST's layout: ``folder/`` holding an image and a label IDX file for each split."""

    folder: str
    train_images: str = "train-images-idx3-ubyte.gz"
    train_labels: str = "train-labels-idx1-ubyte.gz"
    test_images: str = "t10k-images-idx3-ubyte.gz"
    test_labels: str = "t10k-labels-idx1-ubyte.gz"

    @property
    def files(self) -> tuple[str, ...]:
        return self.train_images, self.train_labels, self.test_images, self.test_labels

    def find_offline(self, root: Path) -> Path | None:
        folder = root / self.folder
        return folder if all(find_idx(folder, n) is not None for n in self.files) else None

    def cache_data(self, folder: Path) -> Path:
        return folder  # the downloads are read as they are

    def prepare_cache(self, folder: Path, *, fresh: bool) -> Path:
        return folder

    def read(self, path: Path, num_classes: int) -> Splits:
        pairs = [(self.train_images, self.train_labels), (self.test_images, self.test_labels)]

        def read_split(pair: tuple[str, str]) -> Split:
            return read_idx_split(path, pair[0], pair[1], num_classes)

        # Decompression dominates and zlib releases the GIL: read the two splits side by side.
        with ThreadPoolExecutor(max_workers=2) as pool:
            train, test = pool.map(read_split, pairs)
        return train, test


def read_idx_split(folder: Path, images: str, labels: str, num_classes: int) -> Split:
    """One split: images ``(N, H, W)`` and labels ``(N,)``, uint8, counts and labels checked."""
    image_path, label_path = find_idx(folder, images), find_idx(folder, labels)
    if image_path is None or label_path is None:
        missing = images if image_path is None else labels
        raise FileNotFoundError(f"{missing}: missing from {folder.name}/")
    x, y = read_idx_images(image_path), read_idx_labels(label_path)  # (N, H, W), (N,)
    if len(x) != len(y):
        raise DataFormatError(f"{image_path.name}: {len(x):,} images but {label_path.name} "
                              f"has {len(y):,} labels")
    check_labels(y, num_classes, label_path.name)
    return x, y


@dataclass(frozen=True)
class CifarPython(Format):
    """CIFAR's python batches: ``folder/`` (extracted) or the ``archive`` tarball itself."""

    folder: str = "cifar-10-batches-py"
    archive: str = "cifar-10-python.tar.gz"

    @property
    def files(self) -> tuple[str, ...]:
        return (self.archive,)

    def find_offline(self, root: Path) -> Path | None:
        folder, archive = root / self.folder, root / self.archive
        if folder.is_dir():
            return folder
        return archive if archive.is_file() else None

    def cache_data(self, folder: Path) -> Path:
        return folder / self.folder

    def derived(self, folder: Path) -> Path | None:
        data = self.cache_data(folder)
        return data if data.is_dir() else None

    def prepare_cache(self, folder: Path, *, fresh: bool) -> Path:
        if fresh:
            self.discard_derived(folder)
        data = self.cache_data(folder)
        if not data.is_dir():
            self._extract_atomically(folder / self.archive, data)
        return data

    def _extract_atomically(self, archive: Path, data: Path) -> None:
        """Extract into a temporary folder next to ``data``, then rename: all or nothing."""
        tmp = Path(tempfile.mkdtemp(prefix=".extract-", dir=data.parent))
        try:
            cifar.extract(archive, tmp)
            inner = tmp / self.folder
            if not inner.is_dir():
                raise DataFormatError(f"{archive.name}: has no {self.folder}/ folder")
            inner.rename(data)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def read(self, path: Path, num_classes: int) -> Splits:
        train, test = cifar.read_tar(path) if path.is_file() else cifar.read_folder(path)
        for (_, y), split in ((train, "train"), (test, "test")):
            check_labels(y, num_classes, f"{path.name} ({split})")
        return train, test
