"""fit/evaluate with dense targets: per-pixel class ids (segmentation) and float maps
(detection), beside the classifiers' labels that tests/test_training.py covers."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn

from cnnbook.training import TensorBatches, evaluate, fit


def pixel_net(classes: int) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, classes, 1))


def test_per_pixel_class_ids_train_and_report_pixel_accuracy():
    rng = np.random.default_rng(0)
    x = rng.random((64, 1, 8, 8)).astype(np.float32)
    y = (x[:, 0] > 0.5).astype(np.int64)  # (N, H, W): a pixel's class is its brightness
    model = pixel_net(2)
    history = fit(model, (x, y), epochs=3, batch_size=16, device="cpu", verbose=0,
                  optimizer=torch.optim.Adam(model.parameters(), lr=0.05))
    assert history.history["loss"][-1] < history.history["loss"][0]
    result = evaluate(model, (x, y), device="cpu")
    with torch.no_grad():
        logits = model.eval()(torch.from_numpy(x))  # (N, 2, H, W)
    expected = (logits.argmax(1).numpy() == y).mean()  # over every pixel
    assert result["accuracy"] == pytest.approx(expected, abs=1e-7)
    assert result["loss"] == pytest.approx(
        float(nn.functional.cross_entropy(logits, torch.from_numpy(y))), rel=1e-5)
    assert 0.8 < result["accuracy"] <= 1.0


def test_float_target_maps_train_without_an_accuracy():
    rng = np.random.default_rng(1)
    x = rng.random((32, 1, 8, 8)).astype(np.float32)
    y = np.concatenate([x, 1 - x], 1)  # (N, 2, H, W) float maps to regress
    model = pixel_net(2)
    mse = nn.MSELoss()
    history = fit(model, (x, y), epochs=4, batch_size=8, device="cpu", verbose=0, loss=mse,
                  validation_data=(x, y))
    assert set(history.history) == {"loss", "val_loss", "lr"}
    assert history.history["loss"][-1] < history.history["loss"][0]
    result = evaluate(model, (x, y), loss=mse, device="cpu")
    with torch.no_grad():
        expected = float(mse(model.eval()(torch.from_numpy(x)), torch.from_numpy(y)))
    assert result == {"loss": pytest.approx(expected, rel=1e-5)}


def test_dense_targets_keep_their_kind():
    x = torch.zeros(4, 1, 2, 2)
    assert TensorBatches(x, torch.zeros(4, 2, 2, dtype=torch.int32), device="cpu").y.dtype \
        == torch.int64
    assert TensorBatches(x, torch.zeros(4, 3, 2, 2, dtype=torch.float64), device="cpu").y.dtype \
        == torch.float32
    with pytest.raises(ValueError, match="integer class ids \\(N, H, W\\)"):
        TensorBatches(x, torch.zeros(4, 2, 2), device="cpu")  # 3-D floats: ambiguous
