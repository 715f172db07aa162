"""``cnnbook predict``: pictures in, the model's own probabilities out; bad input refused."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch", reason="needs the torch extra")
safetensors_torch = pytest.importorskip("safetensors.torch", reason="needs the torch extra")

from cnnbook.cli import main
from cnnbook.datasets import load_mnist
from cnnbook.datasets.images import mnist_style
from cnnbook.datasets.torch_data import to_tensors


def predict_json(capsys, *argv: str) -> dict:
    capsys.readouterr()
    assert main(["predict", *argv, "--json", "--device", "cpu"]) == 0
    return json.loads(capsys.readouterr().out)


def test_pictures_of_mnist_digits_get_the_models_own_probabilities(cli_run, tmp_path, capsys):
    """A digit saved as a PNG (as is, as dark ink on white, enlarged) is the digit again."""
    from cnnbook.training import load_checkpoint, predict

    _, (x, y) = load_mnist(limit=1, test_limit=200)
    digits = [img for img in x if (mnist_style(img)[0] == img).all()][:4]  # most are
    paths, expected_notes = [], []
    for i, img in enumerate(digits):
        for kind, picture in (("as_is", img), ("paper", 255 - img),
                              ("big", np.kron(img, np.ones((4, 4), np.uint8)))):
            paths.append(str(tmp_path / f"{i}_{kind}.png"))
            Image.fromarray(picture).save(paths[-1])
            expected_notes.append(kind == "paper")
    checkpoint = load_checkpoint(cli_run)
    inputs, _ = to_tensors(np.stack(digits), np.zeros(len(digits)), *checkpoint.normalisation)
    direct = predict(checkpoint.model, inputs.numpy(), device="cpu")  # (4, 10)

    found = predict_json(capsys, str(cli_run), *paths)
    assert found["model"] == "post_tensorflow" and found["dataset"] == "mnist"
    for k, result in enumerate(found["predictions"]):
        assert result["image"] == paths[k]
        assert bool(result["notes"]) == expected_notes[k]
        top = result["top"]
        probs = [t["probability"] for t in top]
        assert len(top) == 3 and probs == sorted(probs, reverse=True)
        assert top[0]["label"] == int(direct[k // 3].argmax())
        for t in top:
            assert t["class"] == str(t["label"])
            assert t["probability"] == pytest.approx(direct[k // 3][t["label"]], abs=1e-5)


def test_text_output_is_one_line_per_picture_and_a_note_when_inverted(cli_run, tmp_path,
                                                                      capsys):
    paper = np.full((120, 90, 3), 235, np.uint8)
    paper[20:100, 40:52] = (20, 20, 90)  # a blue "1" on light paper
    Image.fromarray(paper).save(tmp_path / "one.jpg", quality=90)
    assert main(["predict", str(cli_run), str(tmp_path / "one.jpg"), "--top", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{tmp_path / 'one.jpg'}: ") and lines[0].count(": ") == 3
    assert lines[1] == "  (dark ink on light paper: inverted to mnist's light strokes on black)"


def _copy(cli_run: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(cli_run, copy)
    return copy


def _edit_manifest(folder: Path, edit) -> None:
    manifest = folder / "checkpoint.json"
    meta = json.loads(manifest.read_text())
    edit(meta, folder)
    manifest.write_text(json.dumps(meta))


def _unknown_model(cli_run, tmp_path):
    folder = _copy(cli_run, tmp_path)
    _edit_manifest(folder, lambda meta, _: meta["model"].update(name="resnet50"))
    return folder, "model 'resnet50' is not in the catalogue"


def _wrong_shape(cli_run, tmp_path):
    def edit(meta, folder):
        record = meta["files"]["model"]
        tensors = safetensors_torch.load_file(folder / record["file"])
        tensors["fc1.bias"] = torch.zeros(2, 5)  # as many values, another shape
        data = safetensors_torch.save(tensors)
        (folder / record["file"]).write_bytes(data)
        record["sha256"] = hashlib.sha256(data).hexdigest()

    folder = _copy(cli_run, tmp_path)
    _edit_manifest(folder, edit)
    return folder, "tensor 'fc1.bias' has shape (2, 5) but post_tensorflow expects (10,)"


def _damaged(cli_run, tmp_path):
    folder = _copy(cli_run, tmp_path)
    weights = next(folder.glob("model-*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:-8] + b"\0" * 8)
    return folder, "SHA-256 differs from checkpoint.json"


def _pickle_file(cli_run, tmp_path):
    from cnnbook.training import load_checkpoint

    path = tmp_path / "model.pt"
    torch.save(load_checkpoint(cli_run).model.state_dict(), path)
    return path, "refusing a pickle / torch.save file"


def _pickle_in_a_folder(cli_run, tmp_path):
    path, message = _pickle_file(cli_run, tmp_path)
    return path.parent, message


def _no_checkpoint(cli_run, tmp_path):
    (tmp_path / "empty").mkdir()
    return tmp_path / "empty", "no checkpoint.json; not a cnnbook checkpoint folder"


@pytest.mark.parametrize("make", [_unknown_model, _wrong_shape, _damaged, _pickle_file,
                                  _pickle_in_a_folder, _no_checkpoint], ids=lambda f: f.__name__)
def test_a_bad_checkpoint_is_one_line_exit_2(cli_run, tmp_path, capsys, make):
    checkpoint, message = make(cli_run, tmp_path)
    picture = tmp_path / "digit.png"
    Image.fromarray(load_mnist(limit=1, test_limit=1)[1][0][0]).save(picture)
    assert main(["predict", str(checkpoint), str(picture)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith("cnnbook predict: error: ") and message in captured.err
    assert str(checkpoint) in captured.err


def _write_truncated(path: Path) -> None:
    noise = np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)
    Image.fromarray(noise).save(path)
    path.write_bytes(path.read_bytes()[:400])


@pytest.mark.parametrize("name, write, extra, message", [
    ("notes.txt", lambda p: p.write_text("not a picture"), [], "not a PNG or JPEG image"),
    ("model.png", lambda p: p.write_bytes(b"\x80\x04\x95 pickle"), [], "not a PNG or JPEG"),
    ("cut.png", _write_truncated, [], "cannot read the image"),
    ("bomb.png", lambda p: Image.new("L", (400, 300)).save(p), ["--max-pixels", "100000"],
     "400×300 pixels is more than the limit of 100,000 (a decompression bomb?)"),
    ("blank.png", lambda p: Image.new("L", (40, 40), 255).save(p), [], "no strokes"),
    ("missing.png", lambda p: None, [], "no such file"),
])
def test_a_bad_picture_is_one_line_naming_it_and_nothing_else_is_printed(
        cli_run, tmp_path, capsys, name, write, extra, message):
    good, bad = tmp_path / "good.png", tmp_path / name
    Image.fromarray(load_mnist(limit=1, test_limit=1)[1][0][0]).save(good)
    write(bad)
    assert main(["predict", str(cli_run), str(good), str(bad), *extra]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # not even the good picture's line
    assert captured.err.startswith(f"cnnbook predict: error: {bad}: ")
    assert message in captured.err and captured.err.count("\n") == 1


def test_a_device_this_machine_lacks_is_one_line_exit_2(cli_run, tmp_path, capsys):
    picture = tmp_path / "digit.png"
    Image.fromarray(load_mnist(limit=1, test_limit=1)[1][0][0]).save(picture)
    assert main(["predict", str(cli_run), str(picture), "--device", "tpu"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cnnbook predict: error: --device tpu: ") and err.count("\n") == 1
