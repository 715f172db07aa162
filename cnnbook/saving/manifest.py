"""The ``checkpoint.json`` that both checkpoint formats commit last: how it is written (one
metadata builder, one content-addressed commit), which format a path holds, and every check made
on a checkpoint folder before anything is built (light: JSON, the catalogue; h5py for a Keras
file).

:mod:`cnnbook.saving.torch_checkpoint` (torch, safetensors) and
:mod:`cnnbook.saving.keras_checkpoint` (Keras, ``.keras``) each write a folder whose
``checkpoint.json`` names its ``format`` (:data:`FORMATS`), ``format_version`` and catalogue
``model``; both build it with :func:`new_manifest` and write it with :func:`commit_checkpoint`.
:func:`cnnbook.saving.format_of` says which of the formats a path holds, reading only the
manifest (or, for a browser export, the file's ``format``). Loading trusts nothing in the
folder: both loaders find the folder with :func:`checkpoint_folder` (which refuses pickle
files) and call :func:`check_checkpoint`, which, before a model is built or a tensor allocated,

1. reads ``checkpoint.json`` (a regular file, not a symbolic link, at most
   :data:`MAX_MANIFEST_BYTES`; JSON that Python's parser reads, so not nested too deeply) and
   checks its shape (:func:`validate_manifest`): a JSON object whose fields have the expected
   types, refused with one line naming the field;
2. checks the builder arguments (``model.kwargs``) against those the catalogue entry declares,
   names and bounds (:meth:`~cnnbook.models.catalogue.ModelEntry.check_args`);
3. derives from the spec and those arguments how many values the model's tensor file must hold
   (parameters, plus batch norm's running statistics), without allocating, and refuses a model
   of more than :data:`MAX_PARAMS` parameters;
4. checks each tensor file named (:func:`check_tensor_file`): a plain name inside the folder, a
   regular file, not a symbolic link;
5. reads what the file says it holds without loading it: the safetensors header (bounded to
   :data:`MAX_HEADER_BYTES`, its offsets checked against the file's size), or the ``.keras``
   zip's members, the layers of its ``config.json`` and the weight shapes of its
   ``model.weights.h5``, and refuses any count other than the one derived in 3;
6. checks that the manifest's normalisation and class names fit that model
   (:func:`check_fit`): one mean and one standard deviation, or one per input channel, finite,
   the deviations positive; no class names, or one per output of a classifier.

Every refusal is a one-line ``ValueError`` naming the file.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np

from cnnbook.models import catalogue
from cnnbook.models.specs import Architecture
from cnnbook.report import package_versions
from cnnbook.saving.atomic import write_atomic

__all__ = ["FORMATS", "MANIFEST", "MAX_HEADER_BYTES", "MAX_MANIFEST_BYTES", "MAX_PARAMS",
           "Checked", "SavedCheckpoint", "check_checkpoint", "check_fit", "check_tensor_file",
           "checkpoint_folder", "commit_checkpoint", "encode_normalisation",
           "manifest_format", "named_files", "new_manifest", "read_manifest",
           "safetensors_values", "validate_manifest", "verified_bytes"]

MANIFEST = "checkpoint.json"
# The formats of cnnbook's saved models, by framework: a checkpoint folder's ``checkpoint.json``
# (torch, Keras) or a browser export's file says its format and version.
FORMATS: dict[str, tuple[str, int]] = {"torch": ("cnnbook-checkpoint", 1),
                                       "keras": ("cnnbook-keras-checkpoint", 1),
                                       "browser": ("cnnbook-browser-model", 1)}
# Files that would run code when loaded (pickle, torch.save, legacy HDF5 models): refused.
PICKLE_SUFFIXES = frozenset({".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin", ".tar", ".h5",
                             ".hdf5"})
MAX_PARAMS = 100_000_000  # a loadable model: 400 MB of float32, 300x the book's largest
MAX_MANIFEST_BYTES = 16 * 2**20  # checkpoint.json (the optimizer's state is in the tensor files)
MAX_HEADER_BYTES = 100_000_000  # a safetensors header: the safetensors library's own limit
STATE_FACTOR = 4  # an optimizer or scheduler file: at most 4 values per model value (Adam has 2)
_DTYPE_BYTES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2,
                "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}
_FLOAT32_MAX, _FLOAT32_TINY = 3.4028234663852886e38, 1.1754943508222875e-38
_JSON_NAMES = {dict: "an object", list: "an array", str: "a string", int: "an integer",
               float: "a number", bool: "true or false", type(None): "null"}
_PARTS = {"torch": (("model", ".safetensors"), ("optimizer", ".safetensors"),
                    ("scheduler", ".safetensors")),
          "keras": (("model", ".keras"),)}
Framework = Literal["torch", "keras"]


class Checked(NamedTuple):
    """What :func:`check_checkpoint` found: the manifest, the builder arguments as the builder
    takes them, and each tensor file's path by part (``"model"``, ``"optimizer"`` ...)."""

    meta: dict[str, Any]
    kwargs: dict[str, Any]
    files: dict[str, Path]


