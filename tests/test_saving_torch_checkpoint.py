"""Checkpoints: safetensors + JSON on disk, round trips, an exact resume on real CIFAR-10, and the
refusals (pickle, unknown model, wrong shapes, damaged files, a crash while writing)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch", reason="needs the torch extra")
pytest.importorskip("safetensors", reason="checkpoints need safetensors (the torch extra)")
import safetensors.torch

from cnnbook.models import catalogue
from cnnbook.saving.torch_checkpoint import MANIFEST, load_checkpoint, save_checkpoint
from cnnbook.training import fit
from cnnbook.training.augment import compose, random_crop, random_flip

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
NORM = ([0.49, 0.48, 0.45], [0.25, 0.24, 0.26])


@pytest.fixture(scope="module")
def cifar(shared_data):
    """256 training and 256 test CIFAR-10 images from $CNNBOOK_DATA_DIR, normalised NCHW."""
    from cnnbook.datasets import channel_stats, load_cifar10
    from cnnbook.datasets.torch_data import to_tensors

    (x, y), (xt, yt) = load_cifar10(limit=256, test_limit=256, seed=0)
    mean, std = channel_stats(x)
    return to_tensors(x, y, mean, std), to_tensors(xt, yt, mean, std)


def build(name="cifar_small", seed=0, **kwargs):
    torch.manual_seed(seed)
    return catalogue.get(name).build("torch", **kwargs)


def with_batch_norm_statistics(model):
    """Batch norm's running statistics away from their initial 0 and 1 (buffers are saved)."""
    model.train()
    with torch.no_grad():
        model(torch.randn(16, 3, 32, 32, generator=torch.Generator().manual_seed(1)) * 3 + 1)
    return model.eval()


def save(folder, model, name="cifar_small", **kwargs):
    args = {"epoch": 3, "metrics": {"val_accuracy": 0.5}, "dataset": "cifar10",
            "class_names": CLASSES, "normalisation": NORM, **kwargs}
    return save_checkpoint(folder, model, name=name, **args)


def test_round_trip_gives_the_same_logits_and_metadata(tmp_path, monkeypatch):
    model = with_batch_norm_statistics(build())
    save(tmp_path / "run", model)
    files = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert files[0] == MANIFEST and len(files) == 2 and files[1].startswith("model-")
    meta = json.loads((tmp_path / "run" / MANIFEST).read_text())
    assert meta["model"] == {"name": "cifar_small", "kwargs": {}}
    weights = safetensors.torch.load_file(tmp_path / "run" / files[1])  # any safetensors reader
    assert weights.keys() == model.state_dict().keys()

    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load was called"))
    loaded = load_checkpoint(tmp_path / "run")
    x = torch.randn(8, 3, 32, 32, generator=torch.Generator().manual_seed(2))  # (8, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(loaded.model(x), model(x))
    assert not loaded.model.training
    assert (loaded.name, loaded.dataset, loaded.class_names) == ("cifar_small", "cifar10", CLASSES)
    assert loaded.normalisation == (tuple(NORM[0]), tuple(NORM[1]))
    assert (loaded.epoch, loaded.metrics) == (3, {"val_accuracy": 0.5})
    assert {"python", "cnnbook", "torch", "safetensors"} <= loaded.versions.keys()
    assert loaded.optimizer_state is None and loaded.scheduler_state is None
    assert load_checkpoint(tmp_path / "run" / MANIFEST).epoch == 3  # the manifest names it too


BATCH, STEPS = 32, 3  # the resumed run trains on 96 images, validates on 64


