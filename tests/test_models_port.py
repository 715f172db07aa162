"""cnnbook.models.port against the real frameworks: each layout function alone, then whole models.

Parity: after porting, the Keras model (NHWC) and its torch twin (NCHW) give the same outputs
within 1e-5 (float32), on random input and on the whole offline test set (10k MNIST / 2k CIFAR),
with identical predictions, in both directions, for the post's three models. Without the flatten
permutation they must not.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")

from torch import nn

from cnnbook.models import FlattenSpec, catalogue
from cnnbook.models.port import (
    conv_kernel_keras_to_torch,
    conv_kernel_torch_to_keras,
    dense_keras_to_torch,
    dense_torch_to_keras,
    flatten_permutation,
    keras_to_torch,
    torch_to_keras,
)

TOL = 1e-5
# Every catalogue model with both builders: the parity tests iterate over the catalogue.
ARCHS = [entry.name for entry in catalogue.entries(frameworks=("torch", "keras"))]


def flattens_a_map(name: str) -> bool:
    """Whether the model flattens a map (C, H, W) with C > 1 and H * W > 1, where the two
    frameworks' flatten orders differ."""
    spec = catalogue.get(name).spec
    shapes = [spec.input_shape, *spec.output_shapes()]
    return any(isinstance(layer, FlattenSpec) and len(shape) == 3 and shape[0] > 1
               and shape[1] * shape[2] > 1
               for layer, shape in zip(spec.layers, shapes, strict=False))


# --- layout functions --------------------------------------------------------------------------


def test_flatten_permutation_small_example():
    np.testing.assert_array_equal(flatten_permutation(1, 2, 3), [0, 3, 1, 4, 2, 5])


@pytest.mark.parametrize("shape", [(1, 2, 3), (5, 5, 64), (13, 13, 32), (6, 6, 64), (3, 4, 2)])
def test_flatten_permutation_maps_keras_flatten_to_torch_flatten(shape):
    h, w, c = shape
    x = np.random.default_rng(0).standard_normal((2, h, w, c)).astype(np.float32)  # NHWC
    keras_flat = keras.ops.convert_to_numpy(keras.layers.Flatten()(x))  # (2, h*w*c), hwc order
    torch_flat = torch.flatten(torch.from_numpy(x).permute(0, 3, 1, 2), 1).numpy()  # chw order
    np.testing.assert_array_equal(torch_flat, keras_flat[:, flatten_permutation(h, w, c)])


def test_conv_kernel_layouts_agree_with_real_convolutions():
    rng = np.random.default_rng(1)
    layer = keras.layers.Conv2D(5, (3, 2), use_bias=False)
    x = rng.standard_normal((2, 7, 6, 3)).astype(np.float32)  # (N, H, W, C)
    keras_out = keras.ops.convert_to_numpy(layer(x))  # (2, 5, 5, 5) NHWC, builds the kernel
    kernel = layer.get_weights()[0]  # (3, 2, 3, 5) HWIO
    weight = torch.from_numpy(conv_kernel_keras_to_torch(kernel))  # (5, 3, 3, 2) OIHW
    assert tuple(weight.shape) == (5, 3, 3, 2)
    torch_out = nn.functional.conv2d(torch.from_numpy(x).permute(0, 3, 1, 2), weight)  # NCHW
    np.testing.assert_allclose(torch_out.permute(0, 2, 3, 1).numpy(), keras_out, atol=TOL)
    np.testing.assert_array_equal(conv_kernel_torch_to_keras(weight.numpy()), kernel)


@pytest.mark.parametrize("flatten_shape", [None, (2, 3, 4)])
def test_dense_conversions_are_inverse_and_transpose(flatten_shape):
    kernel = np.random.default_rng(2).standard_normal((24, 7)).astype(np.float32)  # (in, out)
    weight = dense_keras_to_torch(kernel, flatten_shape)
    assert weight.shape == (7, 24)
    if flatten_shape is None:
        np.testing.assert_array_equal(weight, kernel.T)
    else:
        np.testing.assert_array_equal(weight, kernel[flatten_permutation(*flatten_shape)].T)
    np.testing.assert_array_equal(dense_torch_to_keras(weight, flatten_shape), kernel)


