"""fit / evaluate / predict / TensorBatches on real MNIST: learning, History, determinism, devices,
validation_split, learning-rate schedules, augmentation hooks, one-hot labels, and the speed
options (channels_last, bf16 autocast, torch.compile). Data parallel: test_training_distributed."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs the torch extra")

from cnnbook.models.torch_nets import PostTensorflow
from cnnbook.training import (
    History,
    TensorBatches,
    evaluate,
    fit,
    predict,
    resolve_device,
)
from cnnbook.training.batching import set_epoch
from cnnbook.training.speed import has_native_bf16


@pytest.fixture(scope="module")
def mnist(shared_data):
    """600 training and 1,000 test MNIST digits from $CNNBOOK_DATA_DIR, as NCHW tensors."""
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
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert all(len(values) == 3 for values in history.history.values())
    assert history.history["lr"] == [1e-3] * 3  # the default Adam, no schedule
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


def test_validation_split_holds_out_the_last_fraction_before_shuffling(mnist):
    (x, y), _ = mnist  # 600 digits: the last 150 are the validation set
    split = fit(new_model(), (x, y), epochs=2, validation_split=0.25, device="cpu", verbose=0)
    by_hand = fit(new_model(), (x[:450], y[:450]), epochs=2, validation_data=(x[450:], y[450:]),
                  device="cpu", verbose=0)
    assert split.history == by_hand.history
    assert split.params["steps"] == 4  # ceil(450 / 128)
    with pytest.raises(ValueError, match="validation_data or validation_split, not both"):
        fit(new_model(), (x, y), epochs=1, validation_split=0.1, validation_data=(x, y))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32)
    with pytest.raises(TypeError, match="validation_split needs an \\(x, y\\) tuple"):
        fit(new_model(), loader, epochs=1, validation_split=0.1)
    with pytest.raises(ValueError, match="must be in \\(0, 1\\)"):
        fit(new_model(), (x, y), epochs=1, validation_split=1.5)


def expected_lrs(make_scheduler, steps_between_epochs, epochs):
    """The learning rate at the start of each epoch, from a twin optimizer stepped by hand."""
    twin = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    scheduler = make_scheduler(twin)
    lrs = []
    for _ in range(epochs):
        lrs.append(twin.param_groups[0]["lr"])
        for _ in range(steps_between_epochs):
            twin.step()
            scheduler.step()
    return lrs


def test_schedulers_step_per_batch_or_per_epoch_and_lr_is_recorded(mnist):
    (x, y), _ = mnist
    train, epochs, batch = (x[:256], y[:256]), 3, 64  # 4 steps per epoch
    for step, make, per in (
        ("batch", lambda o: torch.optim.lr_scheduler.OneCycleLR(
            o, max_lr=0.2, epochs=epochs, steps_per_epoch=4), 4),
        ("epoch", lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=1, gamma=0.5), 1),
    ):
        model = new_model()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        history = fit(model, train, epochs=epochs, batch_size=batch, optimizer=optimizer,
                      scheduler=make(optimizer), scheduler_step=step, device="cpu", verbose=0)
        assert history.history["lr"] == pytest.approx(expected_lrs(make, per, epochs)), step
    assert history.history["lr"] == pytest.approx([0.1, 0.05, 0.025])
    other = torch.optim.SGD(new_model().parameters(), lr=0.1)
    with pytest.raises(ValueError, match="scheduler must be built on the optimizer"):
        fit(new_model(), train, epochs=1, scheduler=torch.optim.lr_scheduler.StepLR(other, 1))
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(other)
    with pytest.raises(ValueError, match="ReduceLROnPlateau steps on a metric"):
        fit(new_model(), train, epochs=1, optimizer=other, scheduler=plateau)
    with pytest.raises(ValueError, match="scheduler_step must be 'batch' or 'epoch'"):
        fit(new_model(), train, epochs=1, scheduler_step="step")


def test_augment_sees_training_batches_only_on_the_device(mnist):
    (x, y), (xt, yt) = mnist
    seen = []

    def augment(xb):
        seen.append((tuple(xb.shape), xb.device.type))
        return xb.flip(3)  # (B, C, H, W) mirrored

    history = fit(new_model(), (x[:200], y[:200]), epochs=2, batch_size=64, augment=augment,
                  validation_data=(xt[:300], yt[:300]), device="cpu", verbose=0)
    assert len(seen) == 2 * 4  # 2 epochs of ceil(200 / 64) batches; no validation batch
    assert seen[0] == ((64, 1, 28, 28), "cpu") and seen[3] == ((8, 1, 28, 28), "cpu")
    assert len(history.history["val_accuracy"]) == 2


def test_one_hot_labels_train_like_class_ids(mnist):
    """Float (N, K) labels reach nn.CrossEntropyLoss as class probabilities."""
    (x, y), (xt, yt) = mnist
    one_hot = torch.nn.functional.one_hot(y, 10).float()  # (N, 10)
    ids = fit(new_model(), (x, y), epochs=2, validation_data=(xt, yt), device="cpu", verbose=0)
    hot = fit(new_model(), (x, one_hot), epochs=2, device="cpu", verbose=0,
              validation_data=(xt, torch.nn.functional.one_hot(yt, 10).float()))
    for key in ("loss", "val_loss", "val_accuracy"):
        assert hot.history[key] == pytest.approx(ids.history[key], rel=1e-4), key
    assert hot.history["val_accuracy"][-1] > 0.6  # it learns real digits
    batches = TensorBatches(x, one_hot.long(), batch_size=600, device="cpu")
    assert batches.y.dtype == torch.float32  # one-hot integers become probabilities
    with pytest.raises(ValueError, match="class ids \\(N,\\) or one-hot labels \\(N, K\\)"):
        TensorBatches(x, one_hot[:, :, None], device="cpu")


def test_soft_labels_equal_label_smoothing(mnist):
    _, (x, y) = mnist
    model, k, eps = new_model(2), 10, 0.1
    smoothed = torch.nn.functional.one_hot(y, k).float() * (1 - eps) + eps / k  # (N, 10)
    with_ids = evaluate(model, (x, y), loss=torch.nn.CrossEntropyLoss(label_smoothing=eps),
                        device="cpu")
    with_probabilities = evaluate(model, (x, smoothed), device="cpu")
    assert with_probabilities["loss"] == pytest.approx(with_ids["loss"], rel=1e-5)
    assert with_probabilities["accuracy"] == with_ids["accuracy"]


def test_predict_returns_probabilities_or_logits_batched_in_eval_mode(mnist):
    _, (x, y) = mnist
    model = new_model(3).train()
    probabilities = predict(model, x, batch_size=64, device="cpu")
    assert isinstance(probabilities, torch.Tensor) and probabilities.shape == (1000, 10)
    assert torch.allclose(probabilities.sum(1), torch.ones(1000))
    assert model.training  # its mode is restored
    model.eval()
    with torch.no_grad():
        logits = model(x)  # (1000, 10)
    assert torch.allclose(predict(model, x, probabilities=False, device="cpu"), logits, atol=1e-5)
    as_numpy = predict(model, x.numpy(), batch_size=1000, device="cpu")
    assert isinstance(as_numpy, np.ndarray) and as_numpy.dtype == np.float32
    np.testing.assert_allclose(as_numpy, probabilities.numpy(), atol=1e-6)
    accuracy = (probabilities.argmax(1) == y).float().mean().item()
    assert accuracy == pytest.approx(evaluate(model, (x, y), device="cpu")["accuracy"])
    with pytest.raises(ValueError, match="float images \\(N, C, H, W\\)"):
        predict(model, x[0], device="cpu")
    with pytest.raises(TypeError, match="torch.Tensor or a NumPy array"):
        predict(model, x.tolist(), device="cpu")


def test_each_epoch_is_seeded_by_seed_and_epoch_alone():
    x = torch.arange(10, dtype=torch.float32).view(10, 1, 1, 1)  # (10, 1, 1, 1)
    batches = TensorBatches(x, torch.arange(10), batch_size=10, seed=5, device="cpu")
    orders = []
    for epoch in (0, 1, 2, 1):
        batches.set_epoch(epoch)
        orders.append(next(iter(batches))[1].tolist())
    assert orders[1] == orders[3]
    assert len({tuple(order) for order in orders[:3]}) == 3  # a new order each epoch
    other = TensorBatches(x, torch.arange(10), batch_size=10, seed=6, device="cpu")
    other.set_epoch(1)
    assert next(iter(other))[1].tolist() != orders[1]


def relative_difference(ours: torch.nn.Module, ref: torch.nn.Module) -> float:
    """The largest ``||ours - ref|| / ||ref||`` over the two models' tensors."""
    pairs = zip(ours.state_dict().values(), ref.state_dict().values(), strict=True)
    return max(((a - b).norm() / b.norm()).item() for a, b in pairs)


