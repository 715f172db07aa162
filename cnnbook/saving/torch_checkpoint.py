"""Checkpoints without pickle: tensors in safetensors, the rest in JSON, written atomically.

A checkpoint is a folder (one checkpoint per folder)::

    run/
      checkpoint.json                 metadata and the list of files below (the commit point)
      model-<sha>.safetensors         model.state_dict(): weights and buffers (batch-norm stats)
      optimizer-<sha>.safetensors     the optimizer's tensors (momentum, Adam moments), if saved
      scheduler-<sha>.safetensors     the LR scheduler's tensors, if saved and it has any

``checkpoint.json`` holds ``format``, ``format_version``, ``model`` (catalogue ``name`` and the
builder's ``kwargs``), ``dataset``, ``class_names``, ``normalisation`` (``{"mean", "std"}`` per
channel, or null), ``epoch`` (epochs trained: pass it to ``fit(initial_epoch=...)`` to resume),
``metrics``, ``versions``, ``files`` (name and SHA-256 of each tensor file) and the optimizer's
and scheduler's ``state_dict()`` with each tensor replaced by ``{"__tensor__": key}`` (its key in
the tensor file). ``<sha>`` is the start of the file's SHA-256, so a new save never overwrites a
file the current ``checkpoint.json`` names: each file is written to a temporary name in the folder,
flushed, fsynced and renamed (``os.replace``), and ``checkpoint.json`` is replaced last. A crash at
any point leaves the previous checkpoint readable; files it no longer names are removed after.

The manifest is built by :func:`cnnbook.saving.manifest.new_manifest` and committed by
:func:`cnnbook.saving.manifest.commit_checkpoint`, as the Keras format's is.

Loading never unpickles and trusts nothing in the folder: :func:`load_checkpoint` first runs
:func:`cnnbook.saving.manifest.check_checkpoint` (the manifest's schema, the builder arguments
against the catalogue's declarations, the parameter count that the spec and those arguments imply
against the safetensors header and a limit, plain file names and no symbolic links), then builds
the model from the catalogue, checks every tensor's name and shape, and refuses ``torch.save`` /
pickle files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from numpy.typing import ArrayLike

from cnnbook._optional import needs

with needs("torch", "safetensors"):  # the torch extra installs both
    import safetensors
    import safetensors.torch
    import torch
    from torch import nn

from cnnbook.models import catalogue
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

__all__ = ["FORMAT", "MANIFEST", "Checkpoint", "Normalisation", "load_checkpoint",
           "save_checkpoint"]

FORMAT, FORMAT_VERSION = FORMATS["torch"]
Normalisation = tuple[ArrayLike, ArrayLike]  # per-channel (mean, std)
_PARTS = ("model", "optimizer", "scheduler")


def _encode(value: Any, key: str, tensors: dict[str, torch.Tensor]) -> Any:
    """``value`` as JSON: each tensor goes to ``tensors[key]`` and becomes ``{"__tensor__": key}``;
    tuples and int-keyed dicts (an optimizer's state) are tagged so they come back as they were."""
    if isinstance(value, torch.Tensor):
        tensors[key] = value.detach().to("cpu", copy=True).contiguous()
        return {"__tensor__": key}
    if isinstance(value, Mapping):
        items = {str(k): _encode(v, f"{key}.{k}", tensors) for k, v in value.items()}
        if value and all(isinstance(k, int) for k in value):
            return {"__int_keys__": items}
        if all(isinstance(k, str) for k in value):
            return items
    elif isinstance(value, (list, tuple)):
        items_list = [_encode(v, f"{key}.{i}", tensors) for i, v in enumerate(value)]
        return {"__tuple__": items_list} if isinstance(value, tuple) else items_list
    elif value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot store {type(value).__name__} at {key!r} in a checkpoint "
                    "(tensors, numbers, strings, lists and dicts only)")


def _decode(value: Any, tensors: Mapping[str, torch.Tensor]) -> Any:
    """The inverse of :func:`_encode`."""
    if isinstance(value, list):
        return [_decode(v, tensors) for v in value]
    if not isinstance(value, dict):
        return value
    if value.keys() == {"__tensor__"}:
        return tensors[value["__tensor__"]]
    if value.keys() == {"__tuple__"}:
        return tuple(_decode(v, tensors) for v in value["__tuple__"])
    if value.keys() == {"__int_keys__"}:
        return {int(k): _decode(v, tensors) for k, v in value["__int_keys__"].items()}
    return {k: _decode(v, tensors) for k, v in value.items()}


