"""A ``.keras`` file is read without Keras before Keras builds what its config describes: the zip's
members and their sizes, the weights the config would allocate and the weight shapes stored in
the HDF5 file must all be the catalogue model's. Each refusal is one line naming the file."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

keras = pytest.importorskip("keras", reason="needs the tf extra (keras)")
h5py = pytest.importorskip("h5py", reason="Keras' own dependency")

from cnnbook.models import catalogue
from cnnbook.saving.keras_archive import keras_file_values
from cnnbook.saving.keras_checkpoint import MANIFEST, load_keras_checkpoint, save_keras_checkpoint

MODEL = "post_tensorflow"  # Sequential: conv1 (320 weights), fc1 (54,090)


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    keras.utils.set_random_seed(0)
    folder = tmp_path_factory.mktemp("keras") / "run"
    return save_keras_checkpoint(folder, catalogue.get(MODEL).build("keras"), name=MODEL,
                                 dataset="mnist", class_names=[str(i) for i in range(10)])


def model_file(folder: Path) -> Path:
    return next(folder.glob("model-*.keras"))


def repacked(saved: Path, tmp_path: Path, change, compression=zipfile.ZIP_STORED) -> Path:
    """A copy of ``saved`` whose .keras members ``{name: bytes}`` went through ``change``,
    with the manifest's SHA-256 updated (so only the new checks can refuse it)."""
    folder = tmp_path / "run"
    folder.mkdir()
    with zipfile.ZipFile(model_file(saved)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    change(members)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    (folder / model_file(saved).name).write_bytes(buffer.getvalue())
    meta = json.loads((saved / MANIFEST).read_text())
    meta["files"]["model"]["sha256"] = hashlib.sha256(buffer.getvalue()).hexdigest()
    (folder / MANIFEST).write_text(json.dumps(meta))
    return folder


def edit_config(edit):
    def change(members):
        config = json.loads(members["config.json"])
        edit({layer["config"]["name"]: layer for layer in config["config"]["layers"]})
        members["config.json"] = json.dumps(config).encode()
    return change


def extra_weights(members):
    """One more (5,) dataset among the layers' weights in model.weights.h5."""
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "a") as weights:
        weights.create_dataset("layers/extra/vars/0", shape=(5,), dtype="f4")
    members["model.weights.h5"] = buffer.getvalue()


def test_a_saved_model_is_counted_as_the_catalogue_counts_it(saved):
    assert keras_file_values(model_file(saved), 54_410) == 54_410
    assert load_keras_checkpoint(saved).name == MODEL


CASES = {
    "huge units": (edit_config(lambda layers: layers["fc1"]["config"].update(units=10**9)),
                   "config.json builds 5,409,000,000,320 weight values, but the catalogue model "
                   "has 54,410"),
    "huge build shape": (edit_config(lambda layers: layers["fc1"]["build_config"].update(
        input_shape=[None, 10**12])), "config.json builds 10,000,000,000,330 weight values"),
    "no build shape": (edit_config(lambda layers: layers["conv1"].pop("build_config")),
                       "config.json's layer 'conv1' has no valid sizes and build shape"),
    "a layer kind no catalogue model has": (
        edit_config(lambda layers: layers["fc1"].update(class_name="EinsumDense")),
        "config.json has a 'EinsumDense' layer, which no catalogue model has"),
    "another member": (lambda members: members.update({"run.py": b"print(1)"}),
                       "not a Keras model's metadata.json, config.json and model.weights.h5"),
    "stored weights": (extra_weights, "holds 54,415 values, but post_tensorflow has 54,410"),
    "config nested too deeply": (
        lambda members: members.update({"config.json": b"[" * 100_000 + b"]" * 100_000}),
        "config.json is not readable JSON (maximum recursion depth exceeded"),
    "not a zip": (None, "not a .keras file (a zip archive)"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_hostile_keras_file_is_refused_before_keras_reads_it(saved, tmp_path, case):
    change, message = CASES[case]
    if change is None:
        folder = repacked(saved, tmp_path, lambda members: None)
        model_file(folder).write_bytes(b"\x80\x04 not a zip")
        meta = json.loads((folder / MANIFEST).read_text())
        meta["files"]["model"]["sha256"] = hashlib.sha256(b"\x80\x04 not a zip").hexdigest()
        (folder / MANIFEST).write_text(json.dumps(meta))
    else:
        folder = repacked(saved, tmp_path, change)
    with pytest.raises(ValueError) as err:
        load_keras_checkpoint(folder)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert str(err.value).startswith(str(folder))


def test_a_config_that_unpacks_past_its_limit_is_refused_by_its_declared_size(saved, tmp_path):
    """A deflated config.json of 17 MiB (a zip bomb in small) is refused from the zip's
    directory, before a byte of it is unpacked."""
    folder = repacked(saved, tmp_path, lambda members: members.update(
        {"config.json": members["config.json"] + b" " * 17 * 2**20}), zipfile.ZIP_DEFLATED)
    assert model_file(folder).stat().st_size < 2**20
    with pytest.raises(ValueError, match=r"config.json unpacks to 17,8\d\d,\d\d\d bytes, more "
                                         r"than the limit of 16,777,216"):
        load_keras_checkpoint(folder)


def test_the_manifest_of_a_keras_checkpoint_takes_no_builder_arguments(saved, tmp_path, capsys):
    from PIL import Image

    from cnnbook.cli import main

    folder = repacked(saved, tmp_path, lambda members: None)
    meta = json.loads((folder / MANIFEST).read_text())
    meta["model"]["kwargs"] = {"num_classes": 10**12}
    (folder / MANIFEST).write_text(json.dumps(meta))
    picture = tmp_path / "digit.png"
    Image.new("L", (28, 28)).save(picture)
    before = sorted((p.name, p.stat().st_mtime_ns) for p in tmp_path.rglob("*"))
    assert main(["predict", str(folder), str(picture)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and '"model" must be a catalogue model with a Keras builder' in err
    assert sorted((p.name, p.stat().st_mtime_ns) for p in tmp_path.rglob("*")) == before
