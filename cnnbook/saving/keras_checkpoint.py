"""Keras checkpoints: the model as a ``.keras`` file, loaded only with ``safe_mode=True``.

A Keras checkpoint is a folder, laid out like the torch checkpoints of
:mod:`cnnbook.saving.torch_checkpoint` (the same manifest builder and commit, in
:mod:`cnnbook.saving.manifest`) so that one reader can tell them apart::

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
runs :func:`cnnbook.saving.manifest.check_checkpoint`, which reads the ``.keras`` zip without
Keras (its members, the layers its ``config.json`` would build and the weight shapes in its
HDF5 file must all agree with the catalogue model, under a parameter limit; file names plain,
no symbolic links), then checks the SHA-256, then calls ``keras.saving.load_model(...,
safe_mode=True)``, which refuses ``Lambda`` layers and other serialized Python code, and checks
that the model has the catalogue model's parameter count. Keras models take NHWC inputs
``(N, H, W, C)`` and, for the catalogue's builders, return logits ``(N, classes)``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from cnnbook._optional import needs

with needs("keras"):
    import keras

from cnnbook.models import catalogue
from cnnbook.models.summary import count_params
from cnnbook.saving.manifest import (
    FORMATS,
    MANIFEST,
    SavedCheckpoint,
    check_checkpoint,
    checkpoint_folder,
    commit_checkpoint,
    new_manifest,
    verified_bytes,
)

__all__ = ["FORMAT", "MANIFEST", "KerasCheckpoint", "keras_probabilities",
           "load_keras_checkpoint", "save_keras_checkpoint"]

FORMAT, FORMAT_VERSION = FORMATS["keras"]


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
            :func:`~cnnbook.saving.manifest.check_fit` says), before anything is written.
    """
    folder = Path(path)
    # what the loader would refuse is refused before anything is written
    meta = new_manifest("keras", name, where=folder, dataset=dataset, class_names=class_names,
                        normalisation=normalisation, epoch=epoch, metrics=metrics,
                        versions={"keras": keras.__version__,
                                  "keras_backend": keras.backend.backend()})
    expected = catalogue.get(name).count_params()
    if count_params(model) != expected:
        raise ValueError(f"model has {count_params(model):,} parameters, but {name!r} has "
                         f"{expected:,}")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".model-", suffix=".keras")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        model.save(tmp, overwrite=True)  # Keras writes files only: its bytes are committed
        data = tmp.read_bytes()
    finally:
        tmp.unlink(missing_ok=True)
    commit_checkpoint(folder, {"model": ("keras", data)}, meta, ("model",))
    return folder


@dataclass(kw_only=True)
class KerasCheckpoint(SavedCheckpoint):
    """A loaded Keras checkpoint: the model and what
    :class:`~cnnbook.saving.manifest.SavedCheckpoint` holds (name, dataset, class names,
    normalisation, epoch, metrics, versions, path, and ``model_kwargs``, always ``{}``: a Keras
    checkpoint holds the catalogue's default build).

    Attributes:
        model: the ``keras.Model`` (NHWC in, logits out), not compiled.
    """

    model: keras.Model


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
    folder = checkpoint_folder(path)
    checked = check_checkpoint(folder, "keras")
    name, file = checked.meta["model"]["name"], checked.files["model"]
    verified_bytes(file, checked.meta["files"]["model"])
    try:
        model = keras.saving.load_model(file, compile=False, safe_mode=True)
    except Exception as err:  # Keras raises ValueError/TypeError; keep its first line
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"{file}: Keras refused it (safe_mode=True): {first}") from None
    expected = catalogue.get(name).count_params()
    if count_params(model) != expected:
        raise ValueError(f"{file}: the model has {count_params(model):,} parameters, but "
                         f"{name!r} has {expected:,}")
    return KerasCheckpoint(model=model, **SavedCheckpoint.fields(checked, folder))


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
