"""Loading trusts nothing in the checkpoint folder: the manifest's schema, the builder arguments,
the parameter count against the tensor file's header and a limit, plain names and no links are
checked before anything is built. Each refusal is one line from ``load_checkpoint``, and one line
on stderr with exit status 2 from ``cnnbook evaluate`` and ``cnnbook predict``, nothing written;
the cases that ask for a huge model run under a memory limit just above a measured torch import,
so an attempted allocation would fail loudly rather than pass by luck. (The pickle, decompression
bomb and truncated-image refusals are in ``test_cli_predict.py`` and
``test_saving_torch_checkpoint.py``.)"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cnnbook.saving.manifest import (
    MANIFEST,
    MAX_PARAMS,
    check_tensor_file,
    new_manifest,
    safetensors_values,
    validate_manifest,
)

FORMAT = ("cnnbook-checkpoint", 1)
MODEL = "post_tensorflow"  # 54,410 parameters, no batch norm


def header_file(path: Path, header: dict | list | bytes, data: bytes,
                length: int | None = None) -> Path:
    """A safetensors file written by hand: length, JSON header (or these bytes), data."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes((len(raw) if length is None else length).to_bytes(8, "little") + raw + data)
    return path


def good_meta() -> dict:
    return {"format": FORMAT[0], "format_version": FORMAT[1],
            "model": {"name": MODEL, "kwargs": {}}, "dataset": "mnist", "class_names": ["0"],
            "normalisation": {"mean": [0.1], "std": [0.3]}, "epoch": 1, "metrics": {"a": 1.0},
            "versions": {"python": "3"}, "files": {"model": {"file": "model-a.safetensors",
                                                             "sha256": "0" * 64}}}


def test_the_one_metadata_builder_writes_what_the_loader_reads(tmp_path):
    """Both writers' manifests: torch with its builder arguments, Keras with the default build
    (and ``framework``), versions merged; each one that validate_manifest accepts."""
    torch_meta = new_manifest("torch", MODEL, where=tmp_path, kwargs={"num_classes": 3},
                              class_names="abc", normalisation=([0.5], [0.25]), epoch=2,
                              metrics={"loss": 1}, versions={"safetensors": "0.8"})
    assert torch_meta["model"] == {"name": MODEL, "kwargs": {"num_classes": 3}}
    assert torch_meta["normalisation"] == {"mean": [0.5], "std": [0.25]}
    assert torch_meta["metrics"] == {"loss": 1.0} and torch_meta["versions"]["safetensors"] == "0.8"
    assert {"python", "cnnbook", "numpy"} <= torch_meta["versions"].keys()
    keras_meta = new_manifest("keras", MODEL, where=tmp_path)
    assert keras_meta["model"] == {"name": MODEL} and keras_meta["framework"] == "keras"
    for meta, fmt in ((torch_meta, FORMAT), (keras_meta, ("cnnbook-keras-checkpoint", 1))):
        meta["files"] = {"model": {"file": "model-a.x", "sha256": "0" * 64}}
        assert validate_manifest(meta, "here", *fmt) is meta


