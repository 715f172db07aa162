"""``cnnbook train``: what a run writes, what it refuses, Ctrl-C and ``--resume``."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("torch", reason="needs the torch extra")
pytest.importorskip("safetensors", reason="needs the torch extra")

from cnnbook.cli import BadInput, main
from cnnbook.cli._common import check_fit
from cnnbook.datasets import get_dataset, train_val_split
from cnnbook.datasets.loaders import load
from cnnbook.datasets.subsets import channel_stats
from cnnbook.models import catalogue

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--data", "mnist", "--limit", "300", "--batch-size", "64", "--device", "cpu"]
# The shared run `cli_run` (conftest.py) is `cnnbook train post_tensorflow` with SMALL and
# --epochs 2: the tests below check what that command wrote.


def test_a_run_writes_checkpoint_history_curves_and_record(cli_run):
    from cnnbook.training import load_checkpoint

    names = sorted(p.name.split("-")[0] for p in cli_run.iterdir())
    assert names == ["checkpoint.json", "history.json", "learning_curves.png", "model",
                     "optimizer", "run.json"]
    checkpoint = load_checkpoint(cli_run)
    assert (checkpoint.name, checkpoint.dataset, checkpoint.epoch) == ("post_tensorflow",
                                                                       "mnist", 2)
    assert checkpoint.class_names == get_dataset("mnist").class_names
    assert checkpoint.optimizer_state["class"] == "Adam"
    assert checkpoint.scheduler_state["class"] == "CosineAnnealingLR"

    history = json.loads((cli_run / "history.json").read_text())["history"]
    assert {k: len(v) for k, v in history.items()} == dict.fromkeys(
        ("loss", "accuracy", "val_loss", "val_accuracy", "lr"), 2)
    assert history["lr"][1] < history["lr"][0]  # the cosine schedule stepped
    assert checkpoint.metrics["val_accuracy"] == history["val_accuracy"][-1]

    record = json.loads((cli_run / "run.json").read_text())
    assert record["seed"] == 0 and record["settings"]["epochs"] == 2
    assert record["data"]["source"]["kind"] == "offline"
    assert "270 train / 30 validation" in record["data"]["summary"]
    session = record["sessions"][0]
    assert session["device"] == "cpu" and "torch" in session["versions"]
    assert record["result"]["metrics"]["val_accuracy"] == history["val_accuracy"][-1]
    (x, y), _ = load("mnist", limit=300, test_limit=1, seed=0)
    (x_train, _), _ = train_val_split(x, y, val_fraction=0.1, seed=0)
    mean, std = channel_stats(x_train)  # the training part's statistics, not the validation's
    np.testing.assert_allclose(record["normalisation"]["mean"], mean, rtol=1e-6)
    np.testing.assert_allclose(checkpoint.normalisation, [mean, std], rtol=1e-6)
    with Image.open(cli_run / "learning_curves.png") as curves:
        assert curves.format == "PNG" and min(curves.size) > 100


@pytest.mark.parametrize("argv, message", [
    (["post_keras", "--data", "cifar10"], "post_keras takes 1×28×28 inputs (C×H×W) but cifar10 "
                                          "images are 3×32×32; datasets that fit post_keras: "
                                          "mnist, fashion-mnist"),
    (["cifar_small", "--data", "fashion-mnist"], "cifar_small takes 3×32×32 inputs"),
    (["post_kears", "--data", "mnist"], "unknown model 'post_kears'; choose from post_tensorflow"),
    (["post_keras", "--data", "imagenet"], "unknown dataset 'imagenet'"),
])
def test_what_does_not_fit_is_one_line_exit_2_and_nothing_is_written(tmp_path, capsys, argv,
                                                                     message):
    out = tmp_path / "out"
    assert main(["train", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cnnbook train: error: ") and message in err
    assert err.count("\n") == 1
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_only_classifiers_are_trained():
    entry = dataclasses.replace(catalogue.get("post_keras"), task="segmentation")
    with pytest.raises(BadInput, match="post_keras is a segmentation model"):
        check_fit(entry, get_dataset("mnist"))


def test_a_run_is_never_overwritten_and_resumes_with_its_own_settings(cli_run, tmp_path, capsys):
    before = {p.name: p.stat().st_mtime_ns for p in cli_run.iterdir()}
    assert main(["train", "post_tensorflow", *SMALL, "--out", str(cli_run)]) == 2
    assert f"{cli_run}: not empty; resume the run there with --resume" in capsys.readouterr().err
    assert main(["train", "--resume", str(cli_run), "--epochs", "5", "--lr", "0.1"]) == 2
    assert "drop --epochs, --lr" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path)]) == 2
    assert "no run.json" in capsys.readouterr().err
    assert main(["train", "--resume", str(cli_run)]) == 0  # both epochs done: nothing to do
    assert "all 2 epochs are done" in capsys.readouterr().out
    assert {p.name: p.stat().st_mtime_ns for p in cli_run.iterdir()} == before


@pytest.mark.parametrize(("change", "message"), [
    (lambda r: r["settings"].update(epochs="ten"), "settings.epochs must be an integer, not 'ten'"),
    (lambda r: r["settings"].update(epochs=0), "settings.epochs must be at least 1, not 0"),
    (lambda r: r["settings"].update(lr=float("nan")), "settings.lr must be a number, not nan"),
    (lambda r: r["settings"].update(lr=-1), "settings.lr must be positive, not -1"),
    (lambda r: r["settings"].update(optimizer="rmsprop"), "settings.optimizer must be adam or sgd"),
    (lambda r: r["settings"].update(val_fraction=1), "settings.val_fraction must be between 0 and"),
    (lambda r: r["settings"].update(limit=True), "settings.limit must be an integer, not True"),
    (lambda r: r["settings"].update(model=["post_tensorflow"]), "settings.model must be a name"),
    (lambda r: r.pop("normalisation"), "holds no normalisation.mean and sessions"),
    (lambda r: r["normalisation"].update(mean="0.1"), "holds no normalisation.mean and sessions"),
])
def test_resume_refuses_a_run_json_it_cannot_trust(cli_run, tmp_path, capsys, change, message):
    """A damaged or hand-edited run.json: one line, exit 2, nothing in the folder changed."""
    run = tmp_path / "run"
    shutil.copytree(cli_run, run)
    record = json.loads((run / "run.json").read_text())
    change(record)
    (run / "run.json").write_text(json.dumps(record))
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    assert main(["train", "--resume", str(run)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and str(run / "run.json") in err
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == before


def test_new_runs_refuse_values_out_of_range(tmp_path, capsys):
    for argv, message in ((["--epochs", "0"], "--epochs must be at least 1, not 0"),
                          (["--lr", "0"], "--lr must be positive, not 0.0"),
                          (["--seed", "-1"], "--seed must be at least 0, not -1"),
                          (["--limit", "1"], "--limit must be at least 2"),
                          (["--val-fraction", "1.5"], "--val-fraction must be between 0 and 1")):
        assert main(["train", "post_tensorflow", *argv, "--out", str(tmp_path / "r")]) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def _ctrl_c_as_in_a_terminal() -> None:
    """In the child: SIGINT raises KeyboardInterrupt, as for a command typed in a terminal, even
    when the test itself runs as a background job (whose shell sets SIGINT to be ignored, which
    Python then keeps)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _cnnbook(*args: str, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "cnnbook", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_ctrl_c_as_in_a_terminal)


