"""EarlyStopping and BestCheckpoint: their rules on scripted logs, and inside fit on real MNIST."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="needs the torch extra")

from cnnbook.models.torch_nets import PostTensorflow
from cnnbook.training import BestCheckpoint, Callback, EarlyStopping, evaluate, fit


@pytest.fixture(scope="module")
def mnist(shared_data):
    """600 training and 500 test MNIST digits from $CNNBOOK_DATA_DIR, as NCHW tensors."""
    from cnnbook.datasets import load_mnist
    from cnnbook.datasets.torch_data import to_tensors

    (x, y), (xt, yt) = load_mnist(limit=600, test_limit=500, seed=0)
    return to_tensors(x, y), to_tensors(xt, yt)


def new_model(seed=0):
    torch.manual_seed(seed)
    return PostTensorflow()


def replay(callback, values, key, model=None):
    """Feed ``{key: value}`` logs epoch by epoch; the epoch after which it stopped, or None."""
    for epoch, value in enumerate(values):
        if callback.on_epoch_end(epoch, {key: value}, model):
            return epoch
    return None


def test_early_stopping_waits_patience_epochs_without_improvement():
    assert replay(EarlyStopping(patience=2), [1.0, 0.8, 0.9, 0.85, 0.7], "val_loss") == 3
    assert replay(EarlyStopping(patience=2), [1.0, 0.8, 0.9, 0.7, 0.75, 0.6], "val_loss") is None
    accuracy = EarlyStopping(monitor="val_accuracy", patience=1)  # "auto": accuracy is maximised
    assert replay(accuracy, [0.5, 0.6, 0.55], "val_accuracy") == 2
    assert (accuracy.best, accuracy.best_epoch, accuracy.stopped_epoch) == (0.6, 1, 2)
    small_gains = EarlyStopping(monitor="val_accuracy", patience=1, min_delta=0.05)
    assert replay(small_gains, [0.5, 0.52, 0.53], "val_accuracy") == 1


def test_monitoring_errors_are_one_line():
    with pytest.raises(ValueError, match="cannot monitor 'val_loss': the logs hold loss"):
        EarlyStopping().on_epoch_end(0, {"loss": 1.0}, None)
    with pytest.raises(ValueError, match="mode must be 'auto', 'min' or 'max'"):
        EarlyStopping(mode="up")
    with pytest.raises(ValueError, match="needs name="):
        BestCheckpoint(path="run")


def test_best_checkpoint_restores_the_best_weights_and_writes_them(tmp_path):
    pytest.importorskip("safetensors")
    from cnnbook.saving.torch_checkpoint import load_checkpoint

    callback = BestCheckpoint(path=tmp_path / "best", name="post_tensorflow", dataset="mnist")
    model, weights = new_model(), []
    for epoch, accuracy in enumerate([0.5, 0.7, 0.6]):
        with torch.no_grad():
            model.fc1.weight.fill_(epoch)  # stands for an epoch of training
        weights.append(model.fc1.weight.clone())
        assert callback.on_epoch_end(epoch, {"val_accuracy": accuracy}, model) is False
    callback.on_train_end(model)
    assert torch.equal(model.fc1.weight, weights[1]) and callback.best_epoch == 1
    saved = load_checkpoint(tmp_path / "best")
    assert saved.epoch == 2 and saved.metrics == {"val_accuracy": 0.7}  # epochs trained: 2
    assert torch.equal(saved.model.fc1.weight, weights[1])


def test_in_fit_early_stopping_ends_the_run_and_the_best_weights_come_back(mnist):
    train, test = mnist
    stop = EarlyStopping(monitor="loss", patience=1, min_delta=10.0)  # no gain is big enough
    history = fit(new_model(), (train[0][:300], train[1][:300]), epochs=5, device="cpu",
                  verbose=0, callbacks=[stop])
    assert history.epoch == [0, 1] and stop.stopped_epoch == 1

    model, best = new_model(), BestCheckpoint(monitor="val_accuracy")
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)  # too large: accuracy jumps around
    history = fit(model, (train[0][:300], train[1][:300]), epochs=4, optimizer=optimizer,
                  validation_data=test, batch_size=64, device="cpu", verbose=0, callbacks=[best])
    val = history.history["val_accuracy"]
    assert best.best == max(val) and best.best_epoch == val.index(max(val))
    assert val[-1] < max(val)  # the last epoch was not the best ...
    assert evaluate(model, test, device="cpu")["accuracy"] == max(val)  # ... and the best is back


def test_every_callback_sees_every_epoch():
    calls = []

    class Recorder(Callback):
        def on_epoch_end(self, epoch, logs, model):
            calls.append((epoch, sorted(logs)))
            return epoch == 1

        def on_train_end(self, model):
            calls.append("end")

    data = (torch.zeros(4, 1, 28, 28), torch.zeros(4, dtype=torch.long))
    fit(new_model(), data, epochs=5, device="cpu", verbose=0, callbacks=[Recorder(), Recorder()])
    assert calls == [(0, ["accuracy", "loss", "lr"])] * 2 + [(1, ["accuracy", "loss", "lr"])] * 2 \
        + ["end", "end"]
