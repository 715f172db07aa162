"""The catalogue: each model's spec against torch and Keras models built here from the spec, and
against the catalogue's own builders; names, lookups and errors."""

from __future__ import annotations

import os

import pytest

from cnnbook.models import (
    CATALOGUE,
    Architecture,
    Conv2dSpec,
    DenseSpec,
    FlattenSpec,
    catalogue,
    count_params,
    output_shapes,
)
from cnnbook.models.layers import (
    BatchNorm2dSpec,
    ConvTranspose2dSpec,
    GlobalPool2dSpec,
    ResidualSpec,
    SkipConcatSpec,
)

ALL = [entry.spec for entry in CATALOGUE.values()]
IDS = list(CATALOGUE)
BOTH = list(catalogue.entries(frameworks=("torch", "keras")))
KERAS = list(catalogue.entries(frameworks=("keras",)))

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
        assert entry.frameworks in (("torch",), ("torch", "keras"), ("torch", "keras", "numpy"))


def test_numpy_is_a_framework_exactly_where_the_numpy_builder_has_every_layer():
    from cnnbook.models.numpy_build import supports

    assert [e.name for e in catalogue.entries(frameworks=("numpy",))] == [
        "post_tensorflow", "post_keras", "post_pytorch", "mnist_mlp", "post_pytorch_bn",
        "vgg_small"]
    for entry in CATALOGUE.values():  # a classifier: the NumPy loop trains with cross-entropy
        wanted = entry.task == "classification" and supports(entry.spec)
        assert ("numpy" in entry.frameworks) == wanted, entry.name


# The twins: only the code that chapters quote (the post's three models, in both frameworks,
# and the FCN the segmentation chapter derives); the specs build every other model.
TWINS = {"torch": ["post_tensorflow", "post_keras", "post_pytorch", "post_keras_fcn"],
         "keras": ["post_tensorflow", "post_keras", "post_pytorch"]}


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_only_the_quoted_models_have_twins_named_like_them(framework):
    pytest.importorskip(framework, reason=f"the {framework} twins need {framework}")
    found = {e.name: e.twin(framework) for e in catalogue.entries(frameworks=(framework,))}
    assert [name for name, twin in found.items() if twin is not None] == TWINS[framework]
    for name in TWINS[framework]:  # torch: the name in CapWords; Keras: the name
        spelled = name.title().replace("_", "") if framework == "torch" else name
        assert found[name].__name__ == spelled and found[name].catalogue_name == name


@pytest.mark.parametrize("name", TWINS["torch"])
def test_torch_twins_compute_their_specs_build(name):
    """Each torch twin and its spec's build hold the same tensors, and on the twin's weights
    give the same logits (the FCN's coarse ones: its forward samples them up)."""
    torch = pytest.importorskip("torch", reason="the torch builders need torch")
    entry = catalogue.get(name)
    torch.manual_seed(0)
    twin, built = entry.build("torch").eval(), entry.build_spec("torch").eval()
    assert type(twin).__name__ != type(built).__name__ == "SpecNet"
    assert {k: v.shape for k, v in twin.state_dict().items()} == {
        k: v.shape for k, v in built.state_dict().items()}
    built.load_state_dict(twin.state_dict())
    x = torch.rand(3, *entry.input_shape("torch"))
    with torch.no_grad():
        ours = twin.coarse(x) if name == "post_keras_fcn" else twin(x)
        torch.testing.assert_close(built(x), ours, rtol=0, atol=0)


@pytest.mark.parametrize("name", TWINS["keras"])
def test_keras_twins_compute_their_specs_build(keras, name):
    """Each Keras twin and its spec's build have the same layers and weights, and on the twin's
    weights give the same outputs."""
    import numpy as np

    entry = catalogue.get(name)
    twin, built = entry.build("keras"), entry.build_spec("keras")
    assert [layer.name for layer in twin.layers] == [layer.name for layer in built.layers]
    assert [w.path for w in twin.weights] == [w.path for w in built.weights]
    built.set_weights(twin.get_weights())
    x = np.random.default_rng(0).random((3, *entry.input_shape("keras")), dtype=np.float32)
    np.testing.assert_array_equal(built(x, training=False), twin(x, training=False))


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
        e for e in CATALOGUE.values() if e.task == "detection" and "keras" in e.frameworks]
    assert {e.name for e in BOTH} >= set(POST_COUNTS)