@pytest.mark.slow
def test_ctrl_c_keeps_the_last_epoch_and_resume_equals_an_uninterrupted_run(shared_data,
                                                                            tmp_path):
    from safetensors.numpy import load_file

    from cnnbook.training import load_checkpoint

    argv = ["train", "post_tensorflow", "--data", "mnist", "--limit", "3000", "--epochs", "3",
            "--device", "cpu"]
    straight = _cnnbook(*argv, "--out", "straight", cwd=tmp_path)  # runs alongside
    child = _cnnbook(*argv, "--out", "stopped", cwd=tmp_path)
    manifest = tmp_path / "stopped" / "checkpoint.json"
    deadline = time.monotonic() + 300
    while not manifest.exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    child.send_signal(signal.SIGINT)  # during epoch 2: epoch 1's checkpoint is complete
    out, err = child.communicate(timeout=120)
    assert child.returncode == 130, (out, err)
    assert "interrupted; stopped keeps epoch 1 of 3" in err and "--resume stopped" in err
    assert load_checkpoint(tmp_path / "stopped").epoch == 1  # loadable, as saved
    assert "Epoch 2/3" not in out

    resumed = _cnnbook("train", "--resume", "stopped", cwd=tmp_path)
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    assert "resuming after epoch 1" in out and "Epoch 1/3" not in out and "Epoch 3/3" in out
    assert straight.wait(timeout=300) == 0
    runs = [tmp_path / name for name in ("stopped", "straight")]
    weights = [load_file(next(run.glob("model-*.safetensors"))) for run in runs]
    for key, value in weights[1].items():
        np.testing.assert_array_equal(weights[0][key], value, err_msg=key)
    histories = [json.loads((run / "history.json").read_text())["history"] for run in runs]
    assert histories[0] == histories[1]
    sessions = json.loads((runs[0] / "run.json").read_text())["sessions"]
    assert [s["start_epoch"] for s in sessions] == [0, 1]
