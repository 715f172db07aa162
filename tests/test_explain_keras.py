"""cnnbook.explain's Keras methods against its torch methods, on the same weights.

A seeded torch model (batch-norm statistics randomised) is ported to its Keras twin with
:func:`cnnbook.models.port.torch_to_keras`; Grad-CAM (with and without the ReLU), the three
saliency methods and the feature maps must then agree to a maximum relative error of 1e-4, NHWC
against NCHW. Keras' backend is fixed once per process: this process runs the default
(TensorFlow), and a worker process with ``KERAS_BACKEND=torch`` runs :func:`compare` again, the
way the three-frameworks chapter runs one worker per backend.

The post's Keras models fuse the ReLU into ``Conv2D`` while the torch twins call ``F.relu`` after
the ``nn.Conv2d`` that a hook sees, so their convolutions are compared with
``pre_activation=True``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")

from torch import nn

from cnnbook import explain
from cnnbook.models import catalogue
from cnnbook.models.port import torch_to_keras
from tests.helpers import rel_err

ROOT = Path(__file__).resolve().parents[1]
TOL = 1e-4
N = 3
# model -> (torch layer, Keras layer, pre_activation) pairs that Grad-CAM is compared at
LAYERS = {
    "post_keras": [("conv1", "conv1", True), ("conv2", "conv2", True)],
    "post_pytorch": [("conv2", "conv2", True)],
    "cifar_resnet_small": [("res1", "res1", False), ("res1.conv2", "res1_conv2", False),
                           ("conv3", "conv3", False)],
}


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The models are tiny; on two busy shared cores one thread is many times faster."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def twins(name: str) -> tuple[nn.Module, keras.Model, np.ndarray, np.ndarray]:
    """Seeded torch model, its ported Keras twin, ``N`` NCHW inputs and their targets."""
    torch.manual_seed(0)
    entry = catalogue.get(name)
    net = entry.build("torch")
    for module in net.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    model = torch_to_keras(net.eval(), entry.build("keras"))
    x = np.random.default_rng(0).random((N, *entry.input_shape("torch")), dtype=np.float32)
    return net, model, x, np.arange(N) * 3 % 10


def compare(name: str) -> dict:
    """``{"backend": the active Keras backend, "errors": {check: max relative error}}`` of each
    Keras method against its torch twin."""
    net, model, x, targets = twins(name)
    xk = x.transpose(0, 2, 3, 1)  # NHWC
    errors: dict[str, float] = {}
    for torch_layer, keras_layer, pre in LAYERS[name]:
        for relu in (True, False):
            ours = explain.keras_grad_cam(model, xk, keras_layer, targets, relu=relu,
                                          pre_activation=pre)
            ref = explain.grad_cam(net, x, torch_layer, targets, relu=relu)
            errors[f"grad_cam {torch_layer} relu={relu}"] = rel_err(ours, ref)
        maps = explain.keras_activations(model, xk, keras_layer, pre_activation=pre)
        errors[f"activations {torch_layer}"] = rel_err(
            maps, explain.activations(net, x, torch_layer).transpose(0, 2, 3, 1))
    for method in ("gradient", "gradient_x_input", "smoothgrad"):
        ours = explain.keras_saliency(model, xk, targets, method=method, samples=3)
        ref = explain.saliency(net, x, targets, method=method, samples=3)
        errors[f"saliency {method}"] = rel_err(ours, ref.transpose(0, 2, 3, 1))
    return {"backend": keras.backend.backend(), "errors": errors}


def check(result: dict, backend: str) -> None:
    assert result["backend"] == backend
    worst = {k: v for k, v in result["errors"].items() if not v <= TOL}
    assert not worst, worst


@pytest.mark.parametrize("name", list(LAYERS))
def test_keras_equals_torch_on_tensorflow_backend(name):
    if keras.backend.backend() != "tensorflow":
        pytest.skip(f"this process runs Keras on {keras.backend.backend()}")
    check(compare(name), backend="tensorflow")


def test_keras_equals_torch_on_torch_backend():
    """One worker for every model: importing Keras and torch is most of its time."""
    code = ("import json; from tests.test_explain_keras import LAYERS, compare; "
            "print('@@' + json.dumps({name: compare(name) for name in LAYERS}))")
    # One thread: these models are tiny, and two threads on two busy shared cores ran 20x slower.
    env = {**os.environ, "KERAS_BACKEND": "torch", "PYTHONPATH": str(ROOT),
           "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("@@"))
    results = json.loads(line[2:])
    assert sorted(results) == sorted(LAYERS)
    for result in results.values():
        check(result, backend="torch")


def test_sequential_never_called_with_an_input_works():
    """The keras.io complaint: a Sequential without ``keras.Input`` has no ``model.inputs``."""
    net, model, x, targets = twins("post_keras")
    bare = keras.Sequential([type(layer).from_config(layer.get_config())
                             for layer in model.layers])
    xk = x.transpose(0, 2, 3, 1)
    bare(xk[:1])  # built by a call, never given an Input
    bare.set_weights(model.get_weights())
    np.testing.assert_allclose(explain.keras_grad_cam(bare, xk, "conv2", targets),
                               explain.keras_grad_cam(model, xk, "conv2", targets), atol=1e-6)


def test_fused_activation_and_softmax_are_handled_and_restored():
    _, model, x, targets = twins("post_keras")
    xk = x.transpose(0, 2, 3, 1)
    before = keras.ops.convert_to_numpy(model(xk))
    after_relu = explain.keras_activations(model, xk, "conv1")
    before_relu = explain.keras_activations(model, xk, "conv1", pre_activation=True)
    np.testing.assert_array_equal(after_relu, np.maximum(before_relu, 0))
    assert (before_relu < 0).any()
    logits = explain.keras_predictor(model)(xk)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(keras.ops.softmax(logits)), before,
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(explain.keras_predictor(model, output="probabilities")(xk),
                               before, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model(xk)), before)  # restored
    assert model.get_layer("conv1").activation is keras.activations.relu
    with pytest.raises(ValueError, match=r"has no layer 'conv9'; layers: conv1, pool1") as err:
        explain.keras_grad_cam(model, xk, "conv9", targets)
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="'pool1' .* has no activation"):
        explain.keras_grad_cam(model, xk, "pool1", targets, pre_activation=True)