def new_training(model):
    """The recipe's optimizer and one-cycle schedule (4 epochs of STEPS steps) on ``model``."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True,
                                weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.05, epochs=4,
                                                    steps_per_epoch=STEPS)
    return optimizer, scheduler


def train(model, data, epochs, initial_epoch=0, restore=None):
    """fit with dropout, batch norm, augmentation, SGD momentum and a per-step schedule."""
    optimizer, scheduler = new_training(model)
    if restore is not None:
        restore.restore_training_state(optimizer, scheduler)
    augment = compose(random_crop, random_flip, seed=0)
    (x, y), (xt, yt) = data
    history = fit(model, (x[:BATCH * STEPS], y[:BATCH * STEPS]), validation_data=(xt[:64], yt[:64]),
                  epochs=epochs, initial_epoch=initial_epoch, optimizer=optimizer,
                  scheduler=scheduler, scheduler_step="batch", augment=augment, batch_size=BATCH,
                  device="cpu", seed=0, verbose=0)
    return history, optimizer, scheduler


def test_a_resumed_run_equals_an_uninterrupted_one(cifar, tmp_path):
    whole = build("post_pytorch_bn")
    history, _, _ = train(whole, cifar, epochs=4)

    half = build("post_pytorch_bn")
    first, optimizer, scheduler = train(half, cifar, epochs=2)
    save(tmp_path / "run", half, name="post_pytorch_bn", epoch=2,
         metrics={k: v[-1] for k, v in first.history.items()},
         optimizer=optimizer, scheduler=scheduler)
    checkpoint = load_checkpoint(tmp_path / "run")
    resumed = checkpoint.model
    second, _, _ = train(resumed, cifar, epochs=4, initial_epoch=checkpoint.epoch,
                         restore=checkpoint)

    assert second.epoch == [2, 3]
    for key, values in history.history.items():
        assert first.history[key] + second.history[key] == values, key
    expected = whole.state_dict()
    for key, tensor in resumed.state_dict().items():
        assert torch.equal(tensor, expected[key]), key
    # Without the optimizer's momentum and the schedule's position, the run goes elsewhere.
    fresh = load_checkpoint(tmp_path / "run").model
    train(fresh, cifar, epochs=4, initial_epoch=2)
    assert not torch.equal(fresh.fc2.weight, whole.fc2.weight)


def test_a_pickle_file_is_refused_with_one_line(tmp_path):
    model = build()
    torch.save(model.state_dict(), tmp_path / "model.pt")
    for path in (tmp_path / "model.pt", tmp_path):
        with pytest.raises(ValueError, match="model.pt: refusing a pickle") as err:
            load_checkpoint(path)
        assert "\n" not in str(err.value)
    (tmp_path / "weights").write_bytes((tmp_path / "model.pt").read_bytes())  # no suffix
    with pytest.raises(ValueError, match="weights: refusing a pickle"):
        load_checkpoint(tmp_path / "weights")
    with pytest.raises(FileNotFoundError, match="not a cnnbook checkpoint folder"):
        load_checkpoint(tmp_path / "nothing")


def edit_manifest(folder, change):
    meta = json.loads((folder / MANIFEST).read_text())
    change(meta)
    (folder / MANIFEST).write_text(json.dumps(meta))


def rewrite_tensors(folder, change):
    """Edit the model's tensors and write them back with a matching SHA-256 in the manifest."""
    meta = json.loads((folder / MANIFEST).read_text())
    path = folder / meta["files"]["model"]["file"]
    tensors = safetensors.torch.load_file(path)
    change(tensors)
    data = safetensors.torch.save(tensors)
    path.write_bytes(data)
    meta["files"]["model"]["sha256"] = hashlib.sha256(data).hexdigest()
    (folder / MANIFEST).write_text(json.dumps(meta))


def test_unknown_models_and_wrong_shapes_are_refused(tmp_path):
    folder = save(tmp_path / "run", build())
    edit_manifest(folder, lambda m: m["model"].update(name="cifar_huge"))
    with pytest.raises(ValueError, match="model 'cifar_huge' is not in the catalogue; choose"):
        load_checkpoint(folder)
    edit_manifest(folder, lambda m: m["model"].update(name="cifar_small",
                                                      kwargs={"num_classes": 5}))
    with pytest.raises(ValueError, match=r"holds 147,813 values, but "
                                         r"cifar_small\(num_classes=5\) has 147,008"):
        load_checkpoint(folder)  # 805 fewer: fc for 5 classes, not 10
    edit_manifest(folder, lambda m: m["model"].update(name="cifar_resnet_small", kwargs={}))
    with pytest.raises(ValueError, match="holds 147,813 values, but cifar_resnet_small has"):
        load_checkpoint(folder)
    edit_manifest(folder, lambda m: m["model"].update(name="cifar_small"))
    rewrite_tensors(folder, lambda t: t.update({"fc.weight": t["fc.weight"].T.contiguous()}))
    with pytest.raises(ValueError, match=r"tensor 'fc.weight' has shape \(160, 10\) but "
                                         r"cifar_small expects \(10, 160\)"):
        load_checkpoint(folder)  # as many values as expected, in the wrong shape
    rewrite_tensors(folder, lambda t: t.update({"fc.kernel": t.pop("fc.weight")}))
    with pytest.raises(ValueError, match=r"do not match cifar_small: missing \['fc.weight'\]"):
        load_checkpoint(folder)
    with pytest.raises(ValueError, match="model is a PostKeras of post_keras, but 'cifar_small' "
                                         "is built by its spec"):
        save(tmp_path / "other", build("post_keras"))
    with pytest.raises(ValueError, match="unknown model 'nope'"):
        save(tmp_path / "other", build(), name="nope")