def test_layout_functions_reject_wrong_shapes():
    with pytest.raises(ValueError, match="flattens to 24 values"):
        dense_keras_to_torch(np.zeros((25, 3), np.float32), (2, 3, 4))
    with pytest.raises(ValueError, match="4 dimensions"):
        conv_kernel_keras_to_torch(np.zeros((3, 3, 1), np.float32))
    with pytest.raises(ValueError, match="2 dimensions"):
        dense_torch_to_keras(np.zeros((3,), np.float32))
    with pytest.raises(ValueError, match="positive"):
        flatten_permutation(0, 2, 2)


# --- whole models --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def test_sets(shared_data):
    """The whole offline test sets, scaled to [0, 1], NHWC float32 (Keras's layout)."""
    from cnnbook.datasets import load_cifar10, load_mnist

    out = {}
    for name, loader in (("mnist", load_mnist), ("cifar10", load_cifar10)):
        _, (x, y) = loader()
        x = x.astype(np.float32) / 255.0
        out[name] = (x[..., None] if x.ndim == 3 else x, y)  # (N, H, W, C)
    return out


def outputs(keras_model, torch_model, x_nhwc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Keras output, torch output) for the same images; softmax on torch when Keras has one."""
    keras_out = keras_model.predict(x_nhwc, batch_size=1000, verbose=0)
    torch_model.eval()  # dropout off
    with torch.no_grad():
        logits = torch.cat([torch_model(torch.from_numpy(chunk).permute(0, 3, 1, 2))  # NCHW
                            for chunk in np.array_split(x_nhwc, max(1, len(x_nhwc) // 1000))])
    if keras_model.layers[-1].activation is keras.activations.softmax:
        logits = logits.softmax(dim=1)
    return keras_out, logits.numpy()


def make_pair(arch: str, direction: str, permute_flatten: bool = True):
    """A Keras model and its torch twin, initialised independently, then ported one way."""
    entry = catalogue.get(arch)
    keras.utils.set_random_seed(0)
    keras_model = entry.build("keras")
    torch.manual_seed(1)
    torch_model = entry.build("torch")
    data = entry.dataset
    if direction == "keras_to_torch":
        keras_to_torch(keras_model, torch_model, permute_flatten=permute_flatten)
    else:
        torch_to_keras(torch_model, keras_model, permute_flatten=permute_flatten)
    return keras_model, torch_model, data


def test_the_parity_tests_cover_the_posts_models():
    assert {"post_tensorflow", "post_keras", "post_pytorch", "mnist_mlp"} <= set(ARCHS)


@pytest.mark.parametrize("direction", ["keras_to_torch", "torch_to_keras"])
@pytest.mark.parametrize("arch", ARCHS)
def test_ported_models_agree(arch, direction, test_sets):
    keras_model, torch_model, data = make_pair(arch, direction)
    shape = keras_model.input_shape[1:]
    noise = np.random.default_rng(3).random((64, *shape), dtype=np.float32)
    a, b = outputs(keras_model, torch_model, noise)
    assert np.abs(a - b).max() <= TOL, f"random input: max|diff| = {np.abs(a - b).max():.2e}"

    x, _ = test_sets[data]
    a, b = outputs(keras_model, torch_model, x)  # the whole test set
    diff = np.abs(a - b).max()
    assert diff <= TOL, f"{arch} {direction}: max|diff| = {diff:.2e} on {len(x)} test images"
    # Predictions agree, except on exact near-ties that rounding may flip.
    top2 = np.sort(a, axis=1)[:, -2:]
    differ = a.argmax(1) != b.argmax(1)
    assert (top2[differ, 1] - top2[differ, 0] <= 2 * TOL).all(), \
        f"{int(differ.sum())} of {len(x)} predictions differ beyond a near-tie"


@pytest.mark.parametrize("direction", ["keras_to_torch", "torch_to_keras"])
@pytest.mark.parametrize("arch", [name for name in ARCHS if flattens_a_map(name)])
def test_without_flatten_permutation_outputs_differ(arch, direction):
    keras_model, torch_model, _ = make_pair(arch, direction, permute_flatten=False)
    x = np.random.default_rng(4).random((64, *keras_model.input_shape[1:]), dtype=np.float32)
    a, b = outputs(keras_model, torch_model, x)
    assert np.abs(a - b).max() > 100 * TOL, "the unpermuted port should be wrong"


# --- mismatches raise clear errors ---------------------------------------------------------------


class TinyNet(nn.Module):
    """conv -> batch norm -> flatten -> dense, to test the batch-norm path and error messages."""

    def __init__(self, conv_name: str = "conv1", extra: bool = False, classes: int = 3) -> None:
        super().__init__()
        setattr(self, conv_name, nn.Conv2d(2, 4, 3))
        self.conv_name = conv_name
        self.bn1 = nn.BatchNorm2d(4, eps=1e-3)
        self.fc1 = nn.Linear(4 * 3 * 3, classes)
        if extra:
            self.fc2 = nn.Linear(classes, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn1(getattr(self, self.conv_name)(x))  # (N, 4, 3, 3)
        return self.fc1(x.flatten(1))  # (N, classes)


def tiny_keras(classes: int = 3) -> keras.Model:
    return keras.Sequential([
        keras.Input(shape=(5, 5, 2)),
        keras.layers.Conv2D(4, 3, name="conv1"),  # (N, 3, 3, 4)
        keras.layers.BatchNormalization(name="bn1"),  # epsilon 1e-3, like TinyNet's
        keras.layers.Flatten(name="flatten"),  # (N, 36)
        keras.layers.Dense(classes, name="fc1"),
    ])


@pytest.mark.parametrize("direction", ["keras_to_torch", "torch_to_keras"])
def test_batch_norm_statistics_are_ported(direction):
    rng = np.random.default_rng(5)
    keras.utils.set_random_seed(0)
    k, t = tiny_keras(), TinyNet()
    source_is_keras = direction == "keras_to_torch"
    bn = k.get_layer("bn1")
    if source_is_keras:  # non-trivial gamma, beta, moving mean and variance
        bn.set_weights([rng.random(4, dtype=np.float32) + 0.5 for _ in range(4)])
        keras_to_torch(k, t)
    else:
        with torch.no_grad():
            for tensor in (t.bn1.weight, t.bn1.bias, t.bn1.running_mean, t.bn1.running_var):
                tensor.copy_(torch.rand(4) + 0.5)
        torch_to_keras(t, k)
    x = rng.random((8, 5, 5, 2), dtype=np.float32)
    a, b = outputs(k, t, x)
    assert np.abs(a - b).max() <= TOL


def test_mismatches_raise_clear_errors():
    keras.utils.set_random_seed(0)
    with pytest.raises(ValueError, match="'conv1' has no single torch counterpart"):
        keras_to_torch(tiny_keras(), TinyNet(conv_name="convA"))
    with pytest.raises(ValueError, match=r"no Keras counterpart: \['fc2'\]"):
        torch_to_keras(TinyNet(extra=True), tiny_keras())
    with pytest.raises(ValueError, match="'fc1': weight 0 has shape"):
        keras_to_torch(tiny_keras(classes=3), TinyNet(classes=5))
    with pytest.raises(ValueError, match="build the Keras model first"):
        keras_to_torch(keras.Sequential([keras.layers.Dense(3, name="fc1")]), TinyNet())
    conv1d = keras.Sequential([keras.Input(shape=(5, 2)), keras.layers.Conv1D(4, 3, name="c")])
    with pytest.raises(ValueError, match="cannot port Keras layer 'c'"):
        keras_to_torch(conv1d, TinyNet())
    wrong_type = tiny_keras()
    t = TinyNet()
    t.fc1 = nn.Conv2d(1, 1, 1)
    with pytest.raises(ValueError, match="'fc1' is a Keras Dense but a torch Conv2d"):
        keras_to_torch(wrong_type, t)
