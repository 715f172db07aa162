"""fit / evaluate / TensorBatches on real MNIST: learning, History, determinism, devices."""

from __future__ import annotations

import os

import pytest

torch = pytest.importorskip("torch", reason="needs the torch extra")

from cnnbook.models.torch_nets import PostTensorflow
from cnnbook.training import (
    History,
    TensorBatches,
    evaluate,
    fit,
    resolve_device,
)


@pytest.fixture(scope="module")
def mnist():
    """600 training and 1,000 test MNIST digits from $CNNBOOK_DATA_DIR, as NCHW tensors."""
    if not os.environ.get("CNNBOOK_DATA_DIR"):
        pytest.skip("CNNBOOK_DATA_DIR is not set: no offline MNIST")
    from cnnbook.datasets import load_mnist
    from cnnbook.datasets.torch_data import to_tensors

    (x, y), (xt, yt) = load_mnist(limit=600, test_limit=1000, seed=0)
    return to_tensors(x, y), to_tensors(xt, yt)


def new_model(seed: int = 0) -> PostTensorflow:
    torch.manual_seed(seed)
    return PostTensorflow()


def test_fit_learns_mnist_and_fills_a_keras_like_history(mnist, capsys):
    train, test = mnist
    model = new_model()
    before = evaluate(model, test, device="cpu")["accuracy"]
    history = fit(model, train, epochs=3, validation_data=test, batch_size=64, device="cpu")
    assert isinstance(history, History)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 3 for values in history.history.values())
    assert history.epoch == [0, 1, 2]
    assert history.params["steps"] == 10  # ceil(600 / 64)
    # 3 epochs on 600 digits: chance is 10 %; this model reaches about 78 % (floor: 60 %).
    assert before < 0.3
    assert history.history["val_accuracy"][-1] > 0.6, history.history
    assert history.history["loss"][-1] < history.history["loss"][0]
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and lines[2].startswith("Epoch 3/3 - loss: ")
    assert " - val_accuracy: " in lines[2]


def test_evaluate_equals_a_manual_computation(mnist):
    _, (x, y) = mnist
    model = new_model(1)
    result = evaluate(model, (x, y), batch_size=300, device="cpu")
    model.eval()
    with torch.no_grad():
        logits = model(x)
    expected_loss = torch.nn.functional.cross_entropy(logits, y).item()
    expected_acc = (logits.argmax(1) == y).float().mean().item()
    assert result["accuracy"] == pytest.approx(expected_acc, abs=1e-9)
    assert result["loss"] == pytest.approx(expected_loss, rel=1e-5)
    assert model.training is False  # evaluate restores the previous mode


def test_fit_is_reproducible_with_the_same_seed(mnist):
    (x, y), _ = mnist
    small = (x[:128], y[:128])
    runs = [fit(new_model(), small, epochs=2, batch_size=32, device="cpu", seed=7, verbose=0)
            for _ in range(2)]
    assert runs[0].history == runs[1].history
    other = fit(new_model(), small, epochs=2, batch_size=32, device="cpu", seed=8, verbose=0)
    assert other.history != runs[0].history


def test_fit_accepts_numpy_arrays_and_dataloaders(mnist):
    (x, y), _ = mnist
    from torch.utils.data import DataLoader, TensorDataset

    h1 = fit(new_model(), (x[:128].numpy(), y[:128].numpy()), epochs=1, device="cpu", verbose=0)
    loader = DataLoader(TensorDataset(x[:128], y[:128]), batch_size=32)
    h2 = fit(new_model(), loader, epochs=1, device="cpu", verbose=0, validation_data=loader)
    assert len(h1.history["loss"]) == 1 and "val_loss" not in h1.history
    assert h2.params["steps"] == 4 and len(h2.history["val_accuracy"]) == 1


def test_tensor_batches_cover_every_sample_once_per_epoch():
    x = torch.arange(10, dtype=torch.float32).view(10, 1, 1, 1)  # (10, 1, 1, 1)
    y = torch.arange(10)
    batches = TensorBatches(x, y, batch_size=4, shuffle=True, seed=3, device="cpu")
    assert len(batches) == 3
    epoch1 = torch.cat([yb for _, yb in batches])
    epoch2 = torch.cat([yb for _, yb in batches])
    assert sorted(epoch1.tolist()) == list(range(10))
    assert not torch.equal(epoch1, epoch2)  # a new order each epoch
    again = TensorBatches(x, y, batch_size=4, shuffle=True, seed=3, device="cpu")
    assert torch.equal(torch.cat([yb for _, yb in again]), epoch1)
    for xb, yb in batches:
        assert torch.equal(xb.view(-1), yb.float())  # images stay paired with labels


def test_tensor_batches_reject_bad_input():
    with pytest.raises(TypeError, match="float"):
        TensorBatches(torch.zeros(4, 1, 2, 2, dtype=torch.uint8), torch.zeros(4), device="cpu")
    with pytest.raises(ValueError, match="labels"):
        TensorBatches(torch.zeros(4, 1, 2, 2), torch.zeros(3), device="cpu")
    with pytest.raises(TypeError, match="DataLoader"):
        fit(new_model(), [1, 2, 3], epochs=1, device="cpu")


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    auto = resolve_device("auto")
    if torch.cuda.is_available():
        assert auto.type == "cuda"
    elif torch.backends.mps.is_available():
        assert auto.type == "mps"
    else:
        assert auto == torch.device("cpu")
    assert fit(new_model(), (torch.zeros(2, 1, 28, 28), torch.zeros(2, dtype=torch.long)),
               epochs=1, verbose=0).params["device"] == str(auto)
