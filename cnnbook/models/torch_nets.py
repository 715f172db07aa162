"""The post's three CNNs as PyTorch modules (NCHW: inputs are ``(N, C, H, W)`` float tensors).

Each class is the torch builder of the catalogue entry of the same name
(:mod:`cnnbook.models.catalogue`): ``PostKeras`` is ``post_keras``. The tests check every class
against its entry's spec (layer shapes and parameter counts).

- :class:`PostPytorch`: the post's own PyTorch ``CNN`` for CIFAR-10 (32x32x3), with its flatten
  size *computed* from the input size instead of the post's hard-coded ``64 * 6 * 6``.
- :class:`PostTensorflow` and :class:`PostKeras`: torch twins of the post's TensorFlow and Keras
  models for MNIST.
- :class:`PostPytorchBn`, :class:`CifarSmall` and :class:`CifarResnetSmall`: the rungs of "training
  a CNN well" on CIFAR-10 (batch norm; the small recipe net; the same with a residual block).

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
from typing import Any

from cnnbook._optional import require
from cnnbook.models.layers import Conv2dSpec, Pool2dSpec
from cnnbook.models.shapes import receptive_field

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


def _pair(value: Any) -> tuple[int, int]:
    """A torch layer's size argument (an int or a pair) as ``(height, width)``."""
    height, width = (value, value) if isinstance(value, int) else value
    return int(height), int(width)


def _geometry(layer: nn.Conv2d | nn.MaxPool2d) -> Conv2dSpec | Pool2dSpec:
    """The spec of ``layer``'s geometry, for the arithmetic of :mod:`cnnbook.models.shapes`."""
    if isinstance(layer, nn.Conv2d):
        if isinstance(layer.padding, str):
            raise ValueError(f"padding {layer.padding!r}: the field needs a number")
        return Conv2dSpec(layer.in_channels, layer.out_channels, _pair(layer.kernel_size),
                          _pair(layer.stride), _pair(layer.padding), _pair(layer.dilation))
    if _pair(layer.dilation) != (1, 1):
        raise ValueError("a dilated pooling has no Pool2dSpec")
    return Pool2dSpec(_pair(layer.kernel_size), _pair(layer.stride), _pair(layer.padding))


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


class PostPytorchBn(nn.Module):
    """:class:`PostPytorch` with batch normalisation after each convolution, nothing else changed.

    Input ``(N, in_channels, input_size, input_size)``, output logits ``(N, num_classes)``. Each
    block is conv, batch norm, ReLU, pool, dropout. The convolutions keep their biases so that the
    only difference from the post's net is the two ``nn.BatchNorm2d`` (``2 * C`` parameters each;
    their running statistics are buffers, not parameters).
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 10, input_size: int = 32,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 32, 3)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.bn2 = nn.BatchNorm2d(64)
        self.pool = nn.MaxPool2d(2, 2)
        self.dropout = nn.Dropout(dropout)
        self.flat_features = flatten_size(self.features, in_channels, input_size)
        self.fc1 = nn.Linear(self.flat_features, 128)
        self.fc2 = nn.Linear(128, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C, 32, 32) -> (N, 64, 6, 6)`` at CIFAR-10 size."""
        x = self.dropout(self.pool(F.relu(self.bn1(self.conv1(x)))))  # (N, 32, 15, 15)
        x = self.dropout(self.pool(F.relu(self.bn2(self.conv2(x)))))  # (N, 64, 6, 6)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x).flatten(1)  # (N, 2304)
        x = self.dropout(F.relu(self.fc1(x)))  # (N, 128)
        return self.fc2(x)  # (N, num_classes) logits


