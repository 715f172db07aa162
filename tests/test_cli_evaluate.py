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


def test_a_checkpoints_builder_arguments_are_the_models_the_commands_check(tmp_path, capsys):
    """evaluate checks the model the checkpoint holds (here 5 classes), not the catalogue's
    default build (10), and predict reads pictures at the checkpoint's input size."""
    from cnnbook.models import catalogue
    from cnnbook.training import save_checkpoint

    entry = catalogue.get("post_tensorflow")
    for folder, kwargs, message in (
            ("five", {"num_classes": 5}, "post_tensorflow outputs 5 scores but mnist has 10"),
            ("big", {"num_classes": 5, "input_size": 40}, "post_tensorflow takes 1×40×40 inputs")):
        save_checkpoint(tmp_path / folder, entry.build("torch", **kwargs), name="post_tensorflow",
                        epoch=1, dataset="mnist", model_kwargs=kwargs)
        assert main(["evaluate", str(tmp_path / folder)]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1
        assert not (tmp_path / folder / "evaluation.json").exists()

    picture = tmp_path / "digit.png"
    stroke = np.zeros((28, 28), np.uint8)
    stroke[6:22, 12:16] = 255  # a "1"
    Image.fromarray(stroke).save(picture)
    assert main(["predict", str(tmp_path / "big"), str(picture), "--json", "--top", "5"]) == 0
    top = json.loads(capsys.readouterr().out)["predictions"][0]["top"]
    assert sorted(t["label"] for t in top) == [0, 1, 2, 3, 4]  # five classes, read at 40x40


def test_writers_refuse_what_the_loader_would_before_writing(tmp_path):
    from cnnbook.models import catalogue
    from cnnbook.training import save_checkpoint

    model = catalogue.get("post_tensorflow").build("torch")
    cases = [({"normalisation": ([0.1, 0.2, 0.3], [1.0, 1.0, 1.0])},
              '"normalisation.mean" has 3 values, not 1'),
             ({"normalisation": ([0.1], [0.0])}, '"normalisation.std" must be positive'),
             ({"class_names": ["a", "b"]}, '"class_names" has 2 names, but post_tensorflow')]
    for extra, message in cases:
        with pytest.raises(ValueError, match=message):
            save_checkpoint(tmp_path / "bad", model, name="post_tensorflow", epoch=1, **extra)
        assert not (tmp_path / "bad").exists()
    if importlib.util.find_spec("keras") is not None:
        from cnnbook.saving.keras_checkpoint import save_keras_checkpoint

        keras_model = catalogue.get("post_tensorflow").build("keras")
        with pytest.raises(ValueError, match='"normalisation.mean" has 3 values, not 1'):
            save_keras_checkpoint(tmp_path / "bad_keras", keras_model, name="post_tensorflow",
                                  normalisation=([0.1, 0.2, 0.3], [1.0, 1.0, 1.0]))
        assert not (tmp_path / "bad_keras").exists()
