"""MNIST, Fashion-MNIST and CIFAR-10 as NumPy uint8 arrays, shaped like ``keras.datasets``.

>>> (x_train, y_train), (x_test, y_test) = load_mnist(limit=2000)   # doctest: +SKIP

Images are uint8: grey ``(N, 28, 28)`` for MNIST and Fashion-MNIST, colour ``(N, 32, 32, 3)``
channels last for CIFAR-10; labels are uint8 ``(N,)``. Data comes from the read-only offline
folder ``$CNNBOOK_DATA_DIR``, then the cache (``$CNNBOOK_CACHE_DIR``), then a hash-verified
download unless ``$CNNBOOK_OFFLINE`` is set; see :mod:`cnnbook.datasets.fetch`.

Modules: :mod:`~cnnbook.datasets.spec` (the ``Dataset`` / ``RemoteFile`` / ``Format`` types),
:mod:`~cnnbook.datasets.registry` (the datasets, pure data), :mod:`~cnnbook.datasets.formats`
(IDX and CIFAR layouts), :mod:`~cnnbook.datasets.idx` and :mod:`~cnnbook.datasets.cifar` (file
readers), :mod:`~cnnbook.datasets.download` (pooch, mirrors), :mod:`~cnnbook.datasets.fetch`
(offline folder, cache, download), :mod:`~cnnbook.datasets.loaders` and
:mod:`~cnnbook.datasets.subsets` / :mod:`~cnnbook.datasets.splits`, and
:mod:`~cnnbook.datasets.scenes` (scenes composed from real MNIST digits, with class masks and
boxes, for segmentation and detection). This package imports NumPy
only: the torch and TensorFlow adapters live in :mod:`cnnbook.datasets.torch_data` and
:mod:`cnnbook.datasets.tf_data`.
"""

from __future__ import annotations

from cnnbook.datasets.errors import DataFormatError, DatasetNotFoundError, DownloadError
from cnnbook.datasets.fetch import Location, fetch_dataset, get_dataset, locate
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
from cnnbook.datasets.scenes import NUM_SEGMENT_CLASSES, Scenes, make_scenes
from cnnbook.datasets.spec import Dataset, Format, RemoteFile
from cnnbook.datasets.splits import train_val_split
from cnnbook.datasets.subsets import balanced_indices, channel_stats

DATASETS: tuple[str, ...] = tuple(REGISTRY)

__all__ = [
    "train_val_split", "NUM_SEGMENT_CLASSES", "Scenes", "make_scenes",
    "CIFAR10_CLASSES", "DATASETS", "FASHION_MNIST_CLASSES", "MNIST_CLASSES", "REGISTRY",
    "DataFormatError", "Dataset", "DatasetNotFoundError", "DownloadError", "Format", "Location",
    "RemoteFile", "balanced_indices", "channel_stats", "class_names", "describe_data",
    "fetch_dataset", "get_dataset", "load", "load_cifar10", "load_fashion_mnist", "load_mnist",
    "locate",
]
