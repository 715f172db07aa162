"""A trained model of the catalogue as one small file that a web page can run: weights and facts.

    export_model(net, "draw/post_tensorflow.js", name="post_tensorflow",
                 class_names=MNIST_CLASSES, normalisation=None)
    exported = read_export("draw/post_tensorflow.js")  # NumPy only: layers, tensors, sha256
    net2 = load_exported("draw/post_tensorflow.js")     # the torch model again (eval mode)

The file is one JSON document::

    {"format": "cnnbook-browser-model", "format_version": 1,
     "model": "post_tensorflow", "dataset": "mnist", "input_shape": [1, 28, 28],
     "class_names": ["0", ...], "normalisation": {"mean": [...], "std": [...]} or null,
     "layers": [{"kind": "conv2d", "label": "conv1", "stride": [1, 1], "padding": [0, 0]},
                {"kind": "relu", ...}, {"kind": "max_pool2d", "kernel": [2, 2], ...},
                {"kind": "flatten"}, {"kind": "dense", "label": "fc1"}, {"kind": "softmax"}],
     "tensors": [{"name": "conv1.weight", "shape": [32, 1, 3, 3], "data": "<base64>"}, ...],
     "sha256": "<hex>"}

Layouts are torch's: conv weights ``(C_out, C_in, kH, kW)`` (OIHW) for NCHW inputs, dense
weights ``(out, in)``, flattening in ``(C, H, W)`` order. Each tensor is float32, little-endian,
base64-encoded. ``sha256`` is the SHA-256 of the tensors' raw bytes concatenated in the listed
order, so a page can show (and check) which weights it runs. The layers come from the catalogue
spec (dropout, an identity at inference, is left out); each layer with weights reads the tensors
``<label>.weight`` and ``<label>.bias``.

A file whose name ends in ``.js`` holds the same document wrapped in one JavaScript statement
(``SCRIPT_PREFIX`` + JSON + ``SCRIPT_SUFFIX``) that appends it to ``window.cnnbookModels``: a page
opened from ``file://`` can load a script but not ``fetch()`` a JSON file.

NumPy only, except :func:`load_exported` (torch, imported when it is called).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cnnbook.models import catalogue
from cnnbook.models.layers import LayerSpec, layer_names
from cnnbook.saving.atomic import write_atomic
from cnnbook.saving.manifest import FORMATS, encode_normalisation

__all__ = ["FORMAT", "SCRIPT_PREFIX", "SCRIPT_SUFFIX", "ExportError", "ExportedModel",
           "export_format", "export_model", "load_exported", "read_export", "weights_sha256"]

FORMAT, FORMAT_VERSION = FORMATS["browser"]
SCRIPT_PREFIX = "(window.cnnbookModels = window.cnnbookModels || []).push("
SCRIPT_SUFFIX = ");\n"


class ExportError(ValueError):
    """A model that cannot be exported, or a file that is not an export; one line."""


@dataclass(frozen=True)
class ExportedModel:
    """An export read back (NumPy only).

    Attributes:
        name, dataset: the catalogue name and the dataset it was trained on.
        input_shape: one input ``(C, H, W)``.
        class_names: indexed by label.
        normalisation: per-channel ``(mean, std)`` applied as ``(x - mean) / std`` to inputs in
            [0, 1], or ``None``.
        layers: the forward pass, as in the file.
        tensors: name to float32 array, in the file's order (torch layouts).
        sha256: of the tensors' bytes (checked against the file when read).
    """

    name: str
    dataset: str
    input_shape: tuple[int, int, int]
    class_names: tuple[str, ...]
    normalisation: tuple[tuple[float, ...], tuple[float, ...]] | None
    layers: tuple[dict[str, Any], ...]
    tensors: dict[str, np.ndarray]
    sha256: str


def weights_sha256(tensors: Sequence[np.ndarray]) -> str:
    """SHA-256 (hex) of the tensors as float32 little-endian bytes, concatenated in order."""
    digest = hashlib.sha256()
    for tensor in tensors:
        digest.update(np.ascontiguousarray(tensor, dtype="<f4").tobytes())
    return digest.hexdigest()


def _layer(layer: LayerSpec, name: str) -> dict[str, Any] | None:
    """One spec layer as the JSON the page runs (the spec's own rule); ``None`` for an
    inference-time identity."""
    try:
        return layer.export_form(name)
    except ValueError as err:
        raise ExportError(str(err)) from None


def _spec_layers(name: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The layers of catalogue model ``name`` and the tensor names they read, in order."""
    spec = catalogue.get(name).spec
    layers, wanted = [], []
    for layer, label in zip(spec.layers, layer_names(list(spec.layers)), strict=True):
        entry = _layer(layer, label)
        if entry is None:
            continue
        layers.append(entry)
        if entry["kind"] in ("conv2d", "dense"):
            wanted += [f"{label}.weight"] + ([f"{label}.bias"] if entry["bias"] else [])
    return layers, wanted


def export_model(model: Any, path: str | Path, *, name: str, class_names: Sequence[str],
                 normalisation: tuple[Sequence[float], Sequence[float]] | None = None,
                 ) -> ExportedModel:
    """Write the trained torch ``model`` (catalogue model ``name``) to ``path``.

    Args:
        model: an ``nn.Module`` built by ``catalogue.get(name).build("torch")``; its
            ``state_dict()`` must hold exactly ``<label>.weight`` / ``<label>.bias`` of the
            spec's conv and dense layers.
        path: ``.json`` for plain JSON, ``.js`` for the script form (see the module docstring).
        class_names: one per output, indexed by label.
        normalisation: per-channel ``(mean, std)`` the inputs in [0, 1] were normalised with.

    Returns:
        The export as :func:`read_export` reads it back.

    Raises:
        ExportError: a model that is not ``name``'s, a layer the page cannot run, weights that do
            not match the spec, or a suffix other than ``.json`` and ``.js``.
    """
    path = Path(path)
    if path.suffix not in (".json", ".js"):
        raise ExportError(f"{path}: the file name must end in .json or .js")
    entry = catalogue.get(name)
    mismatch = entry.mismatch(model, "torch")
    if mismatch is not None:
        raise ExportError(mismatch)
    layers, wanted = _spec_layers(name)
    state = {k: v.detach().to("cpu").numpy().astype(np.float32)
             for k, v in model.state_dict().items()}  # torch layouts
    if sorted(state) != sorted(wanted):
        raise ExportError(f"{name}: the model's tensors {sorted(state)} are not the spec's "
                          f"{sorted(wanted)}")
    classes = entry.spec.output_shapes()[-1][0]
    if len(class_names) != classes:
        raise ExportError(f"{name} has {classes} outputs but {len(class_names)} class names")
    tensors = [state[k] for k in wanted]
    document = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "model": name,
        "dataset": entry.dataset, "input_shape": list(entry.input_shape("torch")),
        "class_names": [str(c) for c in class_names],
        "normalisation": encode_normalisation(normalisation),
        "layers": layers,
        "tensors": [{"name": k, "shape": list(t.shape),
                     "data": base64.b64encode(t.astype("<f4").tobytes()).decode("ascii")}
                    for k, t in zip(wanted, tensors, strict=True)],
        "sha256": weights_sha256(tensors),
    }
    text = json.dumps(document, separators=(",", ":"))
    if path.suffix == ".js":
        text = SCRIPT_PREFIX + text + SCRIPT_SUFFIX
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text.encode("utf-8"))  # a crash leaves the old file or the new one
    return read_export(path)


