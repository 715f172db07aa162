"""The catalogue: every model of the book, once, with its one name.

Each :class:`ModelEntry` holds the model's name, its task, its dataset, its spec (an
:class:`~cnnbook.models.specs.Architecture`, pure data), and where its framework builders live:
a torch ``nn.Module`` class (NCHW inputs) and, where one exists, a Keras 3 builder (NHWC inputs).
Builders are referenced as ``"module:attribute"`` strings, so reading the catalogue imports no
framework. The name is the same everywhere: the catalogue key, the Keras builder
(``keras_nets.post_keras``), the torch class in CapWords (``torch_nets.PostKeras``), the command
line, the benchmarks and the book.

Parameter counts are never written down: :meth:`ModelEntry.count_params` derives them from the
spec, and the tests check the frameworks against it.

    >>> from cnnbook.models import catalogue
    >>> [entry.name for entry in catalogue.entries()][:3]
    ['post_tensorflow', 'post_keras', 'post_pytorch']
    >>> net = catalogue.get("post_keras").build("torch")  # an nn.Module, (N, 1, 28, 28) -> logits
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from cnnbook.models.layers import (
    ActivationSpec,
    BatchNorm2dSpec,
    Conv2dSpec,
    ConvTranspose2dSpec,
    DenseSpec,
    DropoutSpec,
    FlattenSpec,
    GlobalPool2dSpec,
    LayerSpec,
    Pool2dSpec,
    ResidualSpec,
    SkipConcatSpec,
)
from cnnbook.models.specs import Architecture, conv_block

__all__ = ["CATALOGUE", "FRAMEWORKS", "ModelEntry", "entries", "get"]

Task = Literal["classification", "segmentation", "detection"]
Framework = Literal["torch", "keras"]
FRAMEWORKS: tuple[Framework, ...] = ("torch", "keras")
EXTRAS = {"torch": "torch", "keras": "tf"}  # the pip extra that provides each framework


@dataclass(frozen=True)
class ModelEntry:
    """One model of the book.

    Attributes:
        name: the model's one name (``snake_case``).
        task: ``"classification"``, ``"segmentation"`` or ``"detection"``.
        dataset: the dataset it is trained on, as named by :mod:`cnnbook.datasets`.
        spec: the architecture as data, input ``(C, H, W)``.
        torch: ``"module:Class"`` of the ``nn.Module`` (NCHW in, logits out).
        keras: ``"module:function"`` of the Keras 3 builder (NHWC in), or ``None``.
        description: one line for tables.
    """

    name: str
    task: Task
    dataset: str
    spec: Architecture
    torch: str
    keras: str | None
    description: str

    @property
    def frameworks(self) -> tuple[Framework, ...]:
        """The frameworks this model has a builder for, torch first."""
        return tuple(f for f in FRAMEWORKS if self.builder_path(f) is not None)

    def builder_path(self, framework: Framework) -> str | None:
        """``"module:attribute"`` of ``framework``'s builder, or ``None`` when there is none."""
        if framework not in FRAMEWORKS:
            raise ValueError(f"unknown framework {framework!r}; "
                             f"choose from {', '.join(FRAMEWORKS)}")
        return self.torch if framework == "torch" else self.keras

    def input_shape(self, framework: Framework) -> tuple[int, int, int]:
        """One input without the batch axis: ``(C, H, W)`` for torch, ``(H, W, C)`` for Keras."""
        c, h, w = self.spec.input_shape
        return (c, h, w) if framework == "torch" else (h, w, c)

    def count_params(self) -> int:
        """Trainable parameters, derived from the spec (no framework is imported)."""
        return self.spec.count_params()

    def build(self, framework: Framework, **kwargs: Any) -> Any:
        """A fresh, untrained model in ``framework``; ``kwargs`` go to the builder.

        Raises:
            ValueError: when this model has no builder for ``framework``.
            ImportError: naming the extra to install when the framework is missing.
        """
        path = self.builder_path(framework)
        if path is None:
            raise ValueError(f"model {self.name!r} has no {framework} builder; it has "
                             f"{', '.join(self.frameworks)}")
        module_name, attr = path.split(":")
        return getattr(importlib.import_module(module_name), attr)(**kwargs)


_MNIST = (1, 28, 28)
_CIFAR10 = (3, 32, 32)
_SMALL_WIDTHS = (40, 80, 160)  # cifar_small: chosen for about 145k parameters


