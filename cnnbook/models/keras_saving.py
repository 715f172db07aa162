"""Keras checkpoints: the model as a ``.keras`` file, loaded only with ``safe_mode=True``.

A Keras checkpoint is a folder, laid out like the torch checkpoints of
:mod:`cnnbook.training.checkpoints` so that one reader can tell them apart::

    run/
      checkpoint.json          metadata (format "cnnbook-keras-checkpoint") and the model file's
                               name and SHA-256: the commit point, replaced last
      model-<sha>.keras        ``model.save(...)``: Keras 3's zip of config JSON and weights

``checkpoint.json`` holds ``format``, ``format_version``, ``framework`` (``"keras"``), ``model``
(the catalogue ``name``), ``dataset``, ``class_names``, ``normalisation`` (per-channel
``{"mean", "std"}`` or null), ``epoch``, ``metrics``, ``versions`` (with the Keras backend) and
``files``. The ``.keras`` file is written under a temporary name in the folder, fsynced and renamed;
``<sha>`` is the start of its SHA-256, so a new save never overwrites the file that the current
``checkpoint.json`` names, and a crash leaves the previous checkpoint readable.

Loading never unpickles and never runs code from the file: :func:`load_keras_checkpoint` first
runs :func:`cnnbook.models.manifest.check_checkpoint`, which reads the ``.keras`` zip without
Keras (its members, the layers its ``config.json`` would build and the weight shapes in its
HDF5 file must all agree with the catalogue model, under a parameter limit; file names plain,
no symbolic links), then checks the SHA-256, then calls ``keras.saving.load_model(...,
safe_mode=True)``, which refuses ``Lambda`` layers and other serialized Python code, and checks
that the model has the catalogue model's parameter count. Keras models take NHWC inputs
``(N, H, W, C)`` and, for the catalogue's builders, return logits ``(N, classes)``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from cnnbook._optional import needs

with needs("keras"):
    import keras

from cnnbook.models import catalogue
from cnnbook.models.manifest import (
    MANIFEST,
    check_checkpoint,
    check_fit,
    commit_checkpoint,
    encode_normalisation,
)
from cnnbook.models.summary import count_params
from cnnbook.report import package_versions

__all__ = ["FORMAT", "KerasCheckpoint", "keras_probabilities",
           "load_keras_checkpoint", "save_keras_checkpoint"]

FORMAT, FORMAT_VERSION = "cnnbook-keras-checkpoint", 1
_PICKLE_SUFFIXES = {".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin", ".tar", ".h5", ".hdf5"}


def save_keras_checkpoint(path: str | Path, model: keras.Model, *, name: str, epoch: int = 0,
                          metrics: Mapping[str, float] | None = None, dataset: str = "",
                          class_names: Sequence[str] = (),
                          normalisation: tuple[ArrayLike, ArrayLike] | None = None) -> Path:
    """Write ``model`` (the catalogue model ``name``, built with ``build("keras")``) into the
    checkpoint folder ``path`` (created if needed; a checkpoint there is replaced).

    Args:
        epoch: epochs trained so far. metrics: e.g. the last epoch's logs, stored as floats.
        dataset, class_names: what the model was trained on; class names indexed by label.
        normalisation: ``(mean, std)`` per channel that the NHWC inputs were normalised with.

    Returns:
        The folder.

    Raises:
        ValueError: ``name`` is not a catalogue model with a Keras builder, ``model`` does not
            have its parameter count, or the normalisation or class names do not fit it (as
            :func:`~cnnbook.models.manifest.check_fit` says), before anything is written.
    """
    entry = catalogue.get(name)  # a one-line ValueError listing the names otherwise
    if "keras" not in entry.frameworks:
        raise ValueError(f"catalogue model {name!r} has no Keras builder")
    if count_params(model) != entry.count_params():
        raise ValueError(f"model has {count_params(model):,} parameters, but {name!r} has "
                         f"{entry.count_params():,}")
    folder = Path(path)
    fit = {"class_names": list(class_names),
           "normalisation": encode_normalisation(normalisation)}
    check_fit(fit, entry.spec, name, str(folder))  # what the loader would refuse, before writing
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".model-", suffix=".keras")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        model.save(tmp, overwrite=True)  # Keras writes files only: its bytes are committed
        data = tmp.read_bytes()
    finally:
        tmp.unlink(missing_ok=True)
    meta: dict[str, Any] = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "framework": "keras",
        "model": {"name": name}, "dataset": dataset, **fit,
        "epoch": int(epoch), "metrics": {k: float(v) for k, v in (metrics or {}).items()},
        "versions": {**package_versions(), "keras": keras.__version__,
                     "keras_backend": keras.backend.backend()},
    }
    commit_checkpoint(folder, {"model": ("keras", data)}, meta, ("model",))
    return folder


@dataclass
class KerasCheckpoint:
    """A loaded Keras checkpoint.

    Attributes:
        model: the ``keras.Model`` (NHWC in, logits out), not compiled.
        name, dataset, class_names, epoch, metrics, versions: as saved.
        normalisation: per-channel ``(mean, std)`` tuples, or ``None``.
        path: the checkpoint folder.
        model_kwargs: always ``{}``: a Keras checkpoint holds the catalogue's default build (as
            :class:`~cnnbook.training.checkpoints.Checkpoint`'s, for code that reads either).
    """

    model: keras.Model
    name: str
    dataset: str
    class_names: tuple[str, ...]
    normalisation: tuple[tuple[float, ...], tuple[float, ...]] | None
    epoch: int
    metrics: dict[str, float]
    versions: dict[str, str]
    path: Path
    model_kwargs: dict[str, Any] = field(default_factory=dict)


def _folder(path: Path) -> Path:
    """The checkpoint folder; one-line errors for a pickle/HDF5 file or a folder without one."""
    if path.is_file() and path.name == MANIFEST:
        return path.parent
    if path.is_file():
        with path.open("rb") as f:
            head = f.read(4)
        if path.suffix in _PICKLE_SUFFIXES or head[:1] == b"\x80":
            raise ValueError(f"{path}: refusing a pickle / legacy file; cnnbook loads only "
                             f"checkpoint folders ({MANIFEST} and a .keras file)")
        raise ValueError(f"{path}: not a cnnbook checkpoint folder (pass the folder that holds "
                         f"{MANIFEST})")
    if not (path / MANIFEST).is_file():
        raise FileNotFoundError(f"{path}: no {MANIFEST}; not a cnnbook checkpoint folder")
    return path


def load_keras_checkpoint(path: str | Path) -> KerasCheckpoint:
    """Read the folder written by :func:`save_keras_checkpoint`, with ``safe_mode=True``.

    Raises:
        ValueError: one line naming the file: a pickle file, another format, a manifest of the
            wrong shape, a model that is not in the catalogue, a file name that is not plain or
            a symbolic link, a ``.keras`` file whose members, layers or weight shapes are not
            the catalogue model's (a ``Lambda`` layer: code inside), a damaged file (SHA-256),
            a file that Keras' safe mode refuses, or a parameter count that is not the
            catalogue's.
        FileNotFoundError: when ``path`` holds no checkpoint.
    """
    folder = _folder(Path(path))
    meta, _, files = check_checkpoint(folder, FORMAT, FORMAT_VERSION, "keras")
    name = meta["model"]["name"]
    record, file = meta["files"]["model"], files["model"]
    if hashlib.sha256(file.read_bytes()).hexdigest() != record["sha256"]:
        raise ValueError(f"{file}: SHA-256 differs from {MANIFEST}; the file is damaged")
    try:
        model = keras.saving.load_model(file, compile=False, safe_mode=True)
    except Exception as err:  # Keras raises ValueError/TypeError; keep its first line
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"{file}: Keras refused it (safe_mode=True): {first}") from None
    expected = catalogue.get(name).count_params()
    if count_params(model) != expected:
        raise ValueError(f"{file}: the model has {count_params(model):,} parameters, but "
                         f"{name!r} has {expected:,}")
    norm = meta["normalisation"]
    return KerasCheckpoint(
        model=model, name=name, dataset=meta["dataset"], class_names=tuple(meta["class_names"]),
        normalisation=None if norm is None else (tuple(norm["mean"]), tuple(norm["std"])),
        epoch=meta["epoch"], metrics=meta["metrics"], versions=meta["versions"], path=folder)


def keras_probabilities(model: keras.Model, x: Any, *, batch_size: int = 256) -> np.ndarray:
    """Class probabilities ``(N, classes)`` of ``model`` for NHWC inputs ``x`` ``(N, H, W, C)``,
    batched, in inference mode. A model whose last layer ends in softmax (the post's models) is
    read as is; the others return logits and get a softmax."""
    last = model.layers[-1]
    outputs = model.predict(np.asarray(x, dtype="float32"), batch_size=batch_size, verbose=0)
    scores = np.asarray(keras.ops.convert_to_numpy(outputs), dtype=np.float64)
    if getattr(last, "activation", None) is keras.activations.softmax:
        return scores
    scores = np.exp(scores - scores.max(axis=1, keepdims=True))
    return scores / scores.sum(axis=1, keepdims=True)