class CifarSmall(nn.Module):
    """The recipe net: three conv-pool-BN-GELU groups, global max pooling, one linear layer.

    Input ``(N, in_channels, H, W)`` (CIFAR-10: ``(N, 3, 32, 32)``), output logits
    ``(N, num_classes)``. Each group is a 3x3 "same" convolution without bias (the batch norm's
    shift makes a bias redundant), a 2x2 max pool, batch norm and GELU, so ``widths`` (40, 80, 160)
    give ``(N, 160, 4, 4)`` at 32x32. Global max pooling keeps each channel's strongest response
    wherever it is, so the classifier does not depend on the input size.
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 10,
                 widths: tuple[int, int, int] = (40, 80, 160)) -> None:
        super().__init__()
        w1, w2, w3 = widths
        self.conv1 = nn.Conv2d(in_channels, w1, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(w1)
        self.conv2 = nn.Conv2d(w1, w2, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(w2)
        self.conv3 = nn.Conv2d(w2, w3, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(w3)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc = nn.Linear(w3, num_classes)

    def group(self, x: torch.Tensor, conv: nn.Module, bn: nn.Module) -> torch.Tensor:
        """Conv, pool, batch norm, GELU: ``(N, C_in, H, W) -> (N, C_out, H / 2, W / 2)``."""
        return F.gelu(bn(self.pool(conv(x))))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 3, 32, 32) -> (N, 160, 4, 4)`` at CIFAR-10 size."""
        x = self.group(x, self.conv1, self.bn1)  # (N, 40, 16, 16)
        x = self.group(x, self.conv2, self.bn2)  # (N, 80, 8, 8)
        return self.group(x, self.conv3, self.bn3)  # (N, 160, 4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x).amax(dim=(2, 3))  # (N, 160): global max pooling
        return self.fc(x)  # (N, num_classes) logits