def test_channels_last_stores_weights_and_batches_nhwc_and_trains_alike(mnist):
    (x, y), (xt, yt) = mnist
    small, val = (x[:256], y[:256]), (xt[:300], yt[:300])
    plain, last = new_model(), new_model()
    h1 = fit(plain, small, epochs=2, batch_size=64, validation_data=val, device="cpu", verbose=0)
    h2 = fit(last, small, epochs=2, batch_size=64, validation_data=val, device="cpu", verbose=0,
             channels_last=True)
    # (32, 1, 3, 3) weights: NCHW strides (9, 9, 3, 1); channels_last puts channels innermost
    assert last.conv1.weight.stride() == (9, 1, 3, 1) and plain.conv1.weight.stride(1) == 9
    assert (h2.params["channels_last"], h1.params["channels_last"]) == (True, False)
    for key, values in h1.history.items():  # the same arithmetic, other kernels
        assert h2.history[key] == pytest.approx(values, rel=1e-4), key
    assert relative_difference(last, plain) < 1e-4
    batches = TensorBatches(x[:8], y[:8], batch_size=4, device="cpu", channels_last=True)
    xb, _ = next(iter(batches))  # shuffled: a gather that keeps the layout
    assert xb.shape == (4, 1, 28, 28) and xb.is_contiguous(memory_format=torch.channels_last)


