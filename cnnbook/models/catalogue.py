"""The catalogue: every model of the book, once, with its one name.

Each :class:`ModelEntry` holds the model's name, its task, its dataset, its spec (an
:class:`~cnnbook.models.specs.Architecture`, pure data) and the frameworks it is built in. The
spec builds the model: a torch ``nn.Module`` (NCHW inputs, :mod:`cnnbook.models.torch_build`) and
a Keras 3 model (NHWC inputs, :mod:`cnnbook.models.keras_build`), with submodules and layers named
by the spec's labels. Only where a chapter quotes the code is the model a hand-written twin (the
post's three models in both frameworks, and the FCN the segmentation chapter derives), registered
where it is defined (:mod:`cnnbook.models.twins`); the tests check each twin against its spec's
build on the same weights. Reading the catalogue imports no framework. The name is the same
everywhere: the catalogue key, the command line, the benchmarks and the book (and a twin's name:
``keras_nets.post_keras``, ``torch_nets.PostKeras`` in CapWords).

Parameter counts are never written down: :meth:`ModelEntry.count_params` derives them from the
spec, and the tests check the frameworks against it.

    >>> from cnnbook.models import catalogue
    >>> [entry.name for entry in catalogue.entries()][:3]
    ['post_tensorflow', 'post_keras', 'post_pytorch']
    >>> net = catalogue.get("post_keras").build("torch")  # an nn.Module, (N, 1, 28, 28) -> logits
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal

from cnnbook._optional import EXTRA
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
from cnnbook.models.specs import Architecture, BuilderArg, conv_block
from cnnbook.models.twins import twin

__all__ = ["CATALOGUE", "FRAMEWORKS", "BuilderArg", "ModelEntry", "entries", "get"]

Task = Literal["classification", "segmentation", "detection"]
Framework = Literal["torch", "keras", "numpy"]
FRAMEWORKS: tuple[Framework, ...] = ("torch", "keras", "numpy")
# the pip extra of each framework (NumPy is a core dependency: it has none)
EXTRAS = {framework: EXTRA[framework] for framework in FRAMEWORKS if framework in EXTRA}


@dataclass(frozen=True)
class ModelEntry:
    """One model of the book.

    Attributes:
        name: the model's one name (``snake_case``).
        task: ``"classification"``, ``"segmentation"`` or ``"detection"``.
        dataset: the dataset it is trained on, as named by :mod:`cnnbook.datasets`.
        make_spec: the architecture as data, input ``(C, H, W)``, for the builder arguments
            ``args`` (keywords; every one has a default): :attr:`spec` is its default,
            :meth:`spec_for` any other.
        args: the builder's keyword arguments that a checkpoint may set, with bounds.
        frameworks: the frameworks it is built in, torch first; ``"numpy"`` for a classifier
            whose every layer has a NumPy layer (:mod:`cnnbook.models.numpy_build`, the "from
            scratch" build).
        description: one line for tables.
        made_last: labels of top-level layers that the torch build makes after the others (see
            :func:`cnnbook.models.torch_build.build_torch`): the order the model's hand-written
            class made them in, which a seed's initial weights depend on.
    """

    name: str
    task: Task
    dataset: str
    make_spec: Callable[..., Architecture]
    args: tuple[BuilderArg, ...]
    frameworks: tuple[Framework, ...]
    description: str
    made_last: tuple[str, ...] = ()

    @cached_property
    def spec(self) -> Architecture:
        """The architecture as the builders make it by default."""
        return self.make_spec()

    def check_args(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """``kwargs`` for the builder, checked against :attr:`args` (names, types, bounds) and
        normalised (lists become tuples); a one-line ``ValueError`` naming the first bad one.
        """
        declared = {arg.name: arg for arg in self.args}
        checked = {}
        for key, value in kwargs.items():
            if key not in declared:
                takes = ", ".join(declared) or "no arguments"
                raise ValueError(f"{key!r} is not an argument of {self.name} (it takes {takes})")
            try:
                checked[key] = declared[key].check(value)
            except ValueError as err:
                raise ValueError(f"{key} {err}") from None
        return checked

    def spec_for(self, **kwargs: Any) -> Architecture:
        """The architecture that the builder makes with ``kwargs``, checked as by
        :meth:`check_args`; nothing is built (a ``ValueError`` when the shapes do not work out
        shows only when the spec's shapes are computed)."""
        return self.make_spec(**self.check_args(kwargs))

    def _check_framework(self, framework: str) -> None:
        if framework not in FRAMEWORKS:
            raise ValueError(f"unknown framework {framework!r}; "
                             f"choose from {', '.join(FRAMEWORKS)}")
        if framework not in self.frameworks:
            raise ValueError(f"model {self.name!r} has no {framework} builder; it has "
                             f"{', '.join(self.frameworks)}")

    def input_shape(self, framework: Framework) -> tuple[int, int, int]:
        """One input without the batch axis: ``(C, H, W)`` for torch, ``(H, W, C)`` for Keras."""
        c, h, w = self.spec.input_shape
        return (c, h, w) if framework == "torch" else (h, w, c)

    def count_params(self) -> int:
        """Trainable parameters, derived from the spec (no framework is imported)."""
        return self.spec.count_params()

    def count_macs(self) -> int:
        """Multiply-accumulates of one forward pass of one input, derived from the spec."""
        return self.spec.count_macs()

    def twin(self, framework: Framework) -> Callable[..., Any] | None:
        """The hand-written class or function that builds this model in ``framework`` where a
        chapter quotes one (importing the framework's twin module), else ``None``."""
        self._check_framework(framework)
        if framework == "numpy":
            return None  # no chapter quotes NumPy code of a catalogue model
        if framework == "torch":
            importlib.import_module("cnnbook.models.torch_nets")
        else:
            importlib.import_module("cnnbook.models.keras_nets")
        return twin(self.name, framework)

    def mismatch(self, model: Any, framework: Framework) -> str | None:
        """``None`` when ``model`` was built by :meth:`build` for this entry (a twin's class, or
        the spec's build, carries ``catalogue_name``), else a line saying what it is instead."""
        found = getattr(model, "catalogue_name", None)
        if found == self.name:
            return None
        kind = type(model).__name__
        made_by = self.twin(framework)
        return (f"model is a {kind}{'' if found is None else f' of {found}'}, but "
                f"{self.name!r} is built by {'its spec' if made_by is None else made_by.__name__}")

    def build(self, framework: Framework, **kwargs: Any) -> Any:
        """A fresh, untrained model in ``framework``: its twin where it has one, else its spec's
        build (:meth:`build_spec`); ``kwargs`` are the builder arguments (and, for Keras,
        ``input_shape=(H, W, C)``).

        Raises:
            ValueError: when this model has no builder for ``framework``, or an argument is
                not one it declares.
            ImportError: naming the extra to install when the framework is missing.
        """
        made_by = self.twin(framework)
        if made_by is not None:
            return made_by(**kwargs)
        return self.build_spec(framework, **kwargs)

    def build_spec(self, framework: Framework, **kwargs: Any) -> Any:
        """The model as its spec builds it, twin or not: a
        :class:`~cnnbook.models.torch_build.SpecNet` (NCHW), a Keras model (NHWC, named
        :attr:`name`; ``input_shape=(H, W, C)`` sets its input) or a
        :class:`~cnnbook.models.numpy_build.NumpyNet` (NCHW; ``seed=`` and ``dtype=`` set its
        He-initialised weights)."""
        self._check_framework(framework)
        if framework == "numpy":
            from cnnbook.models.numpy_build import build_numpy

            seed, dtype = kwargs.pop("seed", 0), kwargs.pop("dtype", "float32")
            return build_numpy(self.spec_for(**kwargs), catalogue_name=self.name, seed=seed,
                               dtype=dtype)
        if framework == "torch":
            from cnnbook.models.torch_build import build_torch

            return build_torch(self.spec_for(**kwargs), catalogue_name=self.name,
                               made_last=self.made_last)
        from cnnbook.models.keras_build import build_keras

        input_shape = kwargs.pop("input_shape", None)
        if input_shape is not None and "in_channels" in {a.name for a in self.args}:
            kwargs.setdefault("in_channels", input_shape[2])
        spec = self.spec_for(**kwargs)
        if input_shape is not None:
            height, width, channels = input_shape
            spec = Architecture((channels, height, width), spec.layers)
        model = build_keras(spec, name=self.name)
        model.catalogue_name = self.name
        return model


_MNIST = (1, 28, 28)
_CIFAR10 = (3, 32, 32)
_SMALL_WIDTHS = (40, 80, 160)  # cifar_small: chosen for about 145k parameters


def _conv_bn(index: int, in_channels: int, out_channels: int, activation: str, *,
             pool: bool = False) -> tuple[LayerSpec, ...]:
    """3x3 "same" conv without bias (the batch norm's shift replaces it), with ``pool`` a 2x2
    max pool, batch norm, ``activation``: ``(C_in, H, W) -> (C_out, H, W)`` (``H / 2, W / 2``
    with the pool), labelled ``conv{index}``, ``pool{index}``, ``bn{index}``,
    ``{activation}{index}``. The one spelling of conv-BN-activation in the catalogue."""
    return (
        Conv2dSpec(in_channels, out_channels, 3, padding=1, bias=False, label=f"conv{index}"),
        *((Pool2dSpec(2, label=f"pool{index}"),) if pool else ()),
        BatchNorm2dSpec(out_channels, label=f"bn{index}"),
        ActivationSpec(activation, label=f"{activation}{index}"),
    )


_CENTERNET_WIDTHS = (16, 32, 64)


def _centernet(in_channels: int, num_classes: int,
               widths: tuple[int, ...]) -> tuple[LayerSpec, ...]:
    """A small fully convolutional CenterNet: stride 4, receptive field 46 pixels (a 64x64
    scene's largest digit is about 33 pixels), a 3x3 head and a 1x1 conv to the maps: per cell,
    ``num_classes`` heatmaps, box size (w, h) and offset (dx, dy)."""
    a, b, c = widths
    return (
        *_conv_bn(1, in_channels, a, "relu"), Pool2dSpec(2, label="pool1"),  # (16, 32, 32)
        *_conv_bn(2, a, b, "relu"), *_conv_bn(3, b, b, "relu"), Pool2dSpec(2, label="pool2"),
        *_conv_bn(4, b, c, "relu"), *_conv_bn(5, c, c, "relu"),
        *_conv_bn(6, c, c, "relu"),  # (64, 16, 16)
        Conv2dSpec(c, c, 3, padding=1, label="head"), ActivationSpec("relu", label="head_relu"),
        # (14, 16, 16): logits, w, h, dx, dy; the heatmap bias starts at a prior of 0.1 per cell,
        # sigmoid(-2.19), as in CenterNet, so the focal loss does not start on a flood of centres
        Conv2dSpec(c, num_classes + 4, 1, bias_fill=(num_classes, -2.19), label="maps"),
    )


def _residual(label: str, channels: int) -> ResidualSpec:
    """``x + body(x)`` with body = two (3x3 "same" conv, batch norm, GELU) at ``channels``."""
    return ResidualSpec((*_conv_bn(1, channels, channels, "gelu"),
                         *_conv_bn(2, channels, channels, "gelu")), label=label)


def _cifar(in_channels: int, num_classes: int, widths: tuple[int, ...],
           residual: bool) -> Architecture:
    """cifar_small (and, with ``residual``, cifar_resnet_small): three conv-pool-BN-GELU groups
    (a residual block after the first), global max pooling, linear logits."""
    w1, w2, w3 = widths
    return Architecture((in_channels, *_CIFAR10[1:]), (
        *_conv_bn(1, in_channels, w1, "gelu", pool=True),  # (40, 16, 16)
        *((_residual("res1", w1),) if residual else ()),  # (40, 16, 16): x + body(x)
        *_conv_bn(2, w1, w2, "gelu", pool=True),  # (80, 8, 8)
        *_conv_bn(3, w2, w3, "gelu", pool=True),  # (160, 4, 4)
        GlobalPool2dSpec("max", label="global_pool"),  # (160,)
        DenseSpec(None, num_classes, label="fc"),  # logits
    ))


def _lenet5(in_channels: int, num_classes: int) -> Architecture:
    """LeNet-5 (LeCun et al. 1998) on 32x32 inputs, as it is usually rebuilt: 5x5 convolutions
    with every input channel connected (the paper's C3 used 10 of the 16 x 6 channel pairs),
    tanh, 2x2 average pooling (the paper's subsampling also had a trainable scale and bias) and a
    linear output (the paper's was a radial-basis layer)."""
    return Architecture((in_channels, *_CIFAR10[1:]), (
        Conv2dSpec(in_channels, 6, 5, label="conv1"),  # (6, 28, 28): C1
        ActivationSpec("tanh", label="tanh1"),
        Pool2dSpec(2, mode="avg", label="pool1"),  # (6, 14, 14): S2
        Conv2dSpec(6, 16, 5, label="conv2"),  # (16, 10, 10): C3
        ActivationSpec("tanh", label="tanh2"),
        Pool2dSpec(2, mode="avg", label="pool2"),  # (16, 5, 5): S4
        FlattenSpec(label="flatten"),  # (400,)
        DenseSpec(None, 120, label="fc1"),  # C5 (a 5x5 convolution on a 5x5 map)
        ActivationSpec("tanh", label="tanh3"),
        DenseSpec(120, 84, label="fc2"),  # F6
        ActivationSpec("tanh", label="tanh4"),
        DenseSpec(84, num_classes, label="fc3"),  # logits
    ))


_VGG_WIDTHS = (16, 32, 64)  # vgg_small: channels of its three stages


def _vgg(in_channels: int, num_classes: int, widths: tuple[int, ...]) -> Architecture:
    """VGG's pattern (Simonyan & Zisserman 2014) with batch norm (as torchvision's ``vgg11_bn``):
    stages of two 3x3 "same" conv-BN-ReLU and a 2x2 max pool, the channels doubling as the map
    halves, then flatten and a linear classifier (VGG's three dense layers, scaled down to one)."""
    stages: list[LayerSpec] = []
    channels = in_channels
    for stage, width in enumerate(widths):
        stages += [*_conv_bn(2 * stage + 1, channels, width, "relu"),
                   *_conv_bn(2 * stage + 2, width, width, "relu"),
                   Pool2dSpec(2, label=f"pool{stage + 1}")]
        channels = width
    return Architecture((in_channels, *_CIFAR10[1:]), (
        *stages,  # (64, 4, 4) for three stages
        FlattenSpec(label="flatten"),
        DenseSpec(None, num_classes, label="fc"),  # logits
    ))


_MOBILE_WIDTHS = (16, 32, 64, 64, 128, 128)  # mobilenet_small: stem, then one per block
_MOBILE_STRIDES = (1, 2, 1, 2, 1)  # each block's depthwise stride


def _separable(index: int, in_channels: int, out_channels: int,
               stride: int) -> tuple[LayerSpec, ...]:
    """MobileNet's depthwise-separable block: a 3x3 depthwise convolution (one filter per
    channel, ``stride``), BN, ReLU, then a 1x1 pointwise convolution that mixes the channels,
    BN, ReLU. Labels ``dw{index}``, ``dw_bn{index}`` ..., ``pw{index}``, ``pw_bn{index}`` ...."""
    return (
        Conv2dSpec(in_channels, in_channels, 3, stride, 1, bias=False, groups=in_channels,
                   label=f"dw{index}"),
        BatchNorm2dSpec(in_channels, label=f"dw_bn{index}"),
        ActivationSpec("relu", label=f"dw_relu{index}"),
        Conv2dSpec(in_channels, out_channels, 1, bias=False, label=f"pw{index}"),
        BatchNorm2dSpec(out_channels, label=f"pw_bn{index}"),
        ActivationSpec("relu", label=f"pw_relu{index}"),
    )


def _mobilenet(in_channels: int, num_classes: int, widths: tuple[int, ...]) -> Architecture:
    """A MobileNet-style net (Howard et al. 2017): a 3x3 conv-BN-ReLU stem, depthwise-separable
    blocks (strides :data:`_MOBILE_STRIDES`), global average pooling, a linear classifier."""
    blocks: list[LayerSpec] = []
    for index, (c_in, c_out, stride) in enumerate(
            zip(widths[:-1], widths[1:], _MOBILE_STRIDES, strict=True), start=1):
        blocks += _separable(index, c_in, c_out, stride)
    return Architecture((in_channels, *_CIFAR10[1:]), (
        *_conv_bn(0, in_channels, widths[0], "relu"),  # (16, 32, 32): the stem
        *blocks,  # (128, 8, 8)
        GlobalPool2dSpec("avg", label="global_pool"),  # (128,)
        DenseSpec(None, num_classes, label="fc"),  # logits
    ))


_SCENES = (1, 64, 64)  # cnnbook.datasets.scenes: 64x64 grey scenes of real MNIST digits
_SCENES_DATASET = "mnist-scenes"  # made by cnnbook.datasets.make_scenes, not downloaded
_SEGMENT_CLASSES = 11  # background and the ten digits
_UNET_WIDTHS = (8, 16, 32, 64)  # unet_small: channels at 64, 32, 16 and 8 pixels


def _double_conv(first: int, in_channels: int, out_channels: int) -> tuple[LayerSpec, ...]:
    """Two (3x3 "same" conv without bias, batch norm, ReLU), labelled ``conv{first}``,
    ``bn{first}``, ``relu{first}``, then ``first + 1``: ``(C_in, H, W) -> (C_out, H, W)``."""
    return (*_conv_bn(first, in_channels, out_channels, "relu"),
            *_conv_bn(first + 1, out_channels, out_channels, "relu"))


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


# What a checkpoint may pass to a torch builder (checkpoint.json's model.kwargs): bounds wide
# enough for any sensible variant; the parameter limit of cnnbook.saving.manifest does the rest.
_IN_CHANNELS = BuilderArg("in_channels", 1, 64)
_NUM_CLASSES = BuilderArg("num_classes", 1, 10_000)
_INPUT_SIZE = BuilderArg("input_size", 1, 4096)
_DROPOUT = BuilderArg("dropout", 0, 1, real=True)


def _widths(shortest: int, longest: int) -> BuilderArg:
    return BuilderArg("widths", 1, 4096, length=(shortest, longest))


_ENTRIES = (
    ModelEntry(
        name="post_tensorflow",
        task="classification",
        dataset="mnist",
        make_spec=lambda in_channels=1, num_classes=10, input_size=28: Architecture(
            (in_channels, input_size, input_size), (
                *conv_block(1, in_channels, 32),  # (32, 13, 13)
                FlattenSpec(label="flatten"),  # (5408,)
                DenseSpec(None, num_classes, label="fc1"),
                ActivationSpec("softmax", label="softmax"),
            )),
        args=(_IN_CHANNELS, _NUM_CLASSES, _INPUT_SIZE),
        frameworks=("torch", "keras", "numpy"),
        description="the post's TensorFlow model: conv 32, pool, dense 10 (MNIST)",
    ),
    ModelEntry(
        name="post_keras",
        task="classification",
        dataset="mnist",
        make_spec=lambda in_channels=1, num_classes=10, input_size=28: Architecture(
            (in_channels, input_size, input_size), (
                *conv_block(1, in_channels, 32),  # (32, 13, 13)
                *conv_block(2, 32, 64),  # (64, 5, 5)
                FlattenSpec(label="flatten"),  # (1600,)
                DenseSpec(None, 128, label="fc1"),
                ActivationSpec("relu", label="relu3"),
                DenseSpec(128, num_classes, label="fc2"),
                ActivationSpec("softmax", label="softmax"),
            )),
        args=(_IN_CHANNELS, _NUM_CLASSES, _INPUT_SIZE),
        frameworks=("torch", "keras", "numpy"),
        description="the post's Keras model: conv 32, conv 64, dense 128, dense 10 (MNIST)",
    ),
    ModelEntry(
        name="post_pytorch",
        task="classification",
        dataset="cifar10",
        make_spec=lambda in_channels=3, num_classes=10, input_size=32, dropout=0.5: Architecture(
            (in_channels, input_size, input_size), (
                *conv_block(1, in_channels, 32),  # (32, 15, 15)
                DropoutSpec(dropout, label="dropout1"),
                *conv_block(2, 32, 64),  # (64, 6, 6)
                DropoutSpec(dropout, label="dropout2"),
                FlattenSpec(label="flatten"),  # (2304,) = 64 * 6 * 6: the post's view(-1, 2304)
                DenseSpec(None, 128, label="fc1"),
                ActivationSpec("relu", label="relu3"),
                DropoutSpec(dropout, label="dropout3"),
                DenseSpec(128, num_classes, label="fc2"),  # logits: the loss applies log-softmax
            )),
        args=(_IN_CHANNELS, _NUM_CLASSES, _INPUT_SIZE, _DROPOUT),
        frameworks=("torch", "keras", "numpy"),
        description="the post's PyTorch CNN with dropout (CIFAR-10, inferred from its shapes)",
    ),
    ModelEntry(
        name="mnist_mlp",
        task="classification",
        dataset="mnist",
        make_spec=lambda hidden=69, num_classes=10: Architecture(_MNIST, (
            FlattenSpec(label="flatten"),  # (784,)
            DenseSpec(None, hidden, label="fc1"),  # 69 units: about the size of post_tensorflow
            ActivationSpec("relu", label="relu1"),
            DenseSpec(hidden, num_classes, label="fc2"),
            ActivationSpec("softmax", label="softmax"),
        )),
        args=(BuilderArg("hidden", 1, 65_536), _NUM_CLASSES),
        frameworks=("torch", "keras", "numpy"),
        description="a one-hidden-layer perceptron the size of post_tensorflow: no weight sharing",
    ),
    ModelEntry(
        name="post_pytorch_bn",
        task="classification",
        dataset="cifar10",
        make_spec=lambda in_channels=3, num_classes=10, input_size=32, dropout=0.5: Architecture(
            (in_channels, input_size, input_size), (
                Conv2dSpec(in_channels, 32, 3, label="conv1"),  # (32, 30, 30)
                BatchNorm2dSpec(32, label="bn1"),
                ActivationSpec("relu", label="relu1"),
                Pool2dSpec(2, label="pool1"),  # (32, 15, 15)
                DropoutSpec(dropout, label="dropout1"),
                Conv2dSpec(32, 64, 3, label="conv2"),  # (64, 13, 13)
                BatchNorm2dSpec(64, label="bn2"),
                ActivationSpec("relu", label="relu2"),
                Pool2dSpec(2, label="pool2"),  # (64, 6, 6)
                DropoutSpec(dropout, label="dropout2"),
                FlattenSpec(label="flatten"),  # (2304,)
                DenseSpec(None, 128, label="fc1"),
                ActivationSpec("relu", label="relu3"),
                DropoutSpec(dropout, label="dropout3"),
                DenseSpec(128, num_classes, label="fc2"),  # logits
            )),
        args=(_IN_CHANNELS, _NUM_CLASSES, _INPUT_SIZE, _DROPOUT),
        frameworks=("torch", "keras", "numpy"),
        description="post_pytorch with batch norm after each conv, nothing else changed",
    ),
    ModelEntry(
        name="cifar_small",
        task="classification",
        dataset="cifar10",
        make_spec=lambda in_channels=3, num_classes=10, widths=_SMALL_WIDTHS: _cifar(
            in_channels, num_classes, widths, residual=False),
        args=(_IN_CHANNELS, _NUM_CLASSES, _widths(3, 3)),
        frameworks=("torch", "keras"),
        description="three conv-pool-BN-GELU groups, global max pool, linear",
    ),
    ModelEntry(
        name="cifar_resnet_small",
        task="classification",
        dataset="cifar10",
        make_spec=lambda in_channels=3, num_classes=10, widths=_SMALL_WIDTHS: _cifar(
            in_channels, num_classes, widths, residual=True),
        args=(_IN_CHANNELS, _NUM_CLASSES, _widths(3, 3)),
        frameworks=("torch", "keras"),
        description="cifar_small with a residual block (two conv-BN-GELU) after its first group",
        made_last=("res1",),  # its hand-written class (a subclass of cifar_small's) added res1
    ),
    ModelEntry(
        name="lenet5",
        task="classification",
        dataset="cifar10",
        make_spec=lambda in_channels=3, num_classes=10: _lenet5(in_channels, num_classes),
        args=(_IN_CHANNELS, _NUM_CLASSES),
        frameworks=("torch", "keras"),
        description="LeNet-5 (1998): two 5x5 conv-tanh-average-pool stages, three dense layers",
    ),
    ModelEntry(
        name="vgg_small",
        task="classification",
        dataset="cifar10",
        make_spec=lambda in_channels=3, num_classes=10, widths=_VGG_WIDTHS: _vgg(
            in_channels, num_classes, widths),
        args=(_IN_CHANNELS, _NUM_CLASSES, _widths(1, 5)),
        frameworks=("torch", "keras", "numpy"),
        description="VGG-style (2014): stages of two 3x3 conv-BN-ReLU and a max pool, linear",
    ),
    ModelEntry(
        name="mobilenet_small",
        task="classification",
        dataset="cifar10",
        make_spec=lambda in_channels=3, num_classes=10, widths=_MOBILE_WIDTHS: _mobilenet(
            in_channels, num_classes, widths),
        args=(_IN_CHANNELS, _NUM_CLASSES, _widths(6, 6)),
        frameworks=("torch",),
        description="MobileNet-style (2017): a stem, five depthwise-separable blocks, global "
                    "average pool",
    ),
    ModelEntry(
        name="scene_centernet",
        task="detection",
        dataset=_SCENES_DATASET,
        make_spec=lambda in_channels=1, num_classes=10, widths=_CENTERNET_WIDTHS: Architecture(
            (in_channels, *_SCENES[1:]), _centernet(in_channels, num_classes, widths)),
        args=(_IN_CHANNELS, _NUM_CLASSES, _widths(3, 3)),
        frameworks=("torch",),
        description="a one-stage anchor-free detector (CenterNet-style: centre heatmap per "
                    "class, box size, offset)",
    ),
    ModelEntry(
        name="post_keras_fcn",
        task="segmentation",
        dataset=_SCENES_DATASET,
        make_spec=lambda in_channels=1, num_classes=_SEGMENT_CLASSES: Architecture(
            (in_channels, *_SCENES[1:]), (
                *conv_block(1, in_channels, 32),  # (32, 31, 31)
                *conv_block(2, 32, 64),  # (64, 14, 14)
                # fc1 of post_keras as what it is on a 5x5x64 map: a 5x5 convolution
                Conv2dSpec(64, 128, 5, label="fc1"),  # (128, 10, 10)
                ActivationSpec("relu", label="relu3"),
                Conv2dSpec(128, num_classes, 1, label="fc2"),  # (11, 10, 10): a 1x1 convolution
            )),
        args=(_IN_CHANNELS, _NUM_CLASSES),
        frameworks=("torch",),
        description="post_keras fully convolutional: dense layers as 5x5 and 1x1 convolutions",
    ),
    ModelEntry(
        name="unet_small",
        task="segmentation",
        dataset=_SCENES_DATASET,
        make_spec=lambda in_channels=1, num_classes=_SEGMENT_CLASSES, widths=_UNET_WIDTHS: (
            Architecture((in_channels, *_SCENES[1:]), (
                *_double_conv(1, in_channels, widths[0]),  # (8, 64, 64)
                _unet_level(1, widths[0], widths[1:]),  # (16, 64, 64): skip + up path
                *_double_conv(3, 2 * widths[0], widths[0]),  # (8, 64, 64)
                Conv2dSpec(widths[0], num_classes, 1, label="head"),  # (11, 64, 64)
            ))),
        args=(_IN_CHANNELS, _NUM_CLASSES, _widths(2, 6)),
        frameworks=("torch",),
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
