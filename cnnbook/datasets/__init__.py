"""MNIST, Fashion-MNIST and CIFAR-10 as NumPy uint8 arrays, shaped like ``keras.datasets``.

>>> (x_train, y_train), (x_test, y_test) = load_mnist(limit=2000)   # doctest: +SKIP

Data comes from the read-only offline folder ``$CNNBOOK_DATA_DIR``, then the cache
(``$CNNBOOK_CACHE_DIR``), then a hash-verified download unless ``$CNNBOOK_OFFLINE`` is set; see
:mod:`cnnbook.datasets.fetch`. This package imports NumPy only: the torch and TensorFlow adapters
live in :mod:`cnnbook.datasets.torch_data` and :mod:`cnnbook.datasets.tf_data`.
"""

from __future__ import annotations

from cnnbook.datasets.errors import DataFormatError, DatasetNotFoundError, DownloadError
from cnnbook.datasets.fetch import Location, fetch_dataset, locate
from cnnbook.datasets.loaders import (
    CIFAR10_CLASSES,
    FASHION_MNIST_CLASSES,
    MNIST_CLASSES,
    class_names,
    describe_data,
    load,
    load_cifar10,
    load_fashion_mnist,
    load_mnist,
)
from cnnbook.datasets.registry import REGISTRY
from cnnbook.datasets.subsets import balanced_indices, channel_stats

DATASETS: tuple[str, ...] = tuple(REGISTRY)

__all__ = [
    "CIFAR10_CLASSES", "DATASETS", "FASHION_MNIST_CLASSES", "MNIST_CLASSES", "REGISTRY",
    "DataFormatError", "DatasetNotFoundError", "DownloadError", "Location",
    "balanced_indices", "channel_stats", "class_names", "describe_data", "fetch_dataset",
    "load", "load_cifar10", "load_fashion_mnist", "load_mnist", "locate",
]
