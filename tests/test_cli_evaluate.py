"""``cnnbook evaluate``: the numbers ``cnnbook.training.evaluate`` measures, per class too."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch", reason="needs the torch extra")
pytest.importorskip("safetensors", reason="needs the torch extra")

from cnnbook.cli import main
from cnnbook.cli.evaluate import confusion_matrix
from cnnbook.datasets.loaders import load
from cnnbook.datasets.torch_data import to_tensors


def test_evaluate_reports_what_the_training_package_measures(cli_run, tmp_path, capsys):
    from cnnbook.training import evaluate, load_checkpoint

    capsys.readouterr()
    assert main(["evaluate", str(cli_run), "--limit", "1000", "--device", "cpu",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "evaluation.json").read_text())
    checkpoint = load_checkpoint(cli_run)
    _, (x, y) = load("mnist", limit=1, test_limit=1000, seed=0)
    expected = evaluate(checkpoint.model, to_tensors(x, y, *checkpoint.normalisation),
                        device="cpu")["accuracy"]
    matrix = np.asarray(report["confusion_matrix"])  # (10, 10), rows: true class
    assert report["images"] == matrix.sum() == 1000 and matrix.shape == (10, 10)
    assert report["accuracy"] == pytest.approx(expected, abs=1e-12)
    assert report["accuracy"] == pytest.approx(np.trace(matrix) / 1000, abs=1e-12)
    per_class = np.diag(matrix) / matrix.sum(axis=1)
    np.testing.assert_allclose(list(report["per_class_accuracy"].values()), per_class)
    assert f"test accuracy: {expected:.4f}" in out
    assert f"  7  {per_class[7]:.4f}  ({matrix[7].sum():,} images)" in out
    assert "1,000 test images from the offline folder" in out
    if importlib.util.find_spec("sklearn") is None:  # the figure needs scikit-learn
        assert "note: confusion_matrix.png skipped" in out
    else:
        with Image.open(tmp_path / "confusion_matrix.png") as png:
            assert png.format == "PNG" and min(png.size) > 100


def test_confusion_matrix_agrees_with_scikit_learn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred, 4),
                                  metrics.confusion_matrix(y_true, y_pred, labels=range(4)))


def test_a_checkpoint_without_a_dataset_or_a_pickle_is_refused(cli_run, tmp_path, capsys):
    from cnnbook.training import load_checkpoint, save_checkpoint

    model = load_checkpoint(cli_run).model
    save_checkpoint(tmp_path / "nameless", model, name="post_tensorflow", epoch=1)
    torch.save(model, tmp_path / "whole_model.pt")
    for path, message in ((tmp_path / "nameless", "the checkpoint names no dataset"),
                          (tmp_path / "whole_model.pt", "refusing a pickle")):
        assert main(["evaluate", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("cnnbook evaluate: error: ") and message in err
        assert str(path) in err and err.count("\n") == 1
    assert not (tmp_path / "nameless" / "evaluation.json").exists()
