"""cnnbook.explain.backends: the Keras Grad-CAM computed in one worker process per installed
Keras backend equals torch's Grad-CAM on the same (ported) weights, to 1e-4."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("keras")

from cnnbook import explain
from cnnbook.models import catalogue
from tests.helpers import rel_err


def test_every_installed_backend_matches_torch():
    runnable, skipped = explain.available_backends()
    assert runnable and not set(runnable) & set(skipped)
    torch.manual_seed(0)
    net = catalogue.get("post_keras").build("torch").eval()
    x = np.random.default_rng(0).random((3, 1, 28, 28), dtype=np.float32)
    targets = np.array([0, 3, 7])
    maps = explain.keras_grad_cams(net, "post_keras", x, "conv2", targets, pre_activation=True)
    assert sorted(maps) == sorted(runnable)
    ref = explain.grad_cam(net, x, "conv2", targets)  # (3, 11, 11)
    for backend, cam in maps.items():
        assert cam.shape == ref.shape, backend
        assert rel_err(cam, ref) <= 1e-4, backend


def test_unknown_backend_and_worker_failure_are_reported():
    with pytest.raises(ValueError, match="unknown Keras backend 'theano'"):
        explain.available_backends(["theano"])
    net = catalogue.get("post_keras").build("torch")
    with pytest.raises(RuntimeError, match="worker exited"):
        explain.keras_grad_cams(net, "post_keras", np.zeros((1, 1, 28, 28), np.float32),
                                "conv9", 0, backends=["torch"])
