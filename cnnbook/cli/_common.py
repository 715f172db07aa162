"""What ``train``, ``evaluate`` and ``predict`` share: names to entries, what fits what, run files.

Light: no framework at import time. Every problem with what the user passed is a
:class:`~cnnbook.cli.BadInput` (exit status 2) whose one-line message names the file or the name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from cnnbook.cli import BadInput
from cnnbook.datasets.fetch import get_dataset
from cnnbook.datasets.registry import REGISTRY
from cnnbook.datasets.spec import Dataset
from cnnbook.models import catalogue
from cnnbook.models.catalogue import ModelEntry
from cnnbook.models.specs import Architecture
from cnnbook.saving.atomic import write_atomic

__all__ = ["check_fit", "dataset_shape", "device", "get_data", "get_model", "open_checkpoint",
           "read_json", "shape_text", "write_json"]


def get_model(name: str) -> ModelEntry:
    """The catalogue entry ``name`` (a BadInput listing the names otherwise)."""
    try:
        return catalogue.get(name)
    except ValueError as err:
        raise BadInput(str(err)) from None


def get_data(name: str) -> Dataset:
    """The registry's dataset ``name`` (a BadInput listing the names otherwise)."""
    try:
        return get_dataset(name)
    except ValueError as err:
        raise BadInput(str(err)) from None


def dataset_shape(dataset: Dataset) -> tuple[int, int, int]:
    """One image of ``dataset`` as a torch input ``(C, H, W)``: grey ``(H, W)`` is ``(1, H, W)``."""
    h, w, *c = dataset.image_shape
    return (c[0] if c else 1, h, w)


def shape_text(shape: tuple[int, ...]) -> str:
    """``(1, 28, 28)`` as ``1×28×28``."""
    return "×".join(str(v) for v in shape)


def check_fit(entry: ModelEntry, dataset: Dataset, spec: Architecture | None = None) -> None:
    """Raise a BadInput unless ``entry`` is a torch classifier that takes ``dataset``'s images
    (the spec's input ``(C, H, W)``) and outputs one score per class of ``dataset``. ``spec``:
    the architecture built with a checkpoint's builder arguments (default: the catalogue's)."""
    spec = entry.spec if spec is None else spec
    if entry.task != "classification":
        raise BadInput(f"{entry.name} is a {entry.task} model; only classifiers can be trained "
                       "and evaluated here")
    if "torch" not in entry.frameworks:
        raise BadInput(f"{entry.name} has no torch builder")
    fitting = [d.name for d in REGISTRY.values()
               if dataset_shape(d) == spec.input_shape]
    if dataset_shape(dataset) != spec.input_shape:
        raise BadInput(f"{entry.name} takes {shape_text(spec.input_shape)} inputs (C×H×W) "
                       f"but {dataset.name} images are {shape_text(dataset_shape(dataset))}; "
                       f"datasets that fit {entry.name}: {', '.join(fitting) or 'none'}")
    outputs = spec.output_shapes()[-1]
    if outputs != (dataset.num_classes,):
        raise BadInput(f"{entry.name} outputs {shape_text(outputs)} scores but {dataset.name} "
                       f"has {dataset.num_classes} classes")


def device(name: str) -> Any:
    """``--device`` as a ``torch.device`` (``auto``: cuda, then mps, then cpu), checked here: a
    BadInput when it is no device name or this machine lacks it (imports torch)."""
    import torch

    from cnnbook.training import resolve_device

    try:
        where = resolve_device(name)
        torch.empty(0, device=where)  # fails without the backend or the device
    except (RuntimeError, AssertionError) as err:
        raise BadInput(f"--device {name}: {str(err).splitlines()[0]}") from None
    return where


def write_json(path: Path, value: Any) -> None:
    """Write ``value`` as indented JSON to ``path`` atomically (a temporary file, then a rename),
    so that an interruption leaves either the old file or the new one."""
    write_atomic(path, (json.dumps(value, indent=2) + "\n").encode())


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; a BadInput naming the file when it is missing or invalid."""
    try:
        value = json.loads(path.read_text())
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BadInput(f"{path}: not readable JSON ({err})") from None
    if not isinstance(value, dict):
        raise BadInput(f"{path}: expected a JSON object")
    return value


def open_checkpoint(path: str | Path, device: Any = "cpu", *,
                    framework: Literal["torch", "keras"] = "torch") -> Any:
    """The ``framework`` checkpoint at ``path``: :func:`~cnnbook.saving.load_checkpoint` (a
    :class:`~cnnbook.saving.Checkpoint` on ``device``) or
    :func:`~cnnbook.saving.load_keras_checkpoint`, with their refusals (a pickle file, a
    manifest of the wrong shape or format, a model not in the catalogue, builder arguments it
    does not declare, a parameter count over the limit or not the file's, a file name that is
    not plain, a symbolic link, tensors of the wrong shape, damaged files, what Keras' safe mode
    refuses) as BadInput. :func:`cnnbook.saving.format_of` says which framework a folder holds.
    """
    try:
        if framework == "keras":
            from cnnbook.saving.keras_checkpoint import load_keras_checkpoint

            return load_keras_checkpoint(path)
        from cnnbook.saving.torch_checkpoint import load_checkpoint

        return load_checkpoint(path, device=device)
    except (ValueError, KeyError, TypeError, OSError) as err:
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        if isinstance(err, KeyError):
            message = f"{path}: checkpoint.json lacks {err}"
        raise BadInput(message) from None
