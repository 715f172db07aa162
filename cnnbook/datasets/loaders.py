"""``load_mnist()``, ``load_fashion_mnist()``, ``load_cifar10()``, shaped like ``keras.datasets``.

Each returns ``(x_train, y_train), (x_test, y_test)`` as NumPy ``uint8``: MNIST-like images
``(N, 28, 28)``, CIFAR-10 images ``(N, 32, 32, 3)`` channels last (NHWC), labels ``(N,)``. Sizes
come from the files. ``limit`` / ``test_limit`` take a per-class balanced, seeded subset.
"""

from __future__ import annotations

import numpy as np

from cnnbook.datasets.errors import DataFormatError
from cnnbook.datasets.fetch import Registry, cache_folder, get_dataset, locate, resolve
from cnnbook.datasets.registry import (
    CIFAR10_CLASSES,
    FASHION_MNIST_CLASSES,
    MNIST_CLASSES,
    REGISTRY,
)
from cnnbook.datasets.spec import Split, Splits
from cnnbook.datasets.subsets import balanced_indices

__all__ = [
    "CIFAR10_CLASSES", "FASHION_MNIST_CLASSES", "MNIST_CLASSES", "class_names", "describe_data",
    "load", "load_cifar10", "load_fashion_mnist", "load_mnist", "read_available",
]


def class_names(name: str) -> tuple[str, ...]:
    """The class names of ``"mnist"``, ``"fashion-mnist"`` or ``"cifar10"``, indexed by label."""
    return get_dataset(name).class_names


def read_available(name: str, *, registry: Registry = REGISTRY) -> Splits:
    """Find ``name`` (offline folder, cache, or a download) and read all of it.

    What a format builds in the cache from the downloads (CIFAR-10's extracted batches) is checked
    by structure as it is read; if it is damaged, it is deleted and rebuilt from the hash-verified
    download, once.
    """
    dataset = get_dataset(name, registry)
    where = resolve(dataset.name, registry=registry)
    try:
        return dataset.read(where.path)
    except DataFormatError:
        if where.kind != "cache" or not dataset.format.discard_derived(cache_folder(dataset.name)):
            raise
        return dataset.read(resolve(dataset.name, registry=registry).path)


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_arguments(limit: int | None, test_limit: int | None, seed: int) -> None:
    for what, value in (("limit", limit), ("test_limit", test_limit)):
        if value is not None and (not _is_int(value) or value < 1):
            raise ValueError(f"{what} must be a positive integer or None, not {value!r}")
    if not _is_int(seed) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, not {seed!r}")


def _subset(split: Split, limit: int | None, seed: int, num_classes: int) -> Split:
    if limit is None:  # whole split: hand out writable arrays, not views of the file's bytes
        x, y = split
        return (x if x.flags.writeable else x.copy()), (y if y.flags.writeable else y.copy())
    keep = balanced_indices(split[1], limit, seed=seed, num_classes=num_classes)
    return split[0][keep], split[1][keep]


def load(name: str, *, limit: int | None = None, test_limit: int | None = None,
         seed: int = 0) -> Splits:
    """Load dataset ``name`` (see :func:`load_mnist`): offline folder, then cache, then download."""
    dataset = get_dataset(name)
    _check_arguments(limit, test_limit, seed)
    train, test = read_available(dataset.name)
    classes = dataset.num_classes
    # Different seeds per split so train and test subsets are drawn independently.
    return _subset(train, limit, seed, classes), _subset(test, test_limit, seed + 1, classes)


def load_mnist(*, limit: int | None = None, test_limit: int | None = None,
               seed: int = 0) -> Splits:
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
                       seed: int = 0) -> Splits:
    """Fashion-MNIST: like :func:`load_mnist`, images uint8 ``(N, 28, 28)``, 10 clothing classes."""
    return load("fashion-mnist", limit=limit, test_limit=test_limit, seed=seed)


def load_cifar10(*, limit: int | None = None, test_limit: int | None = None,
                 seed: int = 0) -> Splits:
    """CIFAR-10: like :func:`load_mnist`, images uint8 ``(N, 32, 32, 3)`` channels last (NHWC)."""
    return load("cifar10", limit=limit, test_limit=test_limit, seed=seed)


def describe_data(name: str, x_train: np.ndarray, x_test: np.ndarray) -> str:
    """One line for a chapter header, without absolute paths, e.g.

    ``mnist: 2,000 train / 10,000 test images of 28×28×1, from the offline folder
    ($CNNBOOK_DATA_DIR)``.
    """
    dataset = get_dataset(name)
    for what, x in (("x_train", x_train), ("x_test", x_test)):
        if np.ndim(x) not in (3, 4):
            raise ValueError(f"{what} must be images (N, H, W) or (N, H, W, C), "
                             f"not shape {np.shape(x)}")
    h, w = x_train.shape[1:3]
    c = x_train.shape[3] if x_train.ndim == 4 else 1
    return (f"{dataset.name}: {len(x_train):,} train / {len(x_test):,} test images of "
            f"{h}×{w}×{c}, from {locate(dataset.name).describe()}")