def save_checkpoint(path: str | Path, model: nn.Module, *, name: str, epoch: int,
                    metrics: Mapping[str, float] | None = None, dataset: str = "",
                    class_names: Sequence[str] = (), normalisation: Normalisation | None = None,
                    optimizer: torch.optim.Optimizer | None = None,
                    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
                    model_kwargs: Mapping[str, Any] | None = None) -> Path:
    """Write a checkpoint of ``model`` (the catalogue model ``name``) into the folder ``path``.

    Args:
        path: the checkpoint folder (created if needed; a checkpoint there is replaced).
        model: built by ``catalogue.get(name).build("torch", **model_kwargs)``.
        epoch: epochs trained so far (resume with ``fit(..., initial_epoch=epoch)``).
        metrics: e.g. the last epoch's logs; stored as floats.
        dataset, class_names: what the model was trained on; class names indexed by label.
        normalisation: ``(mean, std)`` per channel that the inputs were normalised with.
        optimizer, scheduler: saved too when given, to resume training exactly.
        model_kwargs: the keyword arguments the model was built with (e.g. ``num_classes``).

    Returns:
        The folder.

    Raises:
        ValueError: ``name`` is not a catalogue model, ``model`` is not its build, or the
            normalisation or class names do not fit it (as
            :func:`~cnnbook.saving.manifest.check_fit` says), before anything is written.
    """
    folder = Path(path)
    # what the loader would refuse is refused before anything is written
    meta = new_manifest("torch", name, where=folder, kwargs=model_kwargs, dataset=dataset,
                        class_names=class_names, normalisation=normalisation, epoch=epoch,
                        metrics=metrics, versions={"safetensors": safetensors.__version__})
    mismatch = catalogue.get(name).mismatch(model, "torch")
    if mismatch is not None:
        raise ValueError(mismatch)
    folder.mkdir(parents=True, exist_ok=True)
    tensor_sets = {"model": {k: v.detach().to("cpu", copy=True).contiguous()
                             for k, v in model.state_dict().items()}}
    for part, obj in (("optimizer", optimizer), ("scheduler", scheduler)):
        if obj is not None:
            tensor_sets[part] = {}
            meta[part] = {"class": type(obj).__name__,
                          "state": _encode(obj.state_dict(), part, tensor_sets[part])}
    parts = {part: ("safetensors", safetensors.torch.save(tensors))
             for part, tensors in tensor_sets.items() if tensors or part == "model"}
    commit_checkpoint(folder, parts, meta, _PARTS)
    return folder


@dataclass(kw_only=True)
class Checkpoint(SavedCheckpoint):
    """A loaded checkpoint: the model, rebuilt from the catalogue with its weights, in eval mode,
    and what :class:`~cnnbook.saving.manifest.SavedCheckpoint` holds (name, dataset, class
    names, normalisation, epoch, metrics, versions, path, ``model_kwargs``).

    Attributes:
        model: the ``nn.Module`` (NCHW in, logits out) on the device given to the loader.
        optimizer_state, scheduler_state: the saved ``{"class", "state"}`` (a ``state_dict()``)
            or ``None``; apply them with :meth:`restore_training_state`.
    """

    model: nn.Module
    optimizer_state: dict[str, Any] | None = None
    scheduler_state: dict[str, Any] | None = None

    def restore_training_state(
            self, optimizer: torch.optim.Optimizer,
            scheduler: torch.optim.lr_scheduler.LRScheduler | None = None) -> None:
        """Load the saved optimizer (and scheduler) state into ``optimizer`` (and ``scheduler``),
        built as for the saved run on ``self.model``'s parameters; then ``fit(...,
        initial_epoch=checkpoint.epoch)`` continues that run."""
        for obj, state, what in ((optimizer, self.optimizer_state, "optimizer"),
                                 (scheduler, self.scheduler_state, "scheduler")):
            if obj is None:
                continue
            if state is None:
                raise ValueError(f"{self.path}: this checkpoint holds no {what} state")
            if type(obj).__name__ != state["class"]:
                raise ValueError(f"{self.path}: the saved {what} is a {state['class']}, "
                                 f"not a {type(obj).__name__}")
            obj.load_state_dict(state["state"])


def _read_tensors(file: Path, record: Mapping[str, str]) -> dict[str, torch.Tensor]:
    """The tensors of one file named in the manifest (its name and header already checked by
    :func:`check_checkpoint`), after checking its SHA-256."""
    return safetensors.torch.load(verified_bytes(file, record))


def _check_tensors(file: Path, name: str, expected: Mapping[str, torch.Tensor],
                   found: Mapping[str, torch.Tensor]) -> None:
    missing, unexpected = sorted(expected.keys() - found), sorted(found.keys() - expected)
    if missing or unexpected:
        raise ValueError(f"{file}: tensors do not match {name}: missing {missing[:3]}, "
                         f"unexpected {unexpected[:3]}")
    for key, tensor in expected.items():
        if found[key].shape != tensor.shape:
            raise ValueError(f"{file}: tensor {key!r} has shape {tuple(found[key].shape)} but "
                             f"{name} expects {tuple(tensor.shape)}")


def load_checkpoint(path: str | Path, *, device: str | torch.device = "cpu") -> Checkpoint:
    """Read the checkpoint folder ``path`` written by :func:`save_checkpoint`, without pickle.

    Raises:
        ValueError: one line naming the file, for a pickle file, a manifest of the wrong shape,
            a model that is not in the catalogue, builder arguments it does not declare or out
            of bounds, a parameter count over the limit or not the tensor file's, a file name
            that is not plain or a symbolic link, a tensor of the wrong name or shape, or a
            damaged file.
        FileNotFoundError: when ``path`` holds no checkpoint.

    ``path`` may also name the ``checkpoint.json`` inside the folder.
    """
    folder = checkpoint_folder(path)
    checked = check_checkpoint(folder, "torch")
    meta, kwargs, files = checked
    name = meta["model"]["name"]
    model = catalogue.get(name).build("torch", **kwargs)  # its size checked against the file
    weights = _read_tensors(files["model"], meta["files"]["model"])
    _check_tensors(files["model"], name, model.state_dict(), weights)
    model.load_state_dict(weights)
    model.to(device).eval()
    states: dict[str, dict[str, Any] | None] = {"optimizer": None, "scheduler": None}
    for part, saved in ((part, meta.get(part)) for part in states):
        record = meta["files"].get(part)
        tensors = _read_tensors(files[part], record) if record else {}
        if saved is not None:
            states[part] = {"class": saved["class"], "state": _decode(saved["state"], tensors)}
    return Checkpoint(model=model, optimizer_state=states["optimizer"],
                      scheduler_state=states["scheduler"],
                      **SavedCheckpoint.fields(checked, folder))
