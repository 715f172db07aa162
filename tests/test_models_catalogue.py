"""The catalogue: each model's spec against torch and Keras models built here from the spec, and
against the catalogue's own builders; names, lookups and errors."""

from __future__ import annotations

import os

import pytest

from cnnbook.models import (
    CATALOGUE,
    ActivationSpec,
    Conv2dSpec,
    DenseSpec,
    DropoutSpec,
    FlattenSpec,
    Pool2dSpec,
    catalogue,
    count_params,
)

ALL = [entry.spec for entry in CATALOGUE.values()]
IDS = list(CATALOGUE)
BOTH = list(catalogue.entries(frameworks=("torch", "keras")))
KERAS = [entry for entry in CATALOGUE.values() if entry.keras is not None]

# The counts printed by the post's model summaries: the only place they are written down.
POST_COUNTS = {"post_tensorflow": 54_410, "post_keras": 225_034, "post_pytorch": 315_722}


def test_the_mlp_is_about_the_size_of_the_posts_smallest_cnn():
    mlp, cnn = catalogue.get("mnist_mlp"), catalogue.get("post_tensorflow")
    assert mlp.count_params() == 784 * 69 + 69 + 69 * 10 + 10 == 54_865
    assert abs(mlp.count_params() - cnn.count_params()) / cnn.count_params() < 0.01
    assert not any(isinstance(layer, Conv2dSpec) for layer in mlp.spec.layers)


@pytest.mark.parametrize(("name", "expected"), POST_COUNTS.items())
def test_parameter_counts_are_the_posts(name, expected):
    entry = catalogue.get(name)
    assert entry.count_params() == expected
    assert count_params(entry) == count_params(entry.spec) == expected
    assert sum(params for _, _, params in entry.spec.param_table()) == expected


def test_catalogue_order_names_and_tasks():
    assert list(CATALOGUE)[:3] == ["post_tensorflow", "post_keras", "post_pytorch"]
    for name, entry in CATALOGUE.items():
        assert entry.name == name
        assert entry.task in ("classification", "segmentation", "detection")
        assert entry.torch.startswith("cnnbook.models.torch_nets:")


@pytest.mark.parametrize("entry", CATALOGUE.values(), ids=IDS)
def test_one_name_per_model(entry):
    """The Keras builder is the name; the torch class is the name in CapWords."""
    assert entry.torch.split(":")[1] == entry.name.title().replace("_", "")
    if entry.keras is not None:
        assert entry.keras.split(":")[1] == entry.name


def test_input_shapes_state_the_layout():
    entry = catalogue.get("post_pytorch")
    assert entry.input_shape("torch") == (3, 32, 32)  # NCHW without N
    assert entry.input_shape("keras") == (32, 32, 3)  # NHWC without N
    assert catalogue.get("post_keras").dataset == "mnist"
    assert entry.dataset == "cifar10"


def test_lookup_errors_are_one_line():
    with pytest.raises(ValueError, match="unknown model 'nope'; choose from post_tensorflow"):
        catalogue.get("nope")
    with pytest.raises(ValueError, match="unknown framework 'jax'"):
        catalogue.get("post_keras").build("jax")
    with pytest.raises(TypeError, match="expected a torch nn.Module or a Keras model"):
        count_params(object())


def test_entries_filter_by_task_and_frameworks():
    assert [e.name for e in catalogue.entries(task="classification")][:3] == list(POST_COUNTS)
    assert list(catalogue.entries(task="detection", frameworks=("keras",))) == [
        e for e in CATALOGUE.values() if e.task == "detection" and e.keras is not None]
    assert {e.name for e in BOTH} >= set(POST_COUNTS)


def test_pytorch_flatten_size_is_the_posts_64_6_6():
    spec = catalogue.get("post_pytorch").spec
    flatten = [
        s
        for layer, s in zip(spec.layers, spec.output_shapes(), strict=True)
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


@pytest.mark.parametrize("entry", CATALOGUE.values(), ids=IDS)
def test_specs_agree_with_the_catalogue_torch_builders(entry):
    pytest.importorskip("torch", reason="the torch builders need torch")
    model = entry.build("torch")
    architecture = entry.spec
    assert count_params(model) == architecture.count_params()
    # Every labelled conv / dense spec is an attribute of the same name and size.
    for layer in architecture.layers:
        if isinstance(layer, (Conv2dSpec, DenseSpec)):
            weight = getattr(model, layer.label).weight
            if isinstance(layer, Conv2dSpec):
                assert tuple(weight.shape) == (layer.out_channels, layer.in_channels, 3, 3)
            else:
                assert weight.shape[0] == layer.out_features


@pytest.mark.parametrize("entry", KERAS, ids=[e.name for e in KERAS])
def test_specs_agree_with_the_catalogue_keras_builders(keras, entry):
    architecture = entry.spec
    model = entry.build("keras", input_shape=entry.input_shape("keras"))
    assert model.count_params() == count_params(model) == architecture.count_params()
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