def _bn_group(index: int, in_channels: int, out_channels: int) -> tuple[LayerSpec, ...]:
    """3x3 "same" conv without bias (the batch norm's shift replaces it), 2x2 max pool, batch
    norm, GELU: ``(C_in, H, W) -> (C_out, H / 2, W / 2)``, labelled like the framework models."""
    return (
        Conv2dSpec(in_channels, out_channels, 3, padding=1, bias=False, label=f"conv{index}"),
        Pool2dSpec(2, label=f"pool{index}"),
        BatchNorm2dSpec(out_channels, label=f"bn{index}"),
        ActivationSpec("gelu", label=f"gelu{index}"),
    )


_SCENES = (1, 64, 64)  # the detection and segmentation scenes (cnnbook.datasets.scenes)
_CENTERNET_WIDTHS = (16, 32, 64)
_CENTERNET_OUTPUTS = 10 + 4  # per cell: 10 class heatmaps, box size (w, h), offset (dx, dy)


def _conv_bn_relu(index: int, in_channels: int, out_channels: int) -> tuple[LayerSpec, ...]:
    """3x3 "same" conv without bias, batch norm, ReLU: ``(C_in, H, W) -> (C_out, H, W)``."""
    return (Conv2dSpec(in_channels, out_channels, 3, padding=1, bias=False, label=f"conv{index}"),
            BatchNorm2dSpec(out_channels, label=f"bn{index}"),
            ActivationSpec("relu", label=f"relu{index}"))


def _centernet() -> tuple[LayerSpec, ...]:
    """A small fully convolutional CenterNet: stride 4, receptive field 46 pixels (a 64x64
    scene's largest digit is about 33 pixels), a 3x3 head and a 1x1 conv to the 14 maps."""
    a, b, c = _CENTERNET_WIDTHS
    return (
        *_conv_bn_relu(1, 1, a), Pool2dSpec(2, label="pool1"),  # (16, 32, 32)
        *_conv_bn_relu(2, a, b), *_conv_bn_relu(3, b, b), Pool2dSpec(2, label="pool2"),
        *_conv_bn_relu(4, b, c), *_conv_bn_relu(5, c, c), *_conv_bn_relu(6, c, c),  # (64, 16, 16)
        Conv2dSpec(c, c, 3, padding=1, label="head"), ActivationSpec("relu", label="head_relu"),
        Conv2dSpec(c, _CENTERNET_OUTPUTS, 1, label="maps"),  # (14, 16, 16): logits, w, h, dx, dy
    )


def _residual(label: str, channels: int) -> ResidualSpec:
    """``x + body(x)`` with body = two (3x3 "same" conv, batch norm, GELU) at ``channels``."""
    body: list[LayerSpec] = []
    for i in (1, 2):
        body += [Conv2dSpec(channels, channels, 3, padding=1, bias=False, label=f"conv{i}"),
                 BatchNorm2dSpec(channels, label=f"bn{i}"),
                 ActivationSpec("gelu", label=f"gelu{i}")]
    return ResidualSpec(tuple(body), label=label)


_SCENES = (1, 64, 64)  # cnnbook.datasets.scenes: 64x64 grey scenes of real MNIST digits
_SEGMENT_CLASSES = 11  # background and the ten digits
_UNET_WIDTHS = (8, 16, 32, 64)  # unet_small: channels at 64, 32, 16 and 8 pixels


def _double_conv(first: int, in_channels: int, out_channels: int) -> tuple[LayerSpec, ...]:
    """Two (3x3 "same" conv without bias, batch norm, ReLU), labelled ``conv{first}``,
    ``bn{first}``, ``relu{first}``, then ``first + 1``: ``(C_in, H, W) -> (C_out, H, W)``."""
    layers: list[LayerSpec] = []
    for i, c_in in ((first, in_channels), (first + 1, out_channels)):
        layers += [Conv2dSpec(c_in, out_channels, 3, padding=1, bias=False, label=f"conv{i}"),
                   BatchNorm2dSpec(out_channels, label=f"bn{i}"),
                   ActivationSpec("relu", label=f"relu{i}")]
    return tuple(layers)


def _unet_level(index: int, in_channels: int, widths: tuple[int, ...]) -> SkipConcatSpec:
    """One U-Net level below the top, as ``concat([x, body(x)])``: body = pool, two convs, the
    next level (if any) and two convs after it, then a 2x2 transposed conv back to ``x``'s size
    and ``in_channels``. ``(C, H, W) -> (2C, H, W)``."""
    width = widths[0]
    body: list[LayerSpec] = [Pool2dSpec(2, label="pool"), *_double_conv(1, in_channels, width)]
    if len(widths) > 1:
        body += [_unet_level(index + 1, width, widths[1:]), *_double_conv(3, 2 * width, width)]
    body.append(ConvTranspose2dSpec(width, in_channels, 2, 2, label="up"))
    return SkipConcatSpec(tuple(body), label=f"down{index}")