def _document(path: Path) -> Mapping[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ExportError(f"{path}: cannot read it ({err})") from None
    if path.suffix == ".js":
        if not (text.startswith(SCRIPT_PREFIX) and text.endswith(SCRIPT_SUFFIX)):
            raise ExportError(f"{path}: not an exported model script")
        text = text[len(SCRIPT_PREFIX):-len(SCRIPT_SUFFIX)]
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise ExportError(f"{path}: not JSON ({err})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ExportError(f"{path}: not a {FORMAT} file")
    if document.get("format_version") != FORMAT_VERSION:
        raise ExportError(f"{path}: format version {document.get('format_version')!r}, "
                          f"this cnnbook reads {FORMAT_VERSION}")
    return document


def export_format(path: str | Path) -> str | None:
    """The ``format`` of the export at ``path`` (:data:`FORMAT`), or ``None`` when it is not a
    readable export of this format version (NumPy is not needed: only the JSON is read)."""
    try:
        return str(_document(Path(path))["format"])
    except ExportError:
        return None


def read_export(path: str | Path) -> ExportedModel:
    """Read an export (``.json`` or ``.js``) back, checking its tensors and their hash.

    Raises:
        ExportError: one line naming the file: unreadable, not an export, a model the catalogue
            does not have, tensors missing or of the wrong shape, or a hash that does not match.
    """
    path = Path(path)
    document = _document(path)
    try:
        name = str(document["model"])
        entry = catalogue.get(name)
        layers, wanted = _spec_layers(name)
        tensors: dict[str, np.ndarray] = {}
        for item in document["tensors"]:
            raw = base64.b64decode(item["data"], validate=True)
            tensors[item["name"]] = np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(
                item["shape"])
        normalisation = document["normalisation"]
        class_names = tuple(str(c) for c in document["class_names"])
        sha256 = str(document["sha256"])
    except (KeyError, TypeError, ValueError, binascii.Error) as err:
        raise ExportError(f"{path}: damaged export ({type(err).__name__}: {err})") from None
    if list(tensors) != wanted:
        raise ExportError(f"{path}: tensors {list(tensors)}, but {name} needs {wanted}")
    state_shapes = _state_shapes(entry)
    for key, tensor in tensors.items():
        if key in state_shapes and tuple(tensor.shape) != state_shapes[key]:
            raise ExportError(f"{path}: {key} has shape {tuple(tensor.shape)}, "
                              f"{name} needs {state_shapes[key]}")
    if weights_sha256(list(tensors.values())) != sha256:
        raise ExportError(f"{path}: the weights do not match their SHA-256 (damaged file)")
    return ExportedModel(
        name=name, dataset=entry.dataset, input_shape=entry.input_shape("torch"),
        class_names=class_names,
        normalisation=None if normalisation is None else (
            tuple(float(v) for v in normalisation["mean"]),
            tuple(float(v) for v in normalisation["std"])),
        layers=tuple(layers), tensors=tensors, sha256=sha256)


def _state_shapes(entry: catalogue.ModelEntry) -> dict[str, tuple[int, ...]]:
    """Weight shapes that the spec fixes: ``(out, in, kh, kw)`` for convs, ``(out, in)`` dense."""
    spec = entry.spec
    inputs = [spec.input_shape, *spec.output_shapes()]
    labels = layer_names(list(spec.layers))
    return {f"{label}.{part}": shape
            for layer, label, shape_in in zip(spec.layers, labels, inputs, strict=False)
            for part, shape in layer.weight_shapes(shape_in).items()}


def load_exported(path: str | Path) -> Any:
    """The torch model of an export, rebuilt from the catalogue, in eval mode, on the CPU.

    Raises:
        ExportError: as :func:`read_export`.
        ImportError: naming the extra to install when torch is missing.
    """
    exported = read_export(path)
    import torch  # here only: reading an export needs NumPy alone

    model = catalogue.get(exported.name).build("torch")
    state = {k: torch.from_numpy(v.copy()) for k, v in exported.tensors.items()}
    model.load_state_dict(state, strict=True)
    return model.eval()
