"""Keras checkpoints: a ``.keras`` file plus JSON, written atomically, loaded with safe_mode=True,
and the refusals (Lambda code, pickle files, damaged files, unknown models, wrong sizes)."""

from __future__ import annotations

import hashlib
import json
import pickle

import numpy as np
import pytest

keras = pytest.importorskip("keras", reason="needs the tf extra (keras)")

from cnnbook.models import catalogue
from cnnbook.saving import format_of, manifest
from cnnbook.saving.keras_checkpoint import MANIFEST, load_keras_checkpoint, save_keras_checkpoint

DIGITS = tuple(str(i) for i in range(10))


@pytest.fixture(scope="module")
def trained(shared_data):
    """The post's TensorFlow model (softmax output), trained two epochs on 2,000 real MNIST
    digits (NHWC)."""
    from cnnbook.datasets import load_mnist

    (x, y), (xt, yt) = load_mnist(limit=2000, test_limit=500, seed=0)
    x = (x[..., None] / 255.0).astype("float32")  # (N, 28, 28, 1)
    xt = (xt[..., None] / 255.0).astype("float32")
    keras.utils.set_random_seed(0)
    model = catalogue.get("post_tensorflow").build("keras")
    model.compile(optimizer="adam", metrics=["accuracy"],
                  loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=64, verbose=0)
    return model, xt, yt


def save(folder, model, **kwargs):
    return save_keras_checkpoint(folder, model, name="post_tensorflow", epoch=1,
                                 dataset="mnist", class_names=DIGITS,
                                 normalisation=([0.0], [1.0]), **kwargs)


def test_round_trip_gives_the_same_logits_and_metadata(trained, tmp_path):
    model, xt, yt = trained
    folder = save(tmp_path / "run", model, metrics={"accuracy": 0.9})
    files = sorted(p.name for p in folder.iterdir())
    assert files[0] == MANIFEST and len(files) == 2 and files[1].endswith(".keras")
    assert format_of(folder) == format_of(folder / MANIFEST) == "keras"
    loaded = load_keras_checkpoint(folder)
    before = keras.ops.convert_to_numpy(model(xt))
    after = keras.ops.convert_to_numpy(loaded.model(xt))
    np.testing.assert_array_equal(after, before)
    assert (after.argmax(1) == yt).mean() > 0.7  # trained (measured 0.85), not fresh (~0.1)
    assert (loaded.name, loaded.dataset, loaded.class_names, loaded.epoch) == (
        "post_tensorflow", "mnist", DIGITS, 1)
    assert loaded.normalisation == ((0.0,), (1.0,)) and loaded.metrics == {"accuracy": 0.9}
    assert loaded.versions["keras"] == keras.__version__


def test_a_new_save_replaces_the_old_file(trained, tmp_path):
    model, _, _ = trained
    folder = save(tmp_path / "run", model)
    first = {p.name for p in folder.glob("*.keras")}
    model.layers[-1].kernel.assign(model.layers[-1].kernel * 0.5)  # other weights
    try:
        save(folder, model)
    finally:
        model.layers[-1].kernel.assign(model.layers[-1].kernel * 2.0)
    second = {p.name for p in folder.glob("*.keras")}
    assert len(second) == 1 and second != first
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary files


def test_a_crash_while_saving_keeps_the_previous_checkpoint(trained, tmp_path, monkeypatch):
    model, xt, _ = trained
    folder = save(tmp_path / "run", model)
    before = sorted(p.name for p in folder.iterdir())

    def crash(path, data):
        raise OSError("disk full")

    monkeypatch.setattr(manifest, "write_atomic", crash)  # the one commit of both writers
    model.layers[-1].kernel.assign(model.layers[-1].kernel * 0.5)
    try:
        with pytest.raises(OSError, match="disk full"):
            save(folder, model)
    finally:
        model.layers[-1].kernel.assign(model.layers[-1].kernel * 2.0)
    assert sorted(p.name for p in folder.iterdir()) == before
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(load_keras_checkpoint(folder).model(xt[:8])),
        keras.ops.convert_to_numpy(model(xt[:8])))


