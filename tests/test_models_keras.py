"""The post's CNNs in Keras 3: parameter counts, layer shapes, names, and agreement with torch."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras", reason="needs the tf extra (keras)")

from cnnbook.models.keras_nets import (
    compile_like_post,
    post_keras,
    post_pytorch,
    post_tensorflow,
)

BUILDERS = {
    "tf": (post_tensorflow, 54_410, (28, 28, 1)),
    "keras": (post_keras, 225_034, (28, 28, 1)),
    "pytorch": (post_pytorch, 315_722, (32, 32, 3)),
}


def shapes(model):
    return [tuple(layer.output.shape[1:]) for layer in model.layers]


@pytest.mark.parametrize("key", sorted(BUILDERS))
def test_parameter_counts_match_the_post(key):
    build, expected, _ = BUILDERS[key]
    assert build().count_params() == expected


def test_layer_names_and_output_shapes_nhwc():
    model = post_keras()
    assert [layer.name for layer in model.layers] == [
        "conv1", "pool1", "conv2", "pool2", "flatten", "fc1", "fc2"]
    assert shapes(model) == [(26, 26, 32), (13, 13, 32), (11, 11, 64), (5, 5, 64), (1600,),
                             (128,), (10,)]
    twin = post_pytorch()
    assert [layer.name for layer in twin.layers if "dropout" in layer.name] == [
        "dropout1", "dropout2", "dropout3"]
    assert tuple(twin.get_layer("flatten").output.shape[1:]) == (64 * 6 * 6,)


def test_builders_follow_their_arguments():
    model = post_pytorch(input_shape=(28, 28, 1), num_classes=7)
    assert tuple(model.layers[-1].output.shape[1:]) == (7,)
    assert tuple(model.get_layer("flatten").output.shape[1:]) == (64 * 5 * 5,)


def test_outputs_softmax_for_the_posts_models_and_logits_for_the_twin():
    x = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    probs = np.asarray(post_tensorflow()(x))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    logits = np.asarray(post_pytorch()(np.zeros((4, 32, 32, 3), np.float32) + 5.0))
    assert (logits < 0).any()


def test_builders_return_uncompiled_models_and_compile_like_post_compiles():
    model = post_tensorflow()
    assert not model.compiled
    compile_like_post(model)
    assert model.compiled
    assert model.loss.get_config()["from_logits"] is False
    twin = compile_like_post(post_pytorch(), sparse_labels=True)
    assert isinstance(twin.loss, keras.losses.SparseCategoricalCrossentropy)
    assert twin.loss.get_config()["from_logits"] is True


def test_keras_and_torch_tensorflow_models_agree_with_copied_weights():
    """Same architecture: copying Keras' weights into the torch twin reproduces its outputs."""
    torch = pytest.importorskip("torch", reason="needs the torch extra")
    from cnnbook.models.torch_nets import PostTensorflow

    keras.utils.set_random_seed(0)
    k_model = post_tensorflow()
    t_model = PostTensorflow().eval()
    kernel, bias = k_model.get_layer("conv1").get_weights()  # (3, 3, 1, 32), (32,)
    dense, dense_bias = k_model.get_layer("fc1").get_weights()  # (5408, 10), (10,)
    with torch.no_grad():
        t_model.conv1.weight.copy_(torch.from_numpy(kernel.transpose(3, 2, 0, 1)))
        t_model.conv1.bias.copy_(torch.from_numpy(bias))
        # Keras flattens (13, 13, 32) HWC, torch flattens (32, 13, 13) CHW: permute the rows.
        rows = dense.reshape(13, 13, 32, 10).transpose(2, 0, 1, 3).reshape(5408, 10)
        t_model.fc1.weight.copy_(torch.from_numpy(rows.T.copy()))
        t_model.fc1.bias.copy_(torch.from_numpy(dense_bias))
    x = np.random.default_rng(1).random((6, 28, 28, 1), dtype=np.float32)  # NHWC
    expected = np.asarray(k_model(x))
    with torch.no_grad():
        got = t_model(torch.from_numpy(x.transpose(0, 3, 1, 2))).softmax(dim=1).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_layer_table_matches_the_posts_keras_code():
    import warnings

    from keras.layers import Conv2D, Dense, Flatten, MaxPooling2D
    from keras.models import Sequential

    from cnnbook.models import layer_table

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Keras 3 prefers keras.Input to input_shape
        post = Sequential()
        post.add(Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)))
    post.add(MaxPooling2D((2, 2)))
    post.add(Conv2D(64, (3, 3), activation="relu"))
    post.add(MaxPooling2D((2, 2)))
    post.add(Flatten())
    post.add(Dense(128, activation="relu"))
    post.add(Dense(10, activation="softmax"))
    table = layer_table(post_keras())
    assert table == layer_table(post)
    assert sum(row[2] for row in table) == 225_034
    assert table[0] == ("Conv2D", (26, 26, 32), 320)


def test_backend_device_names_the_backend():
    from cnnbook.models.keras_nets import backend_device

    text = backend_device()
    assert text.endswith(f"({keras.config.backend()} backend)")
    assert text.split()[0] in {"cpu", "gpu", "cuda", "tpu", "mps"}