_ENTRIES = (
    ModelEntry(
        name="post_tensorflow",
        task="classification",
        dataset="mnist",
        spec=Architecture(_MNIST, (
            *conv_block(1, 1, 32),  # (32, 13, 13)
            FlattenSpec(label="flatten"),  # (5408,)
            DenseSpec(None, 10, label="fc1"),
            ActivationSpec("softmax", label="softmax"),
        )),
        torch="cnnbook.models.torch_nets:PostTensorflow",
        keras="cnnbook.models.keras_nets:post_tensorflow",
        description="the post's TensorFlow model: conv 32, pool, dense 10 (MNIST)",
    ),
    ModelEntry(
        name="post_keras",
        task="classification",
        dataset="mnist",
        spec=Architecture(_MNIST, (
            *conv_block(1, 1, 32),  # (32, 13, 13)
            *conv_block(2, 32, 64),  # (64, 5, 5)
            FlattenSpec(label="flatten"),  # (1600,)
            DenseSpec(None, 128, label="fc1"),
            ActivationSpec("relu", label="relu3"),
            DenseSpec(128, 10, label="fc2"),
            ActivationSpec("softmax", label="softmax"),
        )),
        torch="cnnbook.models.torch_nets:PostKeras",
        keras="cnnbook.models.keras_nets:post_keras",
        description="the post's Keras model: conv 32, conv 64, dense 128, dense 10 (MNIST)",
    ),
    ModelEntry(
        name="post_pytorch",
        task="classification",
        dataset="cifar10",
        spec=Architecture(_CIFAR10, (
            *conv_block(1, 3, 32),  # (32, 15, 15)
            DropoutSpec(0.5, label="dropout1"),
            *conv_block(2, 32, 64),  # (64, 6, 6)
            DropoutSpec(0.5, label="dropout2"),
            FlattenSpec(label="flatten"),  # (2304,) = 64 * 6 * 6, the post's view(-1, 64 * 6 * 6)
            DenseSpec(None, 128, label="fc1"),
            ActivationSpec("relu", label="relu3"),
            DropoutSpec(0.5, label="dropout3"),
            DenseSpec(128, 10, label="fc2"),  # logits: CrossEntropyLoss applies log-softmax
        )),
        torch="cnnbook.models.torch_nets:PostPytorch",
        keras="cnnbook.models.keras_nets:post_pytorch",
        description="the post's PyTorch CNN with dropout (CIFAR-10, inferred from its shapes)",
    ),
    ModelEntry(
        name="mnist_mlp",
        task="classification",
        dataset="mnist",
        spec=Architecture(_MNIST, (
            FlattenSpec(label="flatten"),  # (784,)
            DenseSpec(None, 69, label="fc1"),  # 69 units: about the size of post_tensorflow
            ActivationSpec("relu", label="relu1"),
            DenseSpec(69, 10, label="fc2"),
            ActivationSpec("softmax", label="softmax"),
        )),
        torch="cnnbook.models.torch_nets:MnistMlp",
        keras="cnnbook.models.keras_nets:mnist_mlp",
        description="a one-hidden-layer perceptron the size of post_tensorflow: no weight sharing",
    ),
    ModelEntry(
        name="post_pytorch_bn",
        task="classification",
        dataset="cifar10",
        spec=Architecture(_CIFAR10, (
            Conv2dSpec(3, 32, 3, label="conv1"),  # (32, 30, 30)
            BatchNorm2dSpec(32, label="bn1"),
            ActivationSpec("relu", label="relu1"),
            Pool2dSpec(2, label="pool1"),  # (32, 15, 15)
            DropoutSpec(0.5, label="dropout1"),
            Conv2dSpec(32, 64, 3, label="conv2"),  # (64, 13, 13)
            BatchNorm2dSpec(64, label="bn2"),
            ActivationSpec("relu", label="relu2"),
            Pool2dSpec(2, label="pool2"),  # (64, 6, 6)
            DropoutSpec(0.5, label="dropout2"),
            FlattenSpec(label="flatten"),  # (2304,)
            DenseSpec(None, 128, label="fc1"),
            ActivationSpec("relu", label="relu3"),
            DropoutSpec(0.5, label="dropout3"),
            DenseSpec(128, 10, label="fc2"),  # logits
        )),
        torch="cnnbook.models.torch_nets:PostPytorchBn",
        keras="cnnbook.models.keras_nets:post_pytorch_bn",
        description="post_pytorch with batch norm after each conv, nothing else changed",
    ),
    ModelEntry(
        name="cifar_small",
        task="classification",
        dataset="cifar10",
        spec=Architecture(_CIFAR10, (
            *_bn_group(1, 3, _SMALL_WIDTHS[0]),  # (40, 16, 16)
            *_bn_group(2, _SMALL_WIDTHS[0], _SMALL_WIDTHS[1]),  # (80, 8, 8)
            *_bn_group(3, _SMALL_WIDTHS[1], _SMALL_WIDTHS[2]),  # (160, 4, 4)
            GlobalPool2dSpec("max", label="global_pool"),  # (160,)
            DenseSpec(None, 10, label="fc"),  # logits
        )),
        torch="cnnbook.models.torch_nets:CifarSmall",
        keras="cnnbook.models.keras_nets:cifar_small",
        description="three conv-pool-BN-GELU groups, global max pool, linear (the recipe net)",
    ),
    ModelEntry(
        name="cifar_resnet_small",
        task="classification",
        dataset="cifar10",
        spec=Architecture(_CIFAR10, (
            *_bn_group(1, 3, _SMALL_WIDTHS[0]),  # (40, 16, 16)
            _residual("res1", _SMALL_WIDTHS[0]),  # (40, 16, 16): x + body(x)
            *_bn_group(2, _SMALL_WIDTHS[0], _SMALL_WIDTHS[1]),  # (80, 8, 8)
            *_bn_group(3, _SMALL_WIDTHS[1], _SMALL_WIDTHS[2]),  # (160, 4, 4)
            GlobalPool2dSpec("max", label="global_pool"),  # (160,)
            DenseSpec(None, 10, label="fc"),  # logits
        )),
        torch="cnnbook.models.torch_nets:CifarResnetSmall",
        keras="cnnbook.models.keras_nets:cifar_resnet_small",
        description="cifar_small with a residual block (two conv-BN-GELU) after its first group",
    ),
    ModelEntry(
        name="scene_centernet",
        task="detection",
        dataset="mnist_scenes",
        spec=Architecture(_SCENES, _centernet()),
        torch="cnnbook.models.torch_nets:SceneCenternet",
        keras=None,
        description="a one-stage anchor-free detector (CenterNet-style: centre heatmap per "
                    "class, box size, offset)",
    ),
    ModelEntry(
        name="post_keras_fcn",
        task="segmentation",
        dataset="mnist-scenes",
        spec=Architecture(_SCENES, (
            *conv_block(1, 1, 32),  # (32, 31, 31)
            *conv_block(2, 32, 64),  # (64, 14, 14)
            # fc1 of post_keras as what it is on a 5x5x64 map: a 5x5 convolution (same weights)
            Conv2dSpec(64, 128, 5, label="fc1"),  # (128, 10, 10)
            ActivationSpec("relu", label="relu3"),
            Conv2dSpec(128, _SEGMENT_CLASSES, 1, label="fc2"),  # (11, 10, 10): a 1x1 convolution
        )),
        torch="cnnbook.models.torch_nets:PostKerasFcn",
        keras=None,
        description="post_keras fully convolutional: dense layers as 5x5 and 1x1 convolutions",
    ),
    ModelEntry(
        name="unet_small",
        task="segmentation",
        dataset="mnist-scenes",
        spec=Architecture(_SCENES, (
            *_double_conv(1, 1, _UNET_WIDTHS[0]),  # (8, 64, 64)
            _unet_level(1, _UNET_WIDTHS[0], _UNET_WIDTHS[1:]),  # (16, 64, 64): skip + up path
            *_double_conv(3, 2 * _UNET_WIDTHS[0], _UNET_WIDTHS[0]),  # (8, 64, 64)
            Conv2dSpec(_UNET_WIDTHS[0], _SEGMENT_CLASSES, 1, label="head"),  # (11, 64, 64)
        )),
        torch="cnnbook.models.torch_nets:UnetSmall",
        keras=None,
        description="a small U-Net: three poolings, transposed convs up, skips by concatenation",
    ),
)

CATALOGUE: MappingProxyType[str, ModelEntry] = MappingProxyType({e.name: e for e in _ENTRIES})
"""Every model of the book by name, in the order the book meets them (read-only)."""


def get(name: str) -> ModelEntry:
    """The catalogue entry called ``name``; a one-line ``ValueError`` lists the names otherwise."""
    try:
        return CATALOGUE[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(CATALOGUE)}") from None


def entries(*, task: Task | None = None,
            frameworks: tuple[Framework, ...] = ()) -> Iterator[ModelEntry]:
    """The entries, in catalogue order, with ``task`` (any when ``None``) and a builder for each
    of ``frameworks`` (``("torch", "keras")`` gives the models that parity tests can compare)."""
    for entry in CATALOGUE.values():
        if task is not None and entry.task != task:
            continue
        if all(f in entry.frameworks for f in frameworks):
            yield entry