def test_a_lambda_layer_is_refused_before_keras_reads_it(trained, tmp_path):
    """A .keras file with Python code inside (a Lambda layer) never runs: its config is refused
    before Keras reads it, and safe_mode would refuse it too."""
    model, _, _ = trained
    folder = save(tmp_path / "run", model)
    inputs = keras.Input((28, 28, 1))
    evil = keras.Model(inputs, keras.layers.Lambda(lambda t: t * 2)(inputs))
    lam = tmp_path / "evil.keras"
    evil.save(lam)
    meta = json.loads((folder / MANIFEST).read_text())
    target = folder / meta["files"]["model"]["file"]
    target.write_bytes(lam.read_bytes())
    meta["files"]["model"]["sha256"] = hashlib.sha256(lam.read_bytes()).hexdigest()
    (folder / MANIFEST).write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"config.json has a 'Lambda' layer, which no catalogue"
                                         r" model has; refusing it before Keras reads it") as err:
        load_keras_checkpoint(folder)
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="Lambda"):  # the second line of defence
        keras.saving.load_model(target, safe_mode=True)


def test_refusals_are_one_line_errors_naming_the_file(trained, tmp_path):
    model, _, _ = trained
    folder = save(tmp_path / "run", model)
    pkl = tmp_path / "model.pkl"
    pkl.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    with pytest.raises(ValueError, match="refusing a pickle") as err:
        load_keras_checkpoint(pkl)
    assert str(pkl) in str(err.value)
    with pytest.raises(ValueError, match="model.pkl: refusing a pickle"):  # found in the folder
        load_keras_checkpoint(tmp_path)
    with pytest.raises(FileNotFoundError, match="no checkpoint.json"):
        load_keras_checkpoint(tmp_path / "run" / "nowhere")

    meta = json.loads((folder / MANIFEST).read_text())
    target = folder / meta["files"]["model"]["file"]
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="damaged"):
        load_keras_checkpoint(folder)

    meta["model"]["name"] = "not_a_model"
    (folder / MANIFEST).write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="not in the catalogue"):
        load_keras_checkpoint(folder)


def test_save_checks_the_model_against_the_catalogue(trained, tmp_path):
    model, _, _ = trained
    with pytest.raises(ValueError, match="parameters"):
        save_keras_checkpoint(tmp_path / "a", model, name="post_keras")
    with pytest.raises(ValueError, match="not_a_model"):
        save_keras_checkpoint(tmp_path / "b", model, name="not_a_model")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_cnnbook_predict_reads_a_keras_checkpoint(trained, tmp_path, capsys):
    """`cnnbook predict` on a Keras checkpoint: PNGs in, the Keras model's own probabilities out;
    a checkpoint with code inside is one line on stderr and exit status 2."""
    from PIL import Image

    from cnnbook.cli import main
    from cnnbook.datasets.images import mnist_style
    from cnnbook.saving.keras_checkpoint import keras_probabilities

    model, xt, _ = trained
    folder = save(tmp_path / "run", model)
    digits = (xt[:6, ..., 0] * 255).round().astype(np.uint8)  # (6, 28, 28)
    paths = []
    for i, digit in enumerate(digits):
        paths.append(str(tmp_path / f"{i}.png"))
        Image.fromarray(255 - digit).save(paths[-1])  # dark ink on white paper
    capsys.readouterr()
    assert main(["predict", str(folder), *paths, "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    styled = np.stack([mnist_style(d)[0] for d in digits])[..., None] / 255.0  # NHWC
    expected = keras_probabilities(model, styled)  # (6, 10)
    assert found["model"] == "post_tensorflow"
    for row, result in zip(expected, found["predictions"], strict=True):
        assert result["notes"]  # the inversion is reported
        top = result["top"][0]
        assert top["label"] == int(row.argmax())
        assert abs(top["probability"] - row.max()) <= 1e-5

    inputs = keras.Input((28, 28, 1))
    keras.Model(inputs, keras.layers.Lambda(lambda t: t)(inputs)).save(tmp_path / "evil.keras")
    meta = json.loads((folder / MANIFEST).read_text())
    data = (tmp_path / "evil.keras").read_bytes()
    (folder / meta["files"]["model"]["file"]).write_bytes(data)
    meta["files"]["model"]["sha256"] = hashlib.sha256(data).hexdigest()
    (folder / MANIFEST).write_text(json.dumps(meta))
    assert main(["predict", str(folder), paths[0]]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "'Lambda'" in captured.err
