"""The post's three CNNs as PyTorch modules (NCHW: inputs are ``(N, C, H, W)`` float tensors).

Each class is the torch builder of the catalogue entry of the same name
(:mod:`cnnbook.models.catalogue`): ``PostKeras`` is ``post_keras``. The tests check every class
against its entry's spec (layer shapes and parameter counts).

- :class:`PostPytorch`: the post's own PyTorch ``CNN`` for CIFAR-10 (32x32x3), with its flatten
  size *computed* from the input size instead of the post's hard-coded ``64 * 6 * 6``.
- :class:`PostTensorflow` and :class:`PostKeras`: torch twins of the post's TensorFlow and Keras
  models for MNIST.

Every ``forward`` returns **logits** ``(N, num_classes)``. The post's Keras models end in a softmax
because Keras' ``categorical_crossentropy`` expects probabilities; ``torch.nn.CrossEntropyLoss``
applies log-softmax itself and expects logits, so a softmax here would be applied twice. Use
``logits.softmax(dim=1)`` when you want probabilities.

Attribute names mirror the Keras layer names in :mod:`cnnbook.models.keras_nets` (``conv1``,
``conv2``, ``fc1``, ``fc2``) so that porting weights is a name-for-name copy (plus the layout
transposes: Keras stores conv kernels as ``(kh, kw, in, out)`` and flattens NHWC, torch stores
``(out, in, kh, kw)`` and flattens NCHW).
"""

from __future__ import annotations

from collections.abc import Callable

from cnnbook._optional import require

require("torch")  # an ImportError that names the extra to install when torch is missing
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402


def flatten_size(features: Callable[[torch.Tensor], torch.Tensor], in_channels: int,
                 input_size: int) -> int:
    """Number of values per image after ``features``, found by one dummy forward pass.

    Args:
        features: a module (or bound method) mapping ``(1, in_channels, H, W)`` to a feature map.
        in_channels: ``C`` of the NCHW input.
        input_size: ``H == W`` of the (square) input.

    Raises:
        ValueError: when ``input_size`` is too small for the layers (an empty feature map).
    """
    with torch.no_grad():
        dummy = torch.zeros(1, in_channels, input_size, input_size)  # (1, C, H, W)
        try:
            return int(features(dummy).numel())
        except RuntimeError as err:
            raise ValueError(f"input size {input_size}x{input_size} is too small for these "
                             f"layers: {str(err).splitlines()[0]}") from None


class PostPytorch(nn.Module):
    """The post's PyTorch CNN, completed: two conv blocks with dropout, two dense layers.

    Input ``(N, in_channels, input_size, input_size)``, output logits ``(N, num_classes)``.
    At the post's 32x32x3 (CIFAR-10) the flatten size is 64 * 6 * 6 = 2,304. Dropout
    (``p=dropout``) follows each pooling and the first dense layer, exactly where the post puts
    it; ``model.eval()`` switches it off.
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 10, input_size: int = 32,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.pool = nn.MaxPool2d(2, 2)
        self.dropout = nn.Dropout(dropout)
        self.flat_features = flatten_size(self.features, in_channels, input_size)
        self.fc1 = nn.Linear(self.flat_features, 128)
        self.fc2 = nn.Linear(128, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The convolutional part: ``(N, C, 32, 32) -> (N, 64, 6, 6)`` at the post's size."""
        x = self.dropout(self.pool(F.relu(self.conv1(x))))  # (N, 32, 15, 15)
        x = self.dropout(self.pool(F.relu(self.conv2(x))))  # (N, 64, 6, 6)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (N, 64, 6, 6)
        x = x.flatten(1)  # (N, 2304); the post's x.view(-1, 64 * 6 * 6)
        x = self.dropout(F.relu(self.fc1(x)))  # (N, 128)
        return self.fc2(x)  # (N, num_classes) logits


class PostTensorflow(nn.Module):
    """Torch twin of the post's TensorFlow model: one conv, one pool, one dense layer.

    Input ``(N, in_channels, input_size, input_size)`` (MNIST: ``(N, 1, 28, 28)``), output logits
    ``(N, num_classes)``. The Keras original ends in a softmax.
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, input_size: int = 28) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 32, 3)
        self.pool = nn.MaxPool2d(2, 2)
        self.flat_features = flatten_size(self.features, in_channels, input_size)
        self.fc1 = nn.Linear(self.flat_features, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 1, 28, 28) -> (N, 32, 13, 13)`` at MNIST size."""
        return self.pool(F.relu(self.conv1(x)))  # (N, 32, 13, 13)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x).flatten(1)  # (N, 5408)
        return self.fc1(x)  # (N, num_classes) logits


class PostKeras(nn.Module):
    """Torch twin of the post's Keras model: two conv/pool blocks, Dense 128, Dense 10.

    Input ``(N, in_channels, input_size, input_size)`` (MNIST: ``(N, 1, 28, 28)``), output logits
    ``(N, num_classes)``. The Keras original ends in a softmax.
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, input_size: int = 28) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.pool = nn.MaxPool2d(2, 2)
        self.flat_features = flatten_size(self.features, in_channels, input_size)
        self.fc1 = nn.Linear(self.flat_features, 128)
        self.fc2 = nn.Linear(128, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 1, 28, 28) -> (N, 64, 5, 5)`` at MNIST size."""
        x = self.pool(F.relu(self.conv1(x)))  # (N, 32, 13, 13)
        x = self.pool(F.relu(self.conv2(x)))  # (N, 64, 5, 5)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x).flatten(1)  # (N, 1600)
        x = F.relu(self.fc1(x))  # (N, 128)
        return self.fc2(x)  # (N, num_classes) logits


class MnistMlp(nn.Module):
    """A multilayer perceptron about the size of the post's TensorFlow CNN: no convolution.

    Input ``(N, 1, 28, 28)``, flattened to ``(N, 784)``; one hidden layer of ``hidden`` ReLU units;
    output logits ``(N, num_classes)``. Every hidden unit has its own weight for every pixel, so
    nothing it learns at one position carries over to another (no weight sharing).
    """

    def __init__(self, in_features: int = 28 * 28, hidden: int = 69,
                 num_classes: int = 10) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.fc1(x.flatten(1)))  # (N, hidden)
        return self.fc2(x)  # (N, num_classes) logits