def test_a_damaged_tensor_file_is_refused(tmp_path):
    folder = save(tmp_path / "run", build())
    weights = next(folder.glob("model-*.safetensors"))
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="SHA-256 differs"):
        load_checkpoint(folder)


@pytest.mark.parametrize("fail", ["fsync of the optimizer file", "rename of the manifest"])
def test_a_crash_while_writing_leaves_the_previous_checkpoint(tmp_path, monkeypatch, fail):
    old = build(seed=0)
    folder = save(tmp_path / "run", old, epoch=1)
    before = sorted(p.name for p in folder.iterdir())
    new = build(seed=1)
    optimizer, scheduler = new_training(new)
    real_fsync, real_replace, calls = os.fsync, os.replace, []

    def fsync(fd):  # the disk fails on the second file: the model file is already written
        calls.append(fd)
        if fail.startswith("fsync") and len(calls) == 3:  # model, its folder, optimizer
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    def replace(src, dst):
        if fail.startswith("rename") and str(dst).endswith(MANIFEST):
            raise OSError(5, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OSError):
        save(folder, new, epoch=2, optimizer=optimizer, scheduler=scheduler)
    monkeypatch.undo()
    assert sorted(p.name for p in folder.iterdir()) == before  # no new or temporary file left
    loaded = load_checkpoint(folder)
    assert loaded.epoch == 1 and torch.equal(loaded.model.fc.weight, old.fc.weight)
    save(folder, new, epoch=2, optimizer=optimizer, scheduler=scheduler)  # then it works
    after = load_checkpoint(folder)
    assert after.epoch == 2 and torch.equal(after.model.fc.weight, new.fc.weight)
    assert len(list(folder.glob("model-*.safetensors"))) == 1  # the old weights are gone


def test_ctrl_c_just_after_the_manifest_is_renamed_keeps_the_files_it_names(tmp_path,
                                                                             monkeypatch):
    """The new checkpoint.json is in place when the interrupt comes (syncing the folder after
    its rename): the files it names stay, so the folder holds the new checkpoint, loadable."""
    import cnnbook.saving.atomic

    folder = save(tmp_path / "run", build(seed=0), epoch=1)
    new = build(seed=1)
    real, calls = cnnbook.saving.atomic.fsync_dir, []

    def fsync_dir(path):
        real(path)
        calls.append(path)
        if len(calls) == 2:  # after the model file's rename, then the manifest's
            raise KeyboardInterrupt

    monkeypatch.setattr(cnnbook.saving.atomic, "fsync_dir", fsync_dir)
    with pytest.raises(KeyboardInterrupt):
        save(folder, new, epoch=2)
    monkeypatch.undo()
    loaded = load_checkpoint(folder)
    assert loaded.epoch == 2 and torch.equal(loaded.model.fc.weight, new.fc.weight)


def test_restoring_needs_the_same_kind_of_optimizer(tmp_path):
    model = build()
    optimizer, scheduler = new_training(model)
    folder = save(tmp_path / "run", model, optimizer=optimizer)
    checkpoint = load_checkpoint(folder)
    adam = torch.optim.Adam(checkpoint.model.parameters())
    with pytest.raises(ValueError, match="the saved optimizer is a SGD, not a Adam"):
        checkpoint.restore_training_state(adam)
    optimizer, scheduler = new_training(checkpoint.model)
    with pytest.raises(ValueError, match="holds no scheduler state"):
        checkpoint.restore_training_state(optimizer, scheduler)


def test_training_imports_without_safetensors_and_checkpoints_name_the_extra():
    code = ("import sys; sys.modules['safetensors'] = None\n"  # makes `import safetensors` fail
            "import cnnbook.training as t\n"
            "assert callable(t.fit) and callable(t.predict)\n"
            "try:\n    t.load_checkpoint\nexcept ImportError as err:\n    print(err)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert ("'safetensors' is needed for this feature: pip install 'cnnbook[torch] @ "
            "git+https://github.com/cnnbook/cnnbook@main'") in out.stdout