def test_bf16_autocast_runs_on_cpu_and_stays_close_to_fp32(mnist):
    (x, y), (xt, yt) = mnist
    small, val = (x[:256], y[:256]), (xt[:300], yt[:300])
    fp32 = fit(new_model(), small, epochs=1, batch_size=64, validation_data=val, device="cpu",
               verbose=0)
    model = new_model()
    bf16 = fit(model, small, epochs=1, batch_size=64, validation_data=val, device="cpu",
               verbose=0, precision="bf16")
    assert bf16.params["precision"] == "bf16" and fp32.params["precision"] == "fp32"
    # bf16 keeps 8 bits of mantissa: close to float32, not equal (measured: about 0.5 %)
    assert bf16.history["loss"] == pytest.approx(fp32.history["loss"], rel=0.05)
    assert bf16.history["val_loss"] == pytest.approx(fp32.history["val_loss"], rel=0.05)
    assert next(model.parameters()).dtype == torch.float32  # weights stay float32
    in_bf16 = evaluate(model, val, device="cpu", precision="bf16")
    assert in_bf16["loss"] == pytest.approx(evaluate(model, val, device="cpu")["loss"], rel=0.05)
    assert isinstance(has_native_bf16("cpu"), bool)


@pytest.mark.parametrize("capability, native", [((7, 5), False), ((8, 0), True), ((9, 0), True)])
def test_bf16_counts_as_native_only_from_compute_capability_8(monkeypatch, capability, native):
    """A T4 (7.5) emulates bf16, and torch.cuda.is_bf16_supported() says True for it."""
    from cnnbook.training.speed import Speed

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda index=None: capability)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "Tesla T4")
    assert has_native_bf16("cuda") is native and has_native_bf16("cuda:0") is native
    if native:
        Speed(precision="bf16").check(torch.device("cuda"))
    else:
        with pytest.raises(ValueError, match="compute capability 8.0"):
            Speed(precision="bf16").check(torch.device("cuda"))


def test_bad_speed_options_fail_at_once_with_one_line_errors(mnist):
    (x, y), _ = mnist
    small = (x[:64], y[:64])
    for kwargs, error, match in (
        ({"precision": "fp8"}, ValueError, "precision must be one of 'fp32', 'bf16', 'fp16'"),
        ({"precision": "fp16"}, ValueError, "precision='fp16' needs a CUDA GPU"),
        ({"compile": "yes"}, TypeError, "compile must be True, False or a dict"),
    ):
        with pytest.raises(error, match=match) as caught:
            fit(new_model(), small, epochs=1, device="cpu", verbose=0, **kwargs)
        assert "\n" not in str(caught.value), str(caught.value)


def test_set_epoch_reaches_a_dataloaders_distributed_sampler(mnist):
    (x, y), _ = mnist
    dataset = torch.utils.data.TensorDataset(x[:32], y[:32])
    sampler = torch.utils.data.distributed.DistributedSampler(dataset, num_replicas=1, rank=0)
    loader = torch.utils.data.DataLoader(dataset, batch_size=8, sampler=sampler)
    set_epoch(loader, 3)
    assert sampler.epoch == 3  # DistributedSampler shuffles by (seed, epoch)
    history = fit(new_model(), loader, epochs=2, device="cpu", verbose=0)
    assert sampler.epoch == 1 and history.params["steps"] == 4


class Tiny(torch.nn.Module):
    """A conv and a linear layer, NCHW ``(N, 1, 8, 8)`` -> ``(N, 3)``: quick to compile."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3)  # (N, 4, 6, 6)
        self.head = torch.nn.Linear(4 * 6 * 6, 3)  # (N, 3)

    def forward(self, x):
        return self.head(torch.relu(self.conv(x)).flatten(1))


@pytest.mark.slow
def test_compile_trains_like_eager_and_reports_the_compile_time_apart():
    """torch.compile takes about 20-50 s cold on a 2-core CPU, even for this model."""
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(64, 1, 8, 8, generator=generator)  # (64, 1, 8, 8)
    y = torch.randint(0, 3, (64,), generator=generator)  # (64,)
    models = []
    for compile_ in (False, True):
        torch.manual_seed(0)
        models.append(Tiny())
        history = fit(models[-1], (x, y), epochs=1, batch_size=32, device="cpu", verbose=0,
                      compile=compile_)  # 64 = 2 x 32: one batch shape, one compilation
        assert history.params["compile"] is compile_
    assert history.params["compile_s"] > 0
    assert relative_difference(models[1], models[0]) < 1e-5
    assert fit(Tiny(), (x, y), epochs=1, device="cpu", verbose=0).params["compile_s"] is None
