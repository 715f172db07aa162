"""The canonical dataset files: names, sizes, SHA-256 and mirror URLs. Pure data, no logic.

Every download is checked against ``sha256`` and ``size``. Mirrors are tried in order; each list
names where the URL was found so a reader can re-check it:

* MNIST: ``ossci-datasets`` (PyTorch's S3 mirror) and ``yann.lecun.com`` are the two mirrors of
  torchvision's ``torchvision/datasets/mnist.py``; ``cvdf-datasets`` is the CVDF mirror used by
  tensorflow-datasets ``tensorflow_datasets/image_classification/mnist.py``.
* Fashion-MNIST: the Keras bucket from ``keras/src/datasets/fashion_mnist.py`` (whose SHA-256
  table these hashes match) and Zalando's S3 website used by torchvision and tensorflow-datasets.
* CIFAR-10: the authors' page, as in ``keras/src/datasets/cifar10.py`` and torchvision; no second
  mirror of the python tarball is published by those projects.

``folder`` is the dataset's sub-folder in the read-only offline folder (``CNNBOOK_DATA_DIR``);
downloads go to ``<cache>/<key>/`` (CIFAR-10's tarball is extracted next to it). ``num_classes``
and ``image_shape`` describe one image as the loaders return it.
"""

from __future__ import annotations

REGISTRY: dict[str, dict] = {
    "mnist": {
        "title": "MNIST",
        "folder": "mnist",
        "format": "idx",
        "num_classes": 10,
        "image_shape": (28, 28),
        "files": (
            {
                "name": "train-images-idx3-ubyte.gz",
                "size": 9912422,
                "sha256": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                "urls": (
                    "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz",
                    "https://storage.googleapis.com/cvdf-datasets/mnist/train-images-idx3-ubyte.gz",
                    "http://yann.lecun.com/exdb/mnist/train-images-idx3-ubyte.gz",
                ),
            },
            {
                "name": "train-labels-idx1-ubyte.gz",
                "size": 28881,
                "sha256": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                "urls": (
                    "https://ossci-datasets.s3.amazonaws.com/mnist/train-labels-idx1-ubyte.gz",
                    "https://storage.googleapis.com/cvdf-datasets/mnist/train-labels-idx1-ubyte.gz",
                    "http://yann.lecun.com/exdb/mnist/train-labels-idx1-ubyte.gz",
                ),
            },
            {
                "name": "t10k-images-idx3-ubyte.gz",
                "size": 1648877,
                "sha256": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                "urls": (
                    "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz",
                    "https://storage.googleapis.com/cvdf-datasets/mnist/t10k-images-idx3-ubyte.gz",
                    "http://yann.lecun.com/exdb/mnist/t10k-images-idx3-ubyte.gz",
                ),
            },
            {
                "name": "t10k-labels-idx1-ubyte.gz",
                "size": 4542,
                "sha256": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                "urls": (
                    "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz",
                    "https://storage.googleapis.com/cvdf-datasets/mnist/t10k-labels-idx1-ubyte.gz",
                    "http://yann.lecun.com/exdb/mnist/t10k-labels-idx1-ubyte.gz",
                ),
            },
        ),
    },
    "fashion-mnist": {
        "title": "Fashion-MNIST",
        "folder": "fashion-mnist",
        "format": "idx",
        "num_classes": 10,
        "image_shape": (28, 28),
        "files": (
            {
                "name": "train-images-idx3-ubyte.gz",
                "size": 26421880,
                "sha256": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                "urls": (
                    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/train-images-idx3-ubyte.gz",
                    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz",
                ),
            },
            {
                "name": "train-labels-idx1-ubyte.gz",
                "size": 29515,
                "sha256": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                "urls": (
                    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/train-labels-idx1-ubyte.gz",
                    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-labels-idx1-ubyte.gz",
                ),
            },
            {
                "name": "t10k-images-idx3-ubyte.gz",
                "size": 4422102,
                "sha256": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                "urls": (
                    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/t10k-images-idx3-ubyte.gz",
                    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/t10k-images-idx3-ubyte.gz",
                ),
            },
            {
                "name": "t10k-labels-idx1-ubyte.gz",
                "size": 5148,
                "sha256": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                "urls": (
                    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/t10k-labels-idx1-ubyte.gz",
                    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/t10k-labels-idx1-ubyte.gz",
                ),
            },
        ),
    },
    "cifar10": {
        "title": "CIFAR-10",
        "folder": "cifar-10-batches-py",
        "format": "cifar-python",
        "num_classes": 10,
        "image_shape": (32, 32, 3),
        "files": (
            {
                "name": "cifar-10-python.tar.gz",
                "size": 170498071,
                "sha256": "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
                "urls": (
                    "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                ),
            },
        ),
    },
}
