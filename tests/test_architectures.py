"""The post's three models as specs: parameter counts and shapes against torch and Keras models
built here from the specs, and against the package's own framework models."""

from __future__ import annotations

import os

import pytest

from cnnbook.architectures import ARCHITECTURES, POST_KERAS, POST_PYTORCH, POST_TENSORFLOW
from cnnbook.ops import (
    ActivationSpec,
    Conv2dSpec,
    DenseSpec,
    DropoutSpec,
    FlattenSpec,
    Pool2dSpec,
    count_params,
)

ALL = list(ARCHITECTURES.values())
IDS = [a.name for a in ALL]


@pytest.mark.parametrize(
    ("architecture", "expected"),
    [(POST_TENSORFLOW, 54_410), (POST_KERAS, 225_034), (POST_PYTORCH, 315_722)],
    ids=["tensorflow", "keras", "pytorch"],
)
def test_parameter_counts_are_the_posts(architecture, expected):
    """The counts printed by the post's model summaries."""
    assert count_params(list(architecture.layers), architecture.input_shape) == expected
    assert architecture.count_params() == expected


def test_pytorch_flatten_size_is_the_posts_64_6_6():
    shapes = POST_PYTORCH.output_shapes()
    flatten = [
        s
        for layer, s in zip(POST_PYTORCH.layers, shapes, strict=True)
        if isinstance(layer, FlattenSpec)
    ]
    assert flatten == [(64 * 6 * 6,)]


def torch_sequential(architecture):
    """Build an ``nn.Sequential`` straight from the specs."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    modules, shape = [], architecture.input_shape
    for layer, out_shape in zip(architecture.layers, architecture.output_shapes(), strict=True):
        if isinstance(layer, Conv2dSpec):
            modules.append(
                nn.Conv2d(
                    layer.in_channels,
                    layer.out_channels,
                    layer.kernel_size,
                    layer.stride,
                    layer.padding,
                    layer.dilation,
                )
            )
        elif isinstance(layer, Pool2dSpec):
            modules.append(nn.MaxPool2d(layer.kernel_size, layer.stride, layer.padding))
        elif isinstance(layer, FlattenSpec):
            modules.append(nn.Flatten())
        elif isinstance(layer, DenseSpec):
            modules.append(nn.Linear(shape[0], layer.out_features))
        elif isinstance(layer, DropoutSpec):
            modules.append(nn.Dropout(layer.p))
        elif isinstance(layer, ActivationSpec):
            modules.append({"relu": nn.ReLU(), "softmax": nn.Softmax(dim=1)}[layer.name])
        shape = out_shape
    return nn.Sequential(*modules)


@pytest.mark.parametrize("architecture", ALL, ids=IDS)
def test_specs_agree_with_torch(architecture):
    torch = pytest.importorskip("torch", reason="torch builds the reference model")
    model = torch_sequential(architecture).eval()
    assert sum(p.numel() for p in model.parameters()) == architecture.count_params()
    x = torch.zeros(2, *architecture.input_shape)
    shapes = []
    for module in model:
        x = module(x)
        shapes.append(tuple(x.shape[1:]))
    assert shapes == architecture.output_shapes()


def keras_model(keras, architecture):
    """Build a Keras model (NHWC) straight from the specs."""
    c, h, w = architecture.input_shape
    layers = [keras.Input((h, w, c))]
    for layer in architecture.layers:
        if isinstance(layer, Conv2dSpec):
            layers.append(
                keras.layers.Conv2D(
                    layer.out_channels,
                    layer.kernel_size,
                    layer.stride,
                    padding="valid",
                    dilation_rate=layer.dilation,
                )
            )
        elif isinstance(layer, Pool2dSpec):
            layers.append(keras.layers.MaxPooling2D(layer.kernel_size, layer.stride))
        elif isinstance(layer, FlattenSpec):
            layers.append(keras.layers.Flatten())
        elif isinstance(layer, DenseSpec):
            layers.append(keras.layers.Dense(layer.out_features))
        elif isinstance(layer, DropoutSpec):
            layers.append(keras.layers.Dropout(layer.p))
        elif isinstance(layer, ActivationSpec):
            layers.append(keras.layers.Activation(layer.name))
    return keras.Sequential(layers)


def chw(shape):
    """Keras's ``(H, W, C)`` output shape as ``(C, H, W)``; flat shapes unchanged."""
    return (shape[2], shape[0], shape[1]) if len(shape) == 3 else tuple(shape)


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    return pytest.importorskip("keras", reason="Keras builds the reference model")


@pytest.mark.parametrize("architecture", ALL, ids=IDS)
def test_specs_agree_with_keras(keras, architecture):
    model = keras_model(keras, architecture)
    assert model.count_params() == architecture.count_params()
    shapes = [chw(layer.output.shape[1:]) for layer in model.layers]
    assert shapes == architecture.output_shapes()


def test_specs_agree_with_the_package_torch_models():
    pytest.importorskip("torch", reason="cnnbook.torch_models needs torch")
    torch_models = pytest.importorskip("cnnbook.torch_models")
    pairs = [
        (torch_models.PostTensorFlowNet(), POST_TENSORFLOW),
        (torch_models.PostKerasNet(), POST_KERAS),
        (torch_models.PostPyTorchNet(), POST_PYTORCH),
    ]
    for model, architecture in pairs:
        assert torch_models.count_parameters(model) == architecture.count_params()
        # Every labelled conv / dense spec is an attribute of the same name and size.
        for layer in architecture.layers:
            if isinstance(layer, (Conv2dSpec, DenseSpec)):
                weight = getattr(model, layer.label).weight
                if isinstance(layer, Conv2dSpec):
                    assert tuple(weight.shape) == (layer.out_channels, layer.in_channels, 3, 3)
                else:
                    assert weight.shape[0] == layer.out_features


def test_specs_agree_with_the_package_keras_models(keras):
    keras_models = pytest.importorskip("cnnbook.keras_models")
    builders = [
        (keras_models.post_tensorflow_model, POST_TENSORFLOW),
        (keras_models.post_keras_model, POST_KERAS),
        (keras_models.post_pytorch_model, POST_PYTORCH),
    ]
    for build, architecture in builders:
        c, h, w = architecture.input_shape
        model = build(input_shape=(h, w, c))
        assert model.count_params() == architecture.count_params()
        ours = dict(
            zip(
                [getattr(layer, "label", None) for layer in architecture.layers],
                architecture.output_shapes(),
                strict=True,
            )
        )
        for layer in model.layers:
            if layer.name in ours:
                assert chw(layer.output.shape[1:]) == ours[layer.name], layer.name
