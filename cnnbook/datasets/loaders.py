"""``load_mnist()``, ``load_fashion_mnist()`` and ``load_cifar10()``, shaped like ``keras.datasets``.

Each returns ``(x_train, y_train), (x_test, y_test)`` as NumPy ``uint8``: MNIST-like images
``(N, 28, 28)``, CIFAR-10 images ``(N, 32, 32, 3)`` channels last (NHWC), labels ``(N,)``. Sizes
come from the files. ``limit`` / ``test_limit`` take a per-class balanced, seeded subset.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from cnnbook.datasets import cifar
from cnnbook.datasets.errors import DataFormatError
from cnnbook.datasets.fetch import (
    CIFAR_ARCHIVE,
    Location,
    canonical_name,
    idx_file,
    locate,
    resolve,
)
from cnnbook.datasets.idx import read_idx_images, read_idx_labels
from cnnbook.datasets.registry import REGISTRY
from cnnbook.datasets.subsets import balanced_indices

Split = tuple[np.ndarray, np.ndarray]

MNIST_CLASSES: tuple[str, ...] = tuple(str(d) for d in range(10))
FASHION_MNIST_CLASSES: tuple[str, ...] = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
CIFAR10_CLASSES: tuple[str, ...] = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)
_CLASSES = {"mnist": MNIST_CLASSES, "fashion-mnist": FASHION_MNIST_CLASSES,
            "cifar10": CIFAR10_CLASSES}


def class_names(name: str) -> tuple[str, ...]:
    """The class names of ``"mnist"``, ``"fashion-mnist"`` or ``"cifar10"``, indexed by label."""
    return _CLASSES[canonical_name(name)]


def read_idx_split(folder: Path, images: str, labels: str, num_classes: int) -> Split:
    """Read one MNIST-like split: images ``(N, H, W)`` and labels ``(N,)``, both uint8, checked."""
    paths = [idx_file(folder, n) for n in (images, labels)]
    for name, path in zip((images, labels), paths):
        if path is None:
            raise FileNotFoundError(f"{name}: missing from {folder.name}/")
    x, y = read_idx_images(paths[0]), read_idx_labels(paths[1])  # (N, H, W), (N,)
    if len(x) != len(y):
        raise DataFormatError(f"{paths[0].name}: {len(x):,} images but {paths[1].name} "
                              f"has {len(y):,} labels")
    _check_labels(y, num_classes, paths[1].name)
    return x, y


def _check_labels(y: np.ndarray, num_classes: int, source: str) -> None:
    if y.size and int(y.max()) >= num_classes:
        raise DataFormatError(f"{source}: label {int(y.max())} is outside 0..{num_classes - 1}")


def read_dataset(name: str, where: Location, registry: Mapping = REGISTRY) -> tuple[Split, Split]:
    """Read every image of ``name`` from ``where`` (a folder, or CIFAR's tarball)."""
    info = registry[name]
    if info["format"] == "cifar-python":
        read = cifar.read_tar if where.path.name == CIFAR_ARCHIVE else cifar.read_folder
        train, test = read(where.path)
        for (_, y), split in ((train, "train"), (test, "test")):
            _check_labels(y, info["num_classes"], f"{where.path.name} ({split})")
        return train, test
    names = [f["name"] for f in info["files"]]
    pairs = [sorted((n for n in names if n.startswith(prefix)), key=_images_first)
             for prefix in ("train", "t10k")]
    # Decompression dominates and zlib releases the GIL: read the two splits side by side.
    with ThreadPoolExecutor(max_workers=2) as pool:
        train, test = pool.map(lambda pair: read_idx_split(where.path, *pair, info["num_classes"]),
                               pairs)
    return train, test


def _images_first(filename: str) -> int:
    return 0 if "images" in filename else 1


def read_available(name: str, *, registry: Mapping = REGISTRY) -> tuple[Split, Split]:
    """Find ``name`` (offline folder, cache, or a download) and read all of it.

    CIFAR-10's extracted batches in the cache are checked by structure as they are read; if one is
    damaged, the extracted folder is deleted and rebuilt from the hash-verified tarball.
    """
    name = canonical_name(name, registry)
    where = resolve(name, registry=registry)
    try:
        return read_dataset(name, where, registry)
    except DataFormatError:
        if where.kind != "cache" or registry[name]["format"] != "cifar-python":
            raise
        shutil.rmtree(where.path)
        return read_dataset(name, resolve(name, registry=registry), registry)


def _subset(split: Split, limit: int | None, seed: int, num_classes: int) -> Split:
    if limit is None:  # whole split: hand out writable arrays, not views of the file's bytes
        x, y = split
        return (x if x.flags.writeable else x.copy()), (y if y.flags.writeable else y.copy())
    keep = balanced_indices(split[1], limit, seed=seed, num_classes=num_classes)
    return split[0][keep], split[1][keep]


def load(name: str, *, limit: int | None = None, test_limit: int | None = None,
         seed: int = 0) -> tuple[Split, Split]:
    """Load dataset ``name`` (see :func:`load_mnist`): offline folder, then cache, then download."""
    name = canonical_name(name)
    train, test = read_available(name)
    classes = REGISTRY[name]["num_classes"]
    # Different seeds per split so train and test subsets are drawn independently.
    return _subset(train, limit, seed, classes), _subset(test, test_limit, seed + 1, classes)


def load_mnist(*, limit: int | None = None, test_limit: int | None = None,
               seed: int = 0) -> tuple[Split, Split]:
    """MNIST digits: ``(x_train, y_train), (x_test, y_test)``; images uint8 ``(N, 28, 28)``.

    Args:
        limit: keep at most this many training images, balanced per class (seeded); None: all.
        test_limit: the same for the test set.
        seed: seed of the subset draw; the same arguments always give the same arrays.

    Raises:
        DatasetNotFoundError: offline and neither in ``CNNBOOK_DATA_DIR`` nor in the cache.
        DataFormatError: a file is truncated, has the wrong magic number or mismatched counts.
    """
    return load("mnist", limit=limit, test_limit=test_limit, seed=seed)


def load_fashion_mnist(*, limit: int | None = None, test_limit: int | None = None,
                       seed: int = 0) -> tuple[Split, Split]:
    """Fashion-MNIST: like :func:`load_mnist`, images uint8 ``(N, 28, 28)``, 10 clothing classes."""
    return load("fashion-mnist", limit=limit, test_limit=test_limit, seed=seed)


def load_cifar10(*, limit: int | None = None, test_limit: int | None = None,
                 seed: int = 0) -> tuple[Split, Split]:
    """CIFAR-10: like :func:`load_mnist`, images uint8 ``(N, 32, 32, 3)`` channels last (NHWC)."""
    return load("cifar10", limit=limit, test_limit=test_limit, seed=seed)


def describe_data(name: str, x_train: np.ndarray, x_test: np.ndarray) -> str:
    """One line for a chapter header, without absolute paths, e.g.

    ``mnist: 2,000 train / 10,000 test images of 28×28×1, from the offline folder
    ($CNNBOOK_DATA_DIR)``.
    """
    name = canonical_name(name)
    h, w = x_train.shape[1:3]
    c = x_train.shape[3] if x_train.ndim == 4 else 1
    return (f"{name}: {len(x_train):,} train / {len(x_test):,} test images of {h}×{w}×{c}, "
            f"from {locate(name).describe()}")