def _json(raw: bytes, message: str) -> Any:
    """``raw`` parsed as JSON, else a one-line ValueError: ``message`` and why (bad syntax or
    encoding, nesting deeper than the parser's recursion limit, an integer of over 4,300
    digits)."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as err:  # JSONDecodeError, UnicodeDecodeError
        why = "nested too deeply" if isinstance(err, RecursionError) else str(err)
        raise ValueError(f"{message} ({(why.splitlines() or ['?'])[0][:200]})") from None


def _manifest_bytes(manifest: Path) -> bytes:
    """``checkpoint.json``'s bytes: a regular file, no link, at most MAX_MANIFEST_BYTES."""
    info = os.lstat(manifest)
    if stat.S_ISLNK(info.st_mode):
        raise ValueError(f"{manifest}: a symbolic link; checkpoint files must be plain files in "
                         "the folder")
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_MANIFEST_BYTES:
        raise ValueError(f"{manifest}: not a regular file of at most {MAX_MANIFEST_BYTES:,} "
                         "bytes")
    return manifest.read_bytes()


def manifest_format(path: str | Path) -> str | None:
    """The ``format`` of the checkpoint at ``path`` (a folder or its ``checkpoint.json``), or
    ``None`` when there is no readable manifest."""
    manifest = Path(path)
    manifest = manifest if manifest.name == MANIFEST else manifest / MANIFEST
    try:
        value = _json(_manifest_bytes(manifest), str(manifest)).get("format")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def checkpoint_folder(path: str | Path) -> Path:
    """The checkpoint folder that ``path`` names: the folder, or its ``checkpoint.json``.

    Raises:
        ValueError: one line naming the file, for a pickle, ``torch.save`` or legacy HDF5 file
            (which would run code when loaded), given directly or found in a folder without a
            manifest; for any other file.
        FileNotFoundError: for a folder without a ``checkpoint.json`` or no such path.
    """
    path = Path(path)
    if path.is_file() and path.name == MANIFEST:
        return path.parent
    suspects = [path] if path.is_file() else (
        sorted(path.iterdir()) if path.is_dir() and not (path / MANIFEST).is_file() else [])
    for file in (f for f in suspects if f.is_file()):
        with file.open("rb") as f:
            head = f.read(4)
        if file.suffix in PICKLE_SUFFIXES or head[:1] == b"\x80" or head == b"PK\x03\x04":
            raise ValueError(f"{file}: refusing a pickle / torch.save file (or a legacy Keras "
                             f"one); cnnbook loads only checkpoint folders ({MANIFEST} and the "
                             "files it names)")
    if path.is_file():
        raise ValueError(f"{path}: not a cnnbook checkpoint folder (pass the folder that holds "
                         f"{MANIFEST})")
    if not (path / MANIFEST).is_file():
        raise FileNotFoundError(f"{path}: no {MANIFEST}; not a cnnbook checkpoint folder")
    return path


