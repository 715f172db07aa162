"""The twins that chapters quote, as PyTorch modules (NCHW: inputs are ``(N, C, H, W)`` float
tensors).

Every other catalogue model is built from its spec (:mod:`cnnbook.models.torch_build`); these
classes are the models of the catalogue entries they register for (:mod:`cnnbook.models.twins`),
named like the entry in CapWords (``PostKeras`` is ``post_keras``), because the book prints or
derives their code. The tests check each against its spec's build on the same weights.

- :class:`PostPytorch`: the post's own PyTorch ``CNN`` for CIFAR-10 (32x32x3), with its flatten
  size *computed* from the input size instead of the post's hard-coded ``64 * 6 * 6``.
- :class:`PostTensorflow` and :class:`PostKeras`: torch twins of the post's TensorFlow and Keras
  models for MNIST.
- :class:`PostKerasFcn`: :class:`PostKeras` made fully convolutional, which the segmentation
  chapter derives.

Every ``forward`` returns **logits**. The post's Keras models end in a softmax because Keras'
``categorical_crossentropy`` expects probabilities; ``torch.nn.CrossEntropyLoss`` applies
log-softmax itself and expects logits, so a softmax here would be applied twice. Use
``logits.softmax(dim=1)`` when you want probabilities.

Attribute names mirror the Keras layer names in :mod:`cnnbook.models.keras_nets` (``conv1``,
``conv2``, ``fc1``, ``fc2``) so that porting weights is a name-for-name copy (plus the layout
transposes: Keras stores conv kernels as ``(kh, kw, in, out)`` and flattens NHWC, torch stores
``(out, in, kh, kw)`` and flattens NCHW).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cnnbook._optional import needs
from cnnbook.models.layers import Conv2dSpec, Pool2dSpec
from cnnbook.models.shapes import receptive_field
from cnnbook.models.twins import register

with needs("torch"):
    import torch
    import torch.nn.functional as F
    from torch import nn

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


# The catalogue's torch twins, registered where they are defined. Not by decorator: the book
# prints inspect.getsource(PostKeras), which would show one.
register("post_tensorflow", "torch")(PostTensorflow)
register("post_keras", "torch")(PostKeras)
register("post_pytorch", "torch")(PostPytorch)
register("post_keras_fcn", "torch")(PostKerasFcn)

# Classes of 0.1 that restated a catalogue spec: the spec builds those models now.
_SPEC_BUILT = {"MnistMlp": "mnist_mlp", "PostPytorchBn": "post_pytorch_bn",
               "CifarSmall": "cifar_small", "CifarResnetSmall": "cifar_resnet_small",
               "ResidualBlock": "cifar_resnet_small", "UnetSmall": "unet_small",
               "UnetLevel": "unet_small", "SceneCenternet": "scene_centernet"}


def __getattr__(name: str) -> Any:
    if name in _SPEC_BUILT:
        raise AttributeError(f"{name} was removed in 0.2: its catalogue spec builds the model, "
                             f"catalogue.get({_SPEC_BUILT[name]!r}).build('torch')")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