@pytest.mark.parametrize("framework, name, kwargs, extra, message", [
    ("torch", "resnet50", {}, {}, "'resnet50'"),
    ("keras", "unet_small", {}, {}, "'unet_small' has no Keras builder"),
    ("keras", MODEL, {"num_classes": 3}, {}, "holds post_tensorflow's default build"),
    ("torch", MODEL, {"depth": 3}, {}, "depth"),
    ("torch", MODEL, {"num_classes": 3}, {"class_names": "abcd"}, '"class_names" has 4 names'),
    ("torch", MODEL, {}, {"normalisation": ([0.1, 0.2], [1, 1])}, '"normalisation.mean" has 2'),
    ("torch", MODEL, {}, {"normalisation": ([0.1], [0])}, "positive finite"),
])
def test_the_builder_refuses_what_loading_would(tmp_path, framework, name, kwargs, extra,
                                                message):
    with pytest.raises(ValueError, match=message) as err:
        new_manifest(framework, name, where=tmp_path, kwargs=kwargs, **extra)
    assert "\n" not in str(err.value)
    assert not any(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("change, message", [
    (lambda m: [m], "must be a JSON object, not an array"),
    (lambda m: m.pop("files") and m, '"files" is missing'),
    (lambda m: m["model"].update(kwargs=[]) or m, '"model.kwargs" must be an object, not an array'),
    (lambda m: m.update(epoch=True) or m, '"epoch" must be an integer, not true or false'),
    (lambda m: m.update(epoch=-1) or m, '"epoch" must be at least 0'),
    (lambda m: m["class_names"].append(3) or m, '"class_names.1" must be a string, not an integer'),
    (lambda m: m["normalisation"].update(std="x") or m, '"normalisation.std" must be an array'),
    (lambda m: m["files"]["model"].update(sha256="x") or m, '"files.model.sha256" must be 64 hex'),
    (lambda m: m["files"].update(optimizer=None) or m, '"files.optimizer" must be an object'),
    (lambda m: m["model"].update(name="resnet50") or m, "model 'resnet50' is not in the catalogue"),
    (lambda m: m.update(format_version=2) or m, "not a cnnbook-checkpoint version 1 file"),
], ids=["list", "missing", "kwargs", "bool", "negative", "item", "nested", "sha", "part", "name",
        "version"])
def test_the_manifest_schema_names_the_field_in_one_line(change, message):
    assert validate_manifest(good_meta(), "here", *FORMAT) == good_meta()
    with pytest.raises(ValueError) as err:
        validate_manifest(change(good_meta()), "here/checkpoint.json", *FORMAT)
    assert str(err.value).startswith("here/checkpoint.json: ") and "\n" not in str(err.value)
    assert message in str(err.value)


def test_a_safetensors_header_is_read_and_checked_without_loading(tmp_path):
    f32 = {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}
    i64 = {"dtype": "I64", "shape": [], "data_offsets": [24, 32]}
    good = {"__metadata__": {"format": "pt"}, "w": f32, "n": i64}
    assert safetensors_values(header_file(tmp_path / "ok", good, bytes(32))) == 7
    (tmp_path / "tiny").write_bytes(b"\x01\x00\x00")
    with pytest.raises(ValueError, match="tiny: not a safetensors file"):
        safetensors_values(tmp_path / "tiny")
    for name, header, data, length, message in (
            ("cut", good, bytes(32), 3, "header is not JSON"),
            ("huge", good, bytes(32), 2**40, "header has 1,099,511,627,776 bytes"),
            ("list", [1], b"", None, "header is not a JSON object"),
            ("dtype", {"w": {**f32, "dtype": "X9"}}, bytes(24), None, "no valid dtype"),
            ("negative", {"w": {**f32, "shape": [-2, -3]}}, bytes(24), None, "no valid dtype"),
            ("span", {"w": {**f32, "shape": [2, 4]}}, bytes(24), None, "shape and dtype need"),
            ("overlap", {"w": f32, "v": f32}, bytes(24), None, "do not cover"),
            ("padded", good, bytes(40), None, "do not cover"),
            ("truncated", good, bytes(16), None, "do not cover"),
            ("deep", b"[" * 100_000 + b"]" * 100_000, b"", None,
             r"header is not JSON \(nested too deeply\)")):
        with pytest.raises(ValueError, match=message) as err:
            safetensors_values(header_file(tmp_path / name, header, data, length))
        assert str(err.value).startswith(str(tmp_path / name)), name


@pytest.mark.parametrize("name", ["../model.safetensors", "/tmp/model.safetensors",
                                  "sub/model.safetensors", ".model.safetensors", "..", "",
                                  "model.pt", "a\\b.safetensors"])
def test_tensor_file_names_must_be_plain_names_in_the_folder(tmp_path, name):
    with pytest.raises(ValueError, match="must be the plain name of a .safetensors file"):
        check_tensor_file(tmp_path, name, ".safetensors", "files.model.file")


def test_symbolic_links_are_refused(tmp_path):
    (tmp_path / "elsewhere.safetensors").write_bytes(b"")
    (tmp_path / "model.safetensors").symlink_to(tmp_path / "elsewhere.safetensors")
    with pytest.raises(ValueError, match="model.safetensors: a symbolic link"):
        check_tensor_file(tmp_path, "model.safetensors", ".safetensors", "files.model.file")


# The command line: each hostile folder is refused by `cnnbook evaluate` with exit status 2.

torch = pytest.importorskip("torch", reason="needs the torch extra")
safetensors_torch = pytest.importorskip("safetensors.torch", reason="needs the torch extra")


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    """A checkpoint of an untrained post_tensorflow that loads (the control)."""
    from cnnbook.models import catalogue
    from cnnbook.saving.torch_checkpoint import save_checkpoint

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("good") / "run"
    return save_checkpoint(folder, catalogue.get(MODEL).build("torch"), name=MODEL, epoch=1,
                           dataset="mnist", class_names=[str(i) for i in range(10)],
                           normalisation=([0.13], [0.31]))


def edited(good: Path, tmp_path: Path, change) -> Path:
    """A copy of ``good`` whose manifest is ``change(meta, folder)``: the parsed manifest,
    changed in place (``None``) or replaced, or a string written as it is."""
    folder = tmp_path / "bad"
    shutil.copytree(good, folder)
    meta = json.loads((folder / MANIFEST).read_text())
    new = change(meta, folder)
    new = meta if new is None else new
    (folder / MANIFEST).write_text(new if isinstance(new, str) else json.dumps(new))
    return folder


def kwargs(**values):
    return lambda meta, _: meta["model"].update(kwargs=values)


def model_file(meta: dict, folder: Path) -> Path:
    return folder / meta["files"]["model"]["file"]


def rewrite(make_bytes):
    """Replace the model's tensor file with ``make_bytes(old bytes)``, its SHA-256 updated."""
    def change(meta, folder):
        data = make_bytes(model_file(meta, folder).read_bytes())
        model_file(meta, folder).write_bytes(data)
        meta["files"]["model"]["sha256"] = hashlib.sha256(data).hexdigest()
    return change


def outside(meta, folder):
    shutil.copy(model_file(meta, folder), folder.parent / "model.safetensors")
    meta["files"]["model"]["file"] = "../model.safetensors"


def linked(meta, folder):
    target = folder.parent / "elsewhere.safetensors"
    model_file(meta, folder).rename(target)
    model_file(meta, folder).symlink_to(target)


def linked_manifest(meta, folder):
    (folder.parent / "manifest.json").write_text(json.dumps(meta))
    (folder / MANIFEST).unlink()
    (folder / MANIFEST).symlink_to(folder.parent / "manifest.json")


CASES = {
    "list": (lambda m, f: [m], "checkpoint.json: must be a JSON object, not an array"),
    "missing field": (lambda m, f: m.pop("files") and None, '"files" is missing'),
    "wrong type": (lambda m, f: m["model"].update(kwargs=[1]),
                   '"model.kwargs" must be an object, not an array'),
    "unknown argument": (kwargs(depth=3), "'depth' is not an argument of post_tensorflow "
                                          "(it takes in_channels, num_classes, input_size)"),
    "huge argument": (kwargs(num_classes=10**12), "num_classes must be an integer in "
                                                  "1..10,000, not 1000000000000"),
    "over the limit": (kwargs(input_size=4096), f"more than the limit of {MAX_PARAMS:,}"),
    "not the header's count": (kwargs(num_classes=11), "holds 54,410 values, but "
                                                      "post_tensorflow(num_classes=11) has 59,819"),
    "oversized header": (rewrite(lambda d: (2**40).to_bytes(8, "little") + d[8:]),
                         "header has 1,099,511,627,776 bytes"),
    "padded data": (rewrite(lambda d: d + bytes(64)), "do not cover the file's"),
    "name with ..": (outside, '"files.model.file" must be the plain name of a .safetensors'),
    "symlinked tensor file": (linked, "a symbolic link; checkpoint files must be plain files"),
    "symlinked manifest": (linked_manifest, "checkpoint.json: a symbolic link"),
    "nested too deeply": (lambda m, f: "[" * 100_000 + "]" * 100_000,
                          "checkpoint.json: not valid JSON (nested too deeply)"),
    "huge integer": (lambda m, f: '{"epoch": ' + "9" * 5000 + "}",
                     "checkpoint.json: not valid JSON (Exceeds the limit (4300 digits)"),
    "normalisation channels": (lambda m, f: m.update(normalisation={"mean": [0.1, 0.2, 0.3],
                                                                    "std": [0.3, 0.3, 0.3]}),
                               '"normalisation.mean" has 3 values, not 1 (post_tensorflow takes '
                               "1 input channel)"),
    "zero deviation": (lambda m, f: m["normalisation"].update(std=[0]),
                       '"normalisation.std" must be positive finite float32 numbers, not [0]'),
    "huge mean": (lambda m, f: m["normalisation"].update(mean=[10**400]),
                  '"normalisation.mean" must be finite float32 numbers'),
    "class names": (lambda m, f: m.update(class_names=["0", "1"]),
                    '"class_names" has 2 names, but post_tensorflow has 10 outputs'),
    "unknown part": (lambda m, f: m["files"].update(extra=m["files"]["model"]),
                     '"files.extra" is not a part of a cnnbook-checkpoint checkpoint'),
    "not JSON": (lambda m, f: "{", "checkpoint.json: not valid JSON"),
}


def snapshot(root: Path) -> dict[str, str]:
    """Every path under ``root`` with its content's SHA-256 (or where a link points)."""
    return {str(p.relative_to(root)): (f"-> {os.readlink(p)}" if p.is_symlink() else
                                       hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(root.rglob("*")) if p.is_symlink() or p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_hostile_checkpoint_folder_is_refused_by_the_loader_in_one_line(good, tmp_path, case):
    from cnnbook.saving.torch_checkpoint import load_checkpoint

    change, message = CASES[case]
    folder = edited(good, tmp_path, change)
    before = snapshot(tmp_path)
    with pytest.raises(ValueError) as err:
        load_checkpoint(folder)
    assert str(err.value).startswith(str(folder)) and "\n" not in str(err.value)
    assert message in str(err.value)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("command", ["evaluate", "predict"])
@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_hostile_checkpoint_folder_is_one_line_exit_2_and_nothing_written(
        good, tmp_path, capsys, case, command):
    from PIL import Image

    from cnnbook.cli import main

    change, message = CASES[case]
    folder = edited(good, tmp_path, change)
    picture = tmp_path / "digit.png"
    Image.new("L", (28, 28)).save(picture)
    before = snapshot(tmp_path)
    capsys.readouterr()
    pictures = [str(picture)] if command == "predict" else []
    assert main([command, str(folder), *pictures, "--device", "cpu"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith(f"cnnbook {command}: error: {folder}")
    assert message in captured.err
    assert snapshot(tmp_path) == before


def test_the_good_checkpoint_loads_and_builder_arguments_within_bounds_work(good, tmp_path):
    from cnnbook.models import catalogue
    from cnnbook.saving.torch_checkpoint import load_checkpoint, save_checkpoint

    assert load_checkpoint(good).name == MODEL
    (tmp_path / "latest").symlink_to(good, target_is_directory=True)  # a link to a run's folder
    assert load_checkpoint(tmp_path / "latest").name == MODEL
    model = catalogue.get("cifar_small").build("torch", num_classes=5, widths=(8, 16, 32))
    save_checkpoint(tmp_path / "small", model, name="cifar_small", epoch=0,
                    model_kwargs={"num_classes": 5, "widths": [8, 16, 32]})
    assert load_checkpoint(tmp_path / "small").model.fc.out_features == 5
    save_checkpoint(tmp_path / "one", model, name="cifar_small", epoch=0, class_names="abcde",
                    normalisation=([0.5], [0.25]),  # one value for three channels broadcasts
                    model_kwargs={"num_classes": 5, "widths": [8, 16, 32]})
    loaded = load_checkpoint(tmp_path / "one")
    assert loaded.class_names == tuple("abcde") and loaded.normalisation == ((0.5,), (0.25,))


# Under a memory limit: RLIMIT_AS (address space) at the address space the worker process has
# after importing torch and the loader (its VmPeak, measured there: 589 MiB here with torch
# 2.13 on CPU), plus MARGIN. A valid checkpoint loads under it; allocating the weights that the
# refused manifests ask for fails under it.
MARGIN = 256 * 2**20
NEAR_LIMIT = {"input_size": 448}  # post_keras at 448x448: 99.1M parameters (397 MB), allowed
NEAR_LIMIT_PARAMS = 99_143_434
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
IMPORTS = ("import torch, safetensors.torch, cnnbook.cli.evaluate\n"
           "import cnnbook.saving.torch_checkpoint\n"
           "def vm_peak():\n"
           "    for line in open('/proc/self/status'):\n"
           "        if line.startswith('VmPeak:'):\n"
           "            return int(line.split()[1]) * 1024\n")
WORKER = IMPORTS + """
import contextlib, io, json, resource, sys
from cnnbook.cli import main
from cnnbook.saving.torch_checkpoint import load_checkpoint
good, *bad = sys.argv[1:]
baseline = vm_peak()
limit = baseline + %d
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
results = {"baseline": baseline, "limit": limit, "refusals": []}
for folder in bad:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        status = main(["evaluate", folder, "--device", "cpu"])
    results["refusals"].append([status, err.getvalue()])
results["good"] = load_checkpoint(good).name
try:
    torch.empty(%d, dtype=torch.float32)  # the weights of the smallest refused request
    results["allocation"] = "allocated"
except RuntimeError as err:
    results["allocation"] = str(err).splitlines()[0][:80]
results["vm_peak"] = vm_peak()
print(json.dumps(results))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_huge_requests_are_refused_under_a_memory_limit_before_any_allocation(good, tmp_path):
    from cnnbook.models import catalogue

    assert catalogue.get("post_keras").spec_for(**NEAR_LIMIT).count_params() == NEAR_LIMIT_PARAMS
    assert NEAR_LIMIT_PARAMS * 4 > MARGIN  # building that model would not fit under the limit
    folders = []
    for i, change in enumerate((kwargs(num_classes=10**12),  # the 21.6 PB request
                                kwargs(input_size=4096),  # within bounds, over MAX_PARAMS
                                lambda m, f: m["model"].update(name="post_keras",
                                                               kwargs=NEAR_LIMIT))):
        (tmp_path / str(i)).mkdir()
        folders.append(str(edited(good, tmp_path / str(i), change)))
    before = snapshot(tmp_path)
    worker = WORKER % (MARGIN, NEAR_LIMIT_PARAMS)
    out = subprocess.run([sys.executable, "-c", worker, str(good), *folders],
                         capture_output=True, text=True, timeout=120, env=ENV)
    assert out.returncode == 0, out.stderr[-2000:]
    results = json.loads(out.stdout)
    messages = ["num_classes must be an integer in 1..10,000",
                f"more than the limit of {MAX_PARAMS:,}",
                f"holds 54,410 values, but post_keras(input_size=448) has {NEAR_LIMIT_PARAMS:,}"]
    for (status, err), message in zip(results["refusals"], messages, strict=True):
        assert status == 2 and err.count("\n") == 1 and message in err, err
    assert results["good"] == MODEL  # a real checkpoint still loads under the limit
    assert results["allocation"] != "allocated"  # and the refused model could not have
    assert results["baseline"] > 200 * 2**20 and results["vm_peak"] <= results["limit"]
    print(f"torch-import baseline (VmPeak) {results['baseline'] / 2**20:,.0f} MiB, limit "
          f"{results['limit'] / 2**20:,.0f} MiB, peak {results['vm_peak'] / 2**20:,.0f} MiB")
    assert snapshot(tmp_path) == before