@dataclass(kw_only=True)
class SavedCheckpoint:
    """What a loaded checkpoint of either format holds besides its model (the torch
    :class:`~cnnbook.saving.torch_checkpoint.Checkpoint` and
    :class:`~cnnbook.saving.keras_checkpoint.KerasCheckpoint` add it).

    Attributes:
        name, dataset, class_names, epoch, metrics, versions: as saved.
        normalisation: per-channel ``(mean, std)`` tuples, or ``None``.
        path: the checkpoint folder.
        model_kwargs: the builder arguments the model was rebuilt with (``{}``: the catalogue's
            defaults, always so for Keras); ``catalogue.get(name).spec_for(**model_kwargs)`` is
            its architecture.
    """

    name: str
    dataset: str
    class_names: tuple[str, ...]
    normalisation: tuple[tuple[float, ...], tuple[float, ...]] | None
    epoch: int
    metrics: dict[str, float]
    versions: dict[str, str]
    path: Path
    model_kwargs: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def fields(checked: Checked, folder: Path) -> dict[str, Any]:
        """These fields from what :func:`check_checkpoint` returned for ``folder``."""
        meta, norm = checked.meta, checked.meta["normalisation"]
        return {"name": meta["model"]["name"], "dataset": meta["dataset"],
                "class_names": tuple(meta["class_names"]),
                "normalisation": None if norm is None else (tuple(norm["mean"]),
                                                            tuple(norm["std"])),
                "epoch": meta["epoch"], "metrics": meta["metrics"],
                "versions": meta["versions"], "path": folder,
                "model_kwargs": dict(checked.kwargs)}


