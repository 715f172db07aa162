"""Exported models for the browser: round trips (JSON and script form), a stable SHA-256 that is
the weights' own, the layer list run by cnnbook.ops equal to torch, and one-line refusals."""

from __future__ import annotations

import base64
import hashlib
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs the torch extra")

from cnnbook import ops
from cnnbook.models import catalogue
from cnnbook.saving.browser import (
    SCRIPT_PREFIX,
    SCRIPT_SUFFIX,
    ExportError,
    export_model,
    load_exported,
    read_export,
    weights_sha256,
)

DIGITS = tuple(str(i) for i in range(10))
NORM = ([0.1307], [0.3081])  # MNIST's usual mean and std


def build(name="post_tensorflow", seed=0):
    torch.manual_seed(seed)
    return catalogue.get(name).build("torch").eval()


def numpy_forward(exported, x):
    """The exported layer list run by cnnbook.ops on NCHW ``x``: logits ``(N, classes)``."""
    t = exported.tensors
    for layer in exported.layers:
        kind, label = layer["kind"], layer["label"]
        if kind == "conv2d":
            x = ops.conv2d(x, t[f"{label}.weight"], t[f"{label}.bias"],
                           stride=tuple(layer["stride"]), padding=tuple(layer["padding"]))
        elif kind == "relu":
            x = ops.relu(x)
        elif kind == "max_pool2d":
            x = ops.max_pool2d(x, tuple(layer["kernel"]), tuple(layer["stride"]))
        elif kind == "flatten":
            x = x.reshape(len(x), -1)
        elif kind == "dense":
            x = x @ t[f"{label}.weight"].T.astype(np.float64) + t[f"{label}.bias"]
    return x


@pytest.mark.parametrize("suffix", [".json", ".js"])
@pytest.mark.parametrize("name", ["post_tensorflow", "post_keras"])
def test_round_trip_gives_the_same_logits(tmp_path, name, suffix):
    model = build(name)
    path = tmp_path / f"{name}{suffix}"
    exported = export_model(model, path, name=name, class_names=DIGITS, normalisation=NORM)
    assert exported.name == name and exported.dataset == "mnist"
    assert exported.input_shape == (1, 28, 28) and exported.class_names == DIGITS
    assert exported.normalisation == ((0.1307,), (0.3081,))
    assert exported.layers[-1]["kind"] == "softmax"
    assert not any(layer["kind"] == "dropout" for layer in exported.layers)
    assert sum(t.size for t in exported.tensors.values()) == catalogue.get(name).count_params()
    x = torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    again = load_exported(path)
    assert type(again) is type(model) and not again.training
    with torch.no_grad():
        assert torch.equal(again(x), model(x))


def test_script_form_is_the_json_wrapped_in_one_statement(tmp_path):
    model = build()
    export_model(model, tmp_path / "m.json", name="post_tensorflow", class_names=DIGITS)
    export_model(model, tmp_path / "m.js", name="post_tensorflow", class_names=DIGITS)
    script = (tmp_path / "m.js").read_text()
    assert script.startswith(SCRIPT_PREFIX) and script.endswith(SCRIPT_SUFFIX)
    inner = script[len(SCRIPT_PREFIX):-len(SCRIPT_SUFFIX)]
    assert json.loads(inner) == json.loads((tmp_path / "m.json").read_text())


def test_the_layers_run_by_numpy_ops_equal_torch(tmp_path):
    model = build("post_keras")
    exported = export_model(model, tmp_path / "m.json", name="post_keras", class_names=DIGITS)
    x = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected = model(x).double().numpy()
    got = numpy_forward(exported, x.double().numpy())
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_hash_is_stable_and_is_the_weights_own(tmp_path):
    model = build()
    first = export_model(model, tmp_path / "a.json", name="post_tensorflow", class_names=DIGITS)
    second = export_model(model, tmp_path / "b.js", name="post_tensorflow", class_names=DIGITS,
                          normalisation=NORM)  # other metadata, same weights: same hash
    assert first.sha256 == second.sha256
    state = model.state_dict()
    raw = b"".join(state[k].numpy().astype("<f4").tobytes()
                   for k in ("conv1.weight", "conv1.bias", "fc1.weight", "fc1.bias"))
    assert first.sha256 == hashlib.sha256(raw).hexdigest()
    assert weights_sha256(list(first.tensors.values())) == first.sha256
    with torch.no_grad():
        model.fc1.bias[3] += 1e-3
    changed = export_model(model, tmp_path / "c.json", name="post_tensorflow",
                           class_names=DIGITS)
    assert changed.sha256 != first.sha256


def _damage(path, edit):
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document))


def _flip_a_weight(document):
    data = bytearray(base64.b64decode(document["tensors"][0]["data"]))
    data[0] ^= 1
    document["tensors"][0]["data"] = base64.b64encode(bytes(data)).decode()


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(format="something-else"), "not a cnnbook-browser-model file"),
    (lambda d: d.update(format_version=99), "format version 99"),
    (lambda d: d.update(model="no_such_model"), "damaged export"),
    (lambda d: d.pop("tensors"), "damaged export"),
    (lambda d: d["tensors"].pop(), "tensors"),
    (lambda d: d["tensors"][0].update(data="***"), "damaged export"),
    (lambda d: d["tensors"][0].update(shape=[32, 9]), r"conv1.weight has shape \(32, 9\)"),
    (_flip_a_weight, "do not match their SHA-256"),
])
def test_damaged_files_are_one_line_errors(tmp_path, edit, message):
    path = tmp_path / "m.json"
    export_model(build(), path, name="post_tensorflow", class_names=DIGITS)
    _damage(path, edit)
    with pytest.raises(ExportError, match=message) as info:
        read_export(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


@pytest.mark.parametrize("content, name, message", [
    ("{not json", "m.json", "not JSON"),
    ("[1, 2]", "m.json", "not a cnnbook-browser-model file"),
    ('{"format": "cnnbook-browser-model"}', "m.js", "not an exported model script"),
])
def test_files_that_are_not_exports_are_refused(tmp_path, content, name, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ExportError, match=message) as info:
        load_exported(path)
    assert "\n" not in str(info.value)


def test_missing_file_is_one_line(tmp_path):
    with pytest.raises(ExportError, match="cannot read it") as info:
        read_export(tmp_path / "none.json")
    assert "\n" not in str(info.value)


def test_what_cannot_be_exported_is_refused(tmp_path):
    with pytest.raises(ExportError, match="must end in .json or .js"):
        export_model(build(), tmp_path / "m.bin", name="post_tensorflow", class_names=DIGITS)
    with pytest.raises(ExportError, match="PostKeras"):
        export_model(build(), tmp_path / "m.json", name="post_keras", class_names=DIGITS)
    with pytest.raises(ExportError, match="10 outputs but 3 class names"):
        export_model(build(), tmp_path / "m.json", name="post_tensorflow", class_names="abc")
    with pytest.raises(ExportError, match="BatchNorm2dSpec"):
        export_model(build("post_pytorch_bn"), tmp_path / "m.json", name="post_pytorch_bn",
                     class_names=DIGITS)
    assert not (tmp_path / "m.json").exists()