def test_pytorch_flatten_size_is_the_posts_64_6_6():
    spec = catalogue.get("post_pytorch").spec
    flatten = [
        s
        for layer, s in zip(spec.layers, spec.output_shapes(), strict=True)
        if isinstance(layer, FlattenSpec)
    ]
    assert flatten == [(64 * 6 * 6,)]


@pytest.mark.parametrize("architecture", ALL, ids=IDS)
def test_specs_agree_with_their_torch_build(architecture):
    torch = pytest.importorskip("torch", reason="torch builds the model")
    from cnnbook.models.torch_build import build_torch

    model = build_torch(architecture).eval()
    x = torch.zeros(2, *architecture.input_shape)
    shapes = []
    for name in model.steps:  # the spec's labels, in forward order
        x = model.get_submodule(name)(x)
        shapes.append(tuple(x.shape[1:]))
    # a final softmax is left out (logits), which keeps the shape
    assert shapes == architecture.output_shapes()[:len(shapes)]
    assert shapes[-1] == architecture.output_shapes()[-1]
    # batch-norm running statistics are buffers, not parameters
    assert sum(p.numel() for p in model.parameters()) == architecture.count_params()
    for path, layer in labelled(architecture.layers, "."):
        if isinstance(layer, (Conv2dSpec, DenseSpec, BatchNorm2dSpec)):
            assert model.get_submodule(path) is not None  # net.res1.conv2


def batch_norm_channels(specs):
    """Channels normalised by all batch-norm specs (nested ones included)."""
    return sum(layer.num_features if isinstance(layer, BatchNorm2dSpec)
               else batch_norm_channels(layer.body)
               if isinstance(layer, (ResidualSpec, SkipConcatSpec)) else 0
               for layer in specs)


def chw(shape):
    """Keras's ``(H, W, C)`` output shape as ``(C, H, W)``; flat shapes unchanged."""
    return (shape[2], shape[0], shape[1]) if len(shape) == 3 else tuple(shape)


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    return pytest.importorskip("keras", reason="Keras builds the model")


def spec_shapes(specs, shape, sep="_", prefix=""):
    """``{name: (C, H, W) output shape}`` of every labelled spec, blocks' layers included."""
    shapes = {}
    for layer, out in zip(specs, output_shapes(list(specs), shape), strict=True):
        if layer.label is not None:
            shapes[prefix + layer.label] = out
        if isinstance(layer, (ResidualSpec, SkipConcatSpec)):
            shapes.update(spec_shapes(layer.body, shape, sep, f"{prefix}{layer.label}{sep}"))
        shape = out
    return shapes


@pytest.mark.parametrize("architecture", ALL, ids=IDS)
def test_specs_agree_with_their_keras_build(keras, architecture):
    from cnnbook.models.keras_build import build_keras

    grouped = [layer.label for layer in architecture.layers
               if isinstance(layer, Conv2dSpec) and layer.groups != 1]
    if grouped:  # the one kind of layer the Keras builder refuses, in one line
        with pytest.raises(ValueError, match=f"layer {grouped[0]}: grouped convolutions"):
            build_keras(architecture)
        return
    model = build_keras(architecture)
    assert count_params(model) == architecture.count_params()
    # Keras also counts batch norm's moving mean and variance (not trained): 2 per channel.
    moving = 2 * batch_norm_channels(architecture.layers)
    assert model.count_params() == architecture.count_params() + moving
    ours = spec_shapes(architecture.layers, architecture.input_shape)
    built = {layer.name: chw(layer.output.shape[1:]) for layer in model.layers}
    assert chw(model.layers[-1].output.shape[1:]) == architecture.output_shapes()[-1]
    # every labelled layer is a Keras layer of its shape, but activations fused into the conv
    # or dense layer before them
    for name, shape in ours.items():
        if name in built:
            assert built[name] == shape, name
    fused = {n for n in ours if n not in built}
    assert all(n.split("_")[-1].rstrip("0123456789") in ("relu", "gelu", "tanh", "softmax")
               for n in fused), fused