def named_files(folder: Path) -> set[str]:
    """The file names that the ``checkpoint.json`` in ``folder`` names now (none without a
    readable one): what a save that fails, even after committing its manifest, must keep."""
    try:
        files = _json(_manifest_bytes(folder / MANIFEST), MANIFEST)["files"]
        return {record["file"] for record in files.values() if isinstance(record["file"], str)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return set()


def encode_normalisation(normalisation: tuple[Any, Any] | None) -> dict[str, list[float]] | None:
    """A manifest's ``"normalisation"``: ``{"mean": [...], "std": [...]}`` as floats, or ``None``
    (``normalisation``: per-channel ``(mean, std)``, any array-likes)."""
    if normalisation is None:
        return None
    return {"mean": np.asarray(normalisation[0], float).tolist(),
            "std": np.asarray(normalisation[1], float).tolist()}


def new_manifest(framework: Framework, name: str, *, where: str | Path,
                 kwargs: Mapping[str, Any] | None = None, dataset: str = "",
                 class_names: Sequence[str] = (), normalisation: tuple[Any, Any] | None = None,
                 epoch: int = 0, metrics: Mapping[str, float] | None = None,
                 versions: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The manifest of a ``framework`` checkpoint of the catalogue model ``name``, checked as
    the loader will check it before anything is written.

    Args:
        framework: ``"torch"`` or ``"keras"`` (its :data:`FORMATS` entry).
        name: the catalogue model; ``kwargs``: its builder arguments (torch; a Keras checkpoint
            holds the default build and its manifest no ``kwargs``).
        where: the folder, for the messages.
        dataset, class_names: what the model was trained on; class names indexed by label.
        normalisation: per-channel ``(mean, std)`` (any array-likes) the inputs were normalised
            with, or ``None``.
        epoch: epochs trained. metrics: stored as floats. versions: added to
            :func:`~cnnbook.report.package_versions` (say, the tensor format's library).

    Returns:
        ``{"format", "format_version", "model", "dataset", "class_names", "normalisation",
        "epoch", "metrics", "versions"}`` (and ``"framework": "keras"`` for Keras);
        :func:`commit_checkpoint` adds ``"files"``.

    Raises:
        ValueError: one line: ``name`` is not in the catalogue (or has no Keras builder),
            ``kwargs`` are not ones it declares, or the normalisation or class names do not
            fit the model (:func:`check_fit`).
    """
    entry = catalogue.get(name)  # a one-line ValueError listing the names otherwise
    if framework not in entry.frameworks:
        raise ValueError(f"catalogue model {name!r} has no {framework.capitalize()} builder")
    fmt, version = FORMATS[framework]
    model: dict[str, Any] = {"name": name}
    if framework == "torch":
        model["kwargs"] = dict(kwargs or {})
    elif kwargs:
        raise ValueError(f"a Keras checkpoint holds {name}'s default build, not {dict(kwargs)}")
    meta: dict[str, Any] = {
        "format": fmt, "format_version": version,
        **({"framework": "keras"} if framework == "keras" else {}),
        "model": model, "dataset": dataset, "class_names": list(class_names),
        "normalisation": encode_normalisation(normalisation),
        "epoch": int(epoch), "metrics": {k: float(v) for k, v in (metrics or {}).items()},
        "versions": {**package_versions(), **(versions or {})},
    }
    check_fit(meta, entry.spec_for(**model.get("kwargs", {})), name, str(where))
    return meta


def commit_checkpoint(folder: Path, parts: dict[str, tuple[str, bytes]], meta: dict[str, Any],
                      known: tuple[str, ...]) -> None:
    """Write a checkpoint into ``folder`` so that a crash leaves the old one or the new one.

    Each part ``{name: (suffix, data)}`` goes to a content-addressed file,
    ``<name>-<first 16 hex digits of its SHA-256>.<suffix>`` (an identical file already there is
    kept), written atomically and recorded in ``meta["files"]``; then the manifest, atomically.
    On any failure, even after the manifest's rename, the files this call wrote that the manifest
    on disk does not name are removed. After success, the files of the checkpoint it replaced
    (``<part>-*.<suffix>`` for a ``known`` part, not named now) are removed.
    """
    written: list[Path] = []
    meta["files"] = {}
    try:
        for part, (suffix, data) in parts.items():
            digest = hashlib.sha256(data).hexdigest()
            file = folder / f"{part}-{digest[:16]}.{suffix}"
            if not file.exists():
                write_atomic(file, data)
                written.append(file)
            meta["files"][part] = {"file": file.name, "sha256": digest}
        write_atomic(folder / MANIFEST, json.dumps(meta, indent=2).encode() + b"\n")
    except BaseException:  # keep what the manifest on disk names (an interrupt can come after
        keep = named_files(folder)  # its rename): the previous checkpoint, or this one
        for file in (f for f in written if f.name not in keep):
            file.unlink(missing_ok=True)
        raise
    live = {record["file"] for record in meta["files"].values()}
    suffixes = {suffix for suffix, _ in parts.values()}
    for old in folder.iterdir():  # the files of the checkpoint this one replaced
        part, dash, rest = old.name.partition("-")
        if dash and part in known and rest.rpartition(".")[2] in suffixes and \
                old.name not in live and old.is_file():
            old.unlink(missing_ok=True)


def _type_name(value: Any) -> str:
    return _JSON_NAMES.get(type(value), type(value).__name__)


def _field(obj: dict[str, Any], key: str, kinds: tuple[type, ...], where: str, path: str,
           *, required: bool = True) -> Any:
    """``obj[key]``, checked to be of one of ``kinds`` (``bool`` is no integer here)."""
    name = f"{path}.{key}" if path else key
    if key not in obj:
        if required:
            raise ValueError(f'{where}: "{name}" is missing')
        return None
    value = obj[key]
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        wanted = " or ".join(_JSON_NAMES[k] for k in kinds)
        raise ValueError(f'{where}: "{name}" must be {wanted}, not {_type_name(value)}')
    return value


def _items(value: Any, kinds: tuple[type, ...], where: str, name: str) -> None:
    """Every item of the array (or values of the object) ``value`` is of one of ``kinds``."""
    for key, item in (value.items() if isinstance(value, dict) else enumerate(value)):
        _field({str(key): item}, str(key), kinds, where, name)


def validate_manifest(meta: Any, where: str | Path, fmt: str, version: int) -> dict[str, Any]:
    """``meta`` (a parsed ``checkpoint.json``) checked to be the manifest of a ``fmt`` version
    ``version`` checkpoint of a catalogue model: a one-line ``ValueError`` starting with
    ``where`` and naming the first bad field otherwise. Fields it does not know are ignored."""
    where = str(where)
    if not isinstance(meta, dict):
        raise ValueError(f"{where}: must be a JSON object, not {_type_name(meta)}")
    if _field(meta, "format", (str,), where, "") != fmt or _field(
            meta, "format_version", (int,), where, "") != version:
        raise ValueError(f"{where}: not a {fmt} version {version} file")
    model = _field(meta, "model", (dict,), where, "")
    name = _field(model, "name", (str,), where, "model")
    if name not in catalogue.CATALOGUE:
        raise ValueError(f"{where}: model {name!r} is not in the catalogue; "
                         f"choose from {', '.join(catalogue.CATALOGUE)}")
    _field(model, "kwargs", (dict,), where, "model", required=False)
    _field(meta, "dataset", (str,), where, "")
    _items(_field(meta, "class_names", (list,), where, ""), (str,), where, "class_names")
    if _field(meta, "normalisation", (dict, type(None)), where, "") is not None:
        for key in ("mean", "std"):
            values = _field(meta["normalisation"], key, (list,), where, "normalisation")
            _items(values, (int, float), where, f"normalisation.{key}")
    if _field(meta, "epoch", (int,), where, "") < 0:
        raise ValueError(f'{where}: "epoch" must be at least 0, not {meta["epoch"]}')
    _items(_field(meta, "metrics", (dict,), where, ""), (int, float), where, "metrics")
    _items(_field(meta, "versions", (dict,), where, ""), (str,), where, "versions")
    files = _field(meta, "files", (dict,), where, "")
    _field(files, "model", (dict,), where, "files")
    for part, record in files.items():
        _field(files, part, (dict,), where, "files")
        _field(record, "file", (str,), where, f"files.{part}")
        digest = _field(record, "sha256", (str,), where, f"files.{part}")
        if len(digest) != 64 or digest.strip("0123456789abcdef"):
            raise ValueError(f'{where}: "files.{part}.sha256" must be 64 hex digits')
    for part in ("optimizer", "scheduler"):
        if _field(meta, part, (dict, type(None)), where, "", required=False) is not None:
            _field(meta[part], "class", (str,), where, part)
            _field(meta[part], "state", (dict,), where, part)
    return meta


def read_manifest(folder: Path, fmt: str, version: int) -> dict[str, Any]:
    """The manifest of the checkpoint ``folder``, read as :func:`_manifest_bytes` allows and
    checked by :func:`validate_manifest`.

    Raises:
        ValueError: one line naming the manifest: a symbolic link or not a regular file, too
            large, invalid JSON (or nested too deeply), another format or version, a field
            missing or of the wrong type, or a model that is not in the catalogue.
    """
    manifest = folder / MANIFEST
    meta = _json(_manifest_bytes(manifest), f"{manifest}: not valid JSON")
    return validate_manifest(meta, manifest, fmt, version)


def check_tensor_file(folder: Path, name: str, suffix: str, field: str) -> Path:
    """``folder / name`` after checking that ``name`` (the manifest's ``field``) is a plain file
    name ending in ``suffix`` and that the file is a regular file in ``folder``, not a link."""
    plain = (name not in ("", ".", "..") and not name.startswith(".")
             and not any(c in name for c in "/\\\0") and Path(name).name == name)
    if not plain or not name.endswith(suffix):
        raise ValueError(f'{folder / MANIFEST}: "{field}" must be the plain name of a {suffix} '
                         f"file in the checkpoint folder, not {name!r}")
    path = folder / name
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file, but {MANIFEST} names it") from None
    if stat.S_ISLNK(info.st_mode):
        raise ValueError(f"{path}: a symbolic link; checkpoint files must be plain files in the "
                         "folder")
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{path}: not a regular file")
    return path


def verified_bytes(file: Path, record: Mapping[str, Any]) -> bytes:
    """The bytes of the tensor file ``file`` (checked by :func:`check_tensor_file`), after
    checking them against the SHA-256 that the manifest's ``record`` gives."""
    data = file.read_bytes()
    if hashlib.sha256(data).hexdigest() != record["sha256"]:
        raise ValueError(f"{file}: SHA-256 differs from {MANIFEST}; the file is damaged")
    return data


def safetensors_values(path: Path) -> int:
    """How many values the safetensors file ``path`` holds, from its header alone: an 8-byte
    little-endian length (at most :data:`MAX_HEADER_BYTES`), a JSON object of ``{"dtype",
    "shape", "data_offsets"}`` per tensor, whose byte ranges must tile the rest of the file."""
    size = path.stat().st_size
    with path.open("rb") as f:
        length = int.from_bytes(f.read(8), "little") if size >= 8 else 0
        if not 0 < length <= min(MAX_HEADER_BYTES, size - 8):
            raise ValueError(f"{path}: not a safetensors file (it says its header has {length:,} "
                             f"bytes, in a file of {size:,}; the limit is {MAX_HEADER_BYTES:,})")
        header = _json(f.read(length), f"{path}: the safetensors header is not JSON")
    if not isinstance(header, dict):
        raise ValueError(f"{path}: the safetensors header is not a JSON object")
    header.pop("__metadata__", None)
    values, ranges = 0, []
    for key, record in header.items():
        try:
            shape, (start, end) = record["shape"], record["data_offsets"]
            itemsize = _DTYPE_BYTES[record["dtype"]]
            numbers = [*shape, start, end]
            if not all(type(n) is int and n >= 0 for n in numbers):
                raise TypeError
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"{path}: tensor {key[:40]!r} has no valid dtype, shape and "
                             "offsets in the safetensors header") from None
        count = math.prod(shape)
        if end - start != count * itemsize:
            raise ValueError(f"{path}: tensor {key[:40]!r} spans {end - start:,} bytes, not "
                             f"the {count * itemsize:,} its shape and dtype need")
        values += count
        ranges.append((start, end))
    position = 0
    for start, end in sorted(ranges):  # each range starts where the one before ended
        if start != position:
            position = -1
            break
        position = end
    if position != size - 8 - length:
        raise ValueError(f"{path}: the tensors' offsets do not cover the file's "
                         f"{size - 8 - length:,} data bytes exactly (truncated or padded?)")
    return values


def _label(entry: catalogue.ModelEntry, kwargs: dict[str, Any]) -> str:
    """``post_keras(input_size=448)``: the model and its builder arguments, if any."""
    described = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    return f"{entry.name}({described})" if kwargs else entry.name


def expected_values(entry: catalogue.ModelEntry, kwargs: dict[str, Any],
                    framework: Framework, where: str) -> int:
    """How many values a ``framework`` checkpoint of ``entry`` built with ``kwargs`` holds:
    parameters and batch norm's running mean and variance (and torch's batch counter), from
    the spec; a ``ValueError`` beyond :data:`MAX_PARAMS` parameters or when the shapes fail."""
    label = _label(entry, kwargs)
    try:
        spec = entry.spec_for(**kwargs)
        params, norms = spec.count_params(), spec.batch_norm_features()
    except ValueError as err:
        raise ValueError(f'{where}: "model.kwargs": {err}') from None
    if params > MAX_PARAMS:
        raise ValueError(f"{where}: {label} has {params:,} parameters, more than the limit of "
                         f"{MAX_PARAMS:,}")
    return params + 2 * sum(norms) + (len(norms) if framework == "torch" else 0)


def check_fit(meta: dict[str, Any], spec: Architecture, label: str, where: str) -> None:
    """Check that the normalisation and class names of the manifest ``meta`` fit the model
    ``label`` whose architecture is ``spec``: one mean and one standard deviation, or one per
    input channel, all finite in float32, the deviations positive (at least float32's smallest
    normal number, so that dividing by them stays finite); no class names, or one per output of a
    classifier.

    Raises:
        ValueError: one line starting with ``where`` and naming the field.
    """
    channels, outputs = spec.input_shape[0], spec.output_shapes()[-1]
    norm = meta["normalisation"]
    for key in ("mean", "std") if norm is not None else ():
        values = norm[key]
        if len(values) not in (1, channels):
            want, plural = ("1", "") if channels == 1 else (f"1 or {channels}", "s")
            raise ValueError(f'{where}: "normalisation.{key}" has {len(values)} values, not '
                             f"{want} ({label} takes {channels} input channel{plural})")
        least = -_FLOAT32_MAX if key == "mean" else _FLOAT32_TINY
        if not all(least <= v <= _FLOAT32_MAX for v in values):  # False for NaN, too
            kind = "finite" if key == "mean" else "positive finite"
            raise ValueError(f'{where}: "normalisation.{key}" must be {kind} float32 numbers, not '
                             f"{str(values)[:80]}")
    names = meta["class_names"]
    if names and len(outputs) == 1 and len(names) != outputs[0]:
        raise ValueError(f'{where}: "class_names" has {len(names):,} names, but {label} has '
                         f"{outputs[0]:,} outputs")


def check_checkpoint(folder: Path, framework: Framework) -> Checked:
    """Everything about the checkpoint ``folder`` that can be checked without building the model
    or reading a tensor (the steps of the module docstring).

    Raises:
        ValueError: one line naming the file: its manifest or a tensor file is a symbolic link
            (the folder may be one, as ``latest -> runs/7`` is); the manifest is not of the
            schema (:func:`read_manifest`); builder arguments that the catalogue entry does not
            declare, or out of its bounds; a model over :data:`MAX_PARAMS`; a normalisation or
            class names that do not fit the model (:func:`check_fit`); a tensor file name that
            is not plain, a file that is not regular; a tensor file whose header (or ``.keras``
            config and weight shapes) is not valid or holds another number of values than the
            model.
    """
    fmt, version = FORMATS[framework]
    meta = read_manifest(folder, fmt, version)
    where = str(folder / MANIFEST)
    entry = catalogue.get(meta["model"]["name"])
    kwargs = meta["model"].get("kwargs") or {}
    if framework == "keras" and (kwargs or "keras" not in entry.frameworks):
        raise ValueError(f'{where}: "model" must be a catalogue model with a Keras builder, '
                         f"built with its defaults")
    try:
        kwargs = entry.check_args(kwargs)
    except ValueError as err:
        raise ValueError(f'{where}: "model.kwargs": {err}') from None
    expected = expected_values(entry, kwargs, framework, where)
    parts = dict(_PARTS[framework])
    files: dict[str, Path] = {}
    for part, record in meta["files"].items():
        if part not in parts:
            raise ValueError(f'{where}: "files.{part}" is not a part of a {fmt} checkpoint')
        files[part] = check_tensor_file(folder, record["file"], parts[part], f"files.{part}.file")
    if framework == "keras":
        from cnnbook.saving.keras_archive import keras_file_values  # h5py, light

        found = keras_file_values(files["model"], expected)
    else:
        found = safetensors_values(files["model"])
        for part in files.keys() - {"model"}:
            if safetensors_values(files[part]) > STATE_FACTOR * expected:
                raise ValueError(f"{files[part]}: holds more than {STATE_FACTOR} values per "
                                 "model value")
    label = _label(entry, kwargs)
    if found != expected:
        raise ValueError(f"{files['model']}: holds {found:,} values, but {label} has "
                         f"{expected:,} (parameters and batch-norm statistics)")
    check_fit(meta, entry.spec_for(**kwargs), label, where)
    return Checked(meta, kwargs, files)