class ResidualBlock(nn.Module):
    """``x + body(x)`` with body = two (3x3 "same" conv without bias, batch norm, GELU).

    Input and output ``(N, channels, H, W)``. The identity path lets the gradient reach earlier
    layers unchanged, and the block can start as (almost) nothing added to ``x``.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        body = F.gelu(self.bn1(self.conv1(x)))  # (N, C, H, W)
        body = F.gelu(self.bn2(self.conv2(body)))  # (N, C, H, W)
        return x + body


class CifarResnetSmall(CifarSmall):
    """:class:`CifarSmall` with a :class:`ResidualBlock` (``res1``) after its first group.

    Input ``(N, in_channels, H, W)``, output logits ``(N, num_classes)``. The block sits where
    the feature map has the fewest channels, so it adds the fewest parameters: two 40 -> 40
    convolutions and their batch norms at the default widths.
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 10,
                 widths: tuple[int, int, int] = (40, 80, 160)) -> None:
        super().__init__(in_channels, num_classes, widths)
        self.res1 = ResidualBlock(widths[0])

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 3, 32, 32) -> (N, 160, 4, 4)`` at CIFAR-10 size."""
        x = self.group(x, self.conv1, self.bn1)  # (N, 40, 16, 16)
        x = self.res1(x)  # (N, 40, 16, 16)
        x = self.group(x, self.conv2, self.bn2)  # (N, 80, 8, 8)
        return self.group(x, self.conv3, self.bn3)  # (N, 160, 4, 4)


class PostKerasFcn(nn.Module):
    """:class:`PostKeras` made fully convolutional: a class score for every place of the input.

    The dense layers become what they already were on the 5x5x64 feature map: ``fc1`` a 5x5
    convolution (the same 204,928 weights) and ``fc2`` a 1x1 convolution. With no flatten left,
    the network takes any input of at least 28x28: ``(N, in_channels, H, W)`` gives coarse
    logits ``(N, num_classes, ((H - 2) // 2 - 2) // 2 - 4, ...)`` (:meth:`coarse`; 1x1 at 28x28,
    where they equal the classifier's logits with the same weights, see
    :meth:`from_classifier`).
    :meth:`forward` samples the coarse map bilinearly at every input pixel, placing each coarse
    output at the centre of its receptive field (start 12.5 px, jump 4 px, by the receptive-field
    arithmetic of :mod:`cnnbook.models.shapes` over its own layers), so it returns
    ``(N, num_classes, H, W)`` logits.
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 11) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Conv2d(64, 128, 5)
        self.fc2 = nn.Conv2d(128, num_classes, 1)
        # the field of a coarse output, from this module's own layers in forward order (the
        # ReLUs keep it); the tests check that it is the catalogue spec's
        path = (self.conv1, self.pool, self.conv2, self.pool, self.fc1, self.fc2)
        field = receptive_field([_geometry(layer) for layer in path])[-1]
        self.field_start, self.field_jump = field.start, field.jump

    @classmethod
    def from_classifier(cls, classifier: PostKeras) -> PostKerasFcn:
        """A :class:`PostKerasFcn` with ``classifier``'s weights (the dense weights reshaped to
        convolution kernels); its number of classes is the classifier's."""
        fcn = cls(classifier.conv1.in_channels, classifier.fc2.out_features)
        with torch.no_grad():
            for name in ("conv1", "conv2", "fc1", "fc2"):
                target, source = getattr(fcn, name), getattr(classifier, name)
                if source.weight.numel() != target.weight.numel():
                    raise ValueError(f"{name}: the classifier's input size is not 28x28")
                target.weight.copy_(source.weight.reshape(target.weight.shape))
                target.bias.copy_(source.bias)
        return fcn

    def coarse(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C, H, W) -> (N, num_classes, H', W')`` logits, one per 4-pixel step."""
        if min(x.shape[-2:]) < 28:
            raise ValueError(f"PostKerasFcn needs inputs of at least 28x28, not "
                             f"{tuple(x.shape[-2:])}")
        x = self.pool(F.relu(self.conv1(x)))  # (N, 32, (H - 2) // 2, ...)
        x = self.pool(F.relu(self.conv2(x)))  # (N, 64, ((H - 2) // 2 - 2) // 2, ...)
        x = F.relu(self.fc1(x))  # (N, 128, H', W')
        return self.fc2(x)  # (N, num_classes, H', W')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        coarse = self.coarse(x)  # (N, K, H', W')
        grids = []
        for size, cells in zip(x.shape[-2:], coarse.shape[-2:], strict=True):
            # input pixel p lies at (p - start) / jump on the coarse grid; -1..1 spans its cells
            where = (torch.arange(size, device=x.device, dtype=coarse.dtype)
                     - self.field_start) / self.field_jump
            grids.append(2 * where / max(cells - 1, 1) - 1)
        gy, gx = torch.meshgrid(grids[0], grids[1], indexing="ij")
        grid = torch.stack([gx, gy], dim=-1).expand(x.shape[0], -1, -1, -1)  # (N, H, W, 2)
        return F.grid_sample(coarse, grid, mode="bilinear", padding_mode="border",
                             align_corners=True)  # (N, K, H, W)


class UnetLevel(nn.Module):
    """One level of :class:`UnetSmall` below the top: ``concat([x, body(x)])``.

    ``body`` = 2x2 max pool, two (3x3 conv, batch norm, ReLU) to ``widths[0]`` channels, the
    next level (``down{index + 1}``) and two more conv-BN-ReLU when ``widths`` has more, then a
    2x2 stride-2 transposed convolution (``up``) back to the input's size and channels.
    ``(N, C, H, W) -> (N, 2C, H, W)``.
    """

    def __init__(self, index: int, in_channels: int, widths: tuple[int, ...]) -> None:
        super().__init__()
        width = widths[0]
        self.pool = nn.MaxPool2d(2, 2)
        self.conv1 = nn.Conv2d(in_channels, width, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.inner: str | None = None  # the next level's name, registered once (state_dict)
        if len(widths) > 1:
            self.inner = f"down{index + 1}"
            self.add_module(self.inner, UnetLevel(index + 1, width, widths[1:]))
            self.conv3 = nn.Conv2d(2 * width, width, 3, padding=1, bias=False)
            self.bn3 = nn.BatchNorm2d(width)
            self.conv4 = nn.Conv2d(width, width, 3, padding=1, bias=False)
            self.bn4 = nn.BatchNorm2d(width)
        self.up = nn.ConvTranspose2d(width, in_channels, 2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.pool(x)  # (N, C, H / 2, W / 2)
        y = F.relu(self.bn1(self.conv1(y)))
        y = F.relu(self.bn2(self.conv2(y)))  # (N, width, H / 2, W / 2)
        if self.inner is not None:
            y = self.get_submodule(self.inner)(y)  # (N, 2 width, H / 2, W / 2)
            y = F.relu(self.bn3(self.conv3(y)))
            y = F.relu(self.bn4(self.conv4(y)))  # (N, width, H / 2, W / 2)
        return torch.cat([x, self.up(y)], dim=1)  # (N, 2C, H, W)


class UnetSmall(nn.Module):
    """A small U-Net: an encoder-decoder whose skip connections concatenate.

    Input ``(N, in_channels, H, W)`` with ``H`` and ``W`` multiples of ``2 ** (len(widths) - 1)``
    (8 by default), output logits ``(N, num_classes, H, W)``: a class score for every pixel. The
    top level works at full size with ``widths[0]`` channels; each level below halves the size
    (max pool), and a transposed convolution brings it back, concatenated with what the level
    above saw (the skip), so fine detail and wide context meet before the 1x1 ``head``.
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 11,
                 widths: tuple[int, ...] = (8, 16, 32, 64)) -> None:
        super().__init__()
        if len(widths) < 2:
            raise ValueError(f"a U-Net needs at least two widths, not {widths}")
        w = widths[0]
        self.multiple = 2 ** (len(widths) - 1)
        self.conv1 = nn.Conv2d(in_channels, w, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        self.conv2 = nn.Conv2d(w, w, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(w)
        self.down1 = UnetLevel(1, w, widths[1:])
        self.conv3 = nn.Conv2d(2 * w, w, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(w)
        self.conv4 = nn.Conv2d(w, w, 3, padding=1, bias=False)
        self.bn4 = nn.BatchNorm2d(w)
        self.head = nn.Conv2d(w, num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2] % self.multiple or x.shape[-1] % self.multiple:
            raise ValueError(f"UnetSmall needs a height and width that are multiples of "
                             f"{self.multiple}, not {tuple(x.shape[-2:])}")
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))  # (N, w, H, W)
        x = self.down1(x)  # (N, 2w, H, W)
        x = F.relu(self.bn3(self.conv3(x)))
        x = F.relu(self.bn4(self.conv4(x)))  # (N, w, H, W)
        return self.head(x)  # (N, num_classes, H, W) logits


class SceneCenternet(nn.Module):
    """``scene_centernet``: a small CenterNet-style detector, fully convolutional, stride 4.

    ``(N, 1, H, W) -> (N, num_classes + 4, H / 4, W / 4)``: per cell of the coarse grid, one
    heatmap **logit** per class (where object centres are), then the box size ``(w, h)`` and the
    sub-cell offset ``(dx, dy)`` of the object centred there, in grid cells (the layout of
    :class:`cnnbook.detection.targets.TargetLayout`). Four 3x3 conv-BN-ReLU layers after two
    2x2 poolings give a receptive field of 46 pixels, larger than the biggest digit of a scene.
    The heatmap bias starts at ``-log((1 - 0.1) / 0.1)``, a prior of 0.1 per cell, as in
    CenterNet, so that the focal loss does not start on a flood of false centres.
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10,
                 widths: tuple[int, int, int] = (16, 32, 64)) -> None:
        super().__init__()
        a, b, c = widths
        self.num_classes = num_classes
        chans = [(in_channels, a), (a, b), (b, b), (b, c), (c, c), (c, c)]
        for i, (cin, cout) in enumerate(chans, start=1):
            setattr(self, f"conv{i}", nn.Conv2d(cin, cout, 3, padding=1, bias=False))
            setattr(self, f"bn{i}", nn.BatchNorm2d(cout))
        self.head = nn.Conv2d(c, c, 3, padding=1)
        self.maps = nn.Conv2d(c, num_classes + 4, 1)
        bias = self.maps.bias
        assert bias is not None
        nn.init.constant_(bias[:num_classes], -2.19)  # sigmoid(-2.19) = 0.1

    def _block(self, i: int, x: torch.Tensor) -> torch.Tensor:
        return F.relu(getattr(self, f"bn{i}")(getattr(self, f"conv{i}")(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2] % 4 or x.shape[-1] % 4:
            raise ValueError(f"SceneCenternet needs a height and width that are multiples of 4, "
                             f"not {tuple(x.shape[-2:])}")
        x = F.max_pool2d(self._block(1, x), 2)  # (N, 16, H/2, W/2)
        x = F.max_pool2d(self._block(3, self._block(2, x)), 2)  # (N, 32, H/4, W/4)
        x = self._block(6, self._block(5, self._block(4, x)))  # (N, 64, H/4, W/4)
        return self.maps(F.relu(self.head(x)))  # (N, num_classes + 4, H/4, W/4)