@pytest.mark.parametrize("entry", CATALOGUE.values(), ids=IDS)
def test_specs_agree_with_the_catalogue_torch_builders(entry):
    pytest.importorskip("torch", reason="the torch builders need torch")
    model = entry.build("torch")
    architecture = entry.spec
    assert count_params(model) == architecture.count_params()
    # Every labelled conv / dense / batch-norm spec is a submodule of the same name and size
    # (``res1.conv1`` inside a residual block).
    for path, layer in labelled(architecture.layers, "."):
        if isinstance(layer, (Conv2dSpec, DenseSpec)):
            weight = model.get_submodule(path).weight
            if isinstance(layer, Conv2dSpec):
                k = layer.kernel_size  # an int or a (kh, kw) pair
                kernel = (k, k) if isinstance(k, int) else tuple(k)
                assert tuple(weight.shape) == (layer.out_channels,
                                               layer.in_channels // layer.groups, *kernel)
            else:
                assert weight.shape[0] == layer.out_features
        elif isinstance(layer, BatchNorm2dSpec):
            assert model.get_submodule(path).num_features == layer.num_features
        elif isinstance(layer, ConvTranspose2dSpec):
            weight = model.get_submodule(path).weight  # torch's layout: (in, out, kh, kw)
            assert tuple(weight.shape[:2]) == (layer.in_channels, layer.out_channels)


def labelled(specs, sep, prefix=""):
    """``(name, spec)`` for every labelled spec, nested ones named ``res1{sep}conv1``."""
    for layer in specs:
        if layer.label is not None:
            yield prefix + layer.label, layer
        if isinstance(layer, (ResidualSpec, SkipConcatSpec)):
            yield from labelled(layer.body, sep, f"{prefix}{layer.label}{sep}")


@pytest.mark.parametrize("entry", KERAS, ids=[e.name for e in KERAS])
def test_specs_agree_with_the_catalogue_keras_builders(keras, entry):
    architecture = entry.spec
    model = entry.build("keras", input_shape=entry.input_shape("keras"))
    assert count_params(model) == architecture.count_params()
    moving = 2 * batch_norm_channels(architecture.layers)  # batch norm's moving statistics
    assert model.count_params() == architecture.count_params() + moving
    ours = {}
    for layer, shape in zip(architecture.layers, architecture.output_shapes(), strict=True):
        ours[layer.label] = shape
        if isinstance(layer, ResidualSpec):  # the body keeps the shape: res1_conv1 ...
            nested = {name: shape for name, _ in labelled(layer.body, "_", f"{layer.label}_")}
            assert nested.keys() <= {keras_layer.name for keras_layer in model.layers}
            ours.update(nested)
    for layer in model.layers:
        if layer.name in ours:
            assert chw(layer.output.shape[1:]) == ours[layer.name], layer.name


# The rungs of "training a CNN well": counts derived from the specs, related to each other.
def test_batch_norm_adds_two_parameters_per_channel_to_the_posts_net():
    plain, bn = catalogue.get("post_pytorch"), catalogue.get("post_pytorch_bn")
    assert bn.count_params() - plain.count_params() == 2 * (32 + 64)
    assert bn.spec.output_shapes()[-1] == plain.spec.output_shapes()[-1] == (10,)


def test_the_recipe_net_is_about_145k_parameters_and_the_residual_block_adds_its_body():
    small, res = catalogue.get("cifar_small"), catalogue.get("cifar_resnet_small")
    assert 140_000 <= small.count_params() <= 150_000
    block = next(layer for layer in res.spec.layers if isinstance(layer, ResidualSpec))
    c = block.body[0].in_channels
    assert res.count_params() - small.count_params() == 2 * (9 * c * c + 2 * c)
    assert ("global_pool", (160,), 0) in small.spec.param_table()


def test_new_layer_specs_check_their_input():
    bn = Architecture((8, 4, 4), (BatchNorm2dSpec(8), GlobalPool2dSpec("avg")))
    assert bn.output_shapes() == [(8, 4, 4), (8,)] and bn.count_params() == 16
    with pytest.raises(ValueError, match=r"BatchNorm2dSpec\) expects 3 channels, got 8"):
        Architecture((8, 4, 4), (BatchNorm2dSpec(3),)).output_shapes()
    with pytest.raises(ValueError, match="x \\+ body\\(x\\) needs the same shape"):
        Architecture((8, 4, 4), (ResidualSpec((Conv2dSpec(8, 8, 3),)),)).output_shapes()
    with pytest.raises(ValueError, match="mode must be 'max' or 'avg'"):
        GlobalPool2dSpec("min")


# Arguments other than the defaults for every declared builder argument, small enough to build.
VARIANT_ARGS = {"in_channels": 2, "num_classes": 7, "input_size": 36, "dropout": 0.25,
                "hidden": 33}
VARIANT_WIDTHS = {3: [6, 10, 12], 2: [4, 6, 8], 1: [6, 10], 6: [4, 6, 8, 8, 10, 12]}


@pytest.mark.parametrize("entry", CATALOGUE.values(), ids=IDS)
def test_declared_builder_arguments_give_the_spec_the_torch_builder_builds(entry):
    """Each declared argument is a keyword of the spec (and of the torch twin, where there is
    one) with the same default, and ``spec_for`` with other values predicts the built model's
    parameters and state exactly."""
    import inspect

    torch = pytest.importorskip("torch", reason="the torch builders need torch")
    from cnnbook.saving.manifest import expected_values

    spec_defaults = inspect.signature(entry.make_spec).parameters
    twin = entry.twin("torch")
    signature = spec_defaults if twin is None else inspect.signature(twin).parameters
    assert set(spec_defaults) == {arg.name for arg in entry.args}
    kwargs = {}
    for arg in entry.args:
        assert arg.name in signature, arg.name
        assert signature[arg.name].default == spec_defaults[arg.name].default, arg.name
        kwargs[arg.name] = (VARIANT_WIDTHS[arg.length[0]] if arg.length
                            else VARIANT_ARGS[arg.name])
    checked = entry.check_args(kwargs)
    torch.manual_seed(0)
    model = entry.build("torch", **checked)
    spec = entry.spec_for(**kwargs)
    assert count_params(model) == spec.count_params() != entry.count_params()
    state = sum(t.numel() for t in model.state_dict().values())
    assert state == expected_values(entry, checked, "torch", "here")


def test_builder_arguments_are_refused_in_one_line_naming_them():
    entry = catalogue.get("cifar_small")
    for kwargs, message in (
            ({"depth": 3}, "'depth' is not an argument of cifar_small (it takes in_channels, "
                           "num_classes, widths)"),
            ({"num_classes": 10**12}, "num_classes must be an integer in 1..10,000, not "
                                      "1000000000000"),
            ({"num_classes": True}, "num_classes must be an integer in 1..10,000, not True"),
            ({"num_classes": 5.0}, "num_classes must be an integer"),
            ({"widths": [8, 16]}, "widths must be a list of 3 integers in 1..4,096, not [8, 16]"),
            ({"widths": [8, 16, 0]}, "widths must be a list of 3 integers")):
        with pytest.raises(ValueError) as err:
            entry.check_args(kwargs)
        assert str(err.value).startswith(message) and "\n" not in str(err.value)
    assert entry.check_args({"widths": [8, 16, 32]}) == {"widths": (8, 16, 32)}
    assert catalogue.get("post_pytorch").check_args({"dropout": 0}) == {"dropout": 0}
    assert entry.spec_for(widths=[4096] * 3).count_params() > 300_000_000  # no allocation
