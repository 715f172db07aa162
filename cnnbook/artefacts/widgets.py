"""The data of the concept pages' live figures (``book/_static/cnnbook_widgets.js``).

    facts = make_widget_data(folder, params)   # writes folder/cnnbook_widget_data.js

The file is a script that sets ``window.cnnbookWidgetData`` to::

    {"format": 1, "dataset": "mnist", "split": "test",
     "digits": [{"index": 3, "label": 0, "pixels": "<base64 of 28*28 uint8, row-major>"}, ...],
     "models": {"post_tensorflow": {"input_shape": [1, 28, 28],
                                    "layers": [{"name": "conv1", "kind": "conv2d",
                                                "kernel": [3, 3], "stride": [1, 1],
                                                "padding": [0, 0], "dilation": [1, 1],
                                                "shape": [32, 26, 26]}, ...]}, ...}}

Digits are picked by their index in the MNIST test file, which is the same in every edition of
the book (this machine's offline copy and the canonical download); the labels recorded beside
them are checked against :data:`DIGITS`. ``layers`` holds each of the post's models' spatial
layers, up to the first flatten (after which a unit sees the whole input), with the geometry the
page's receptive-field arithmetic reads; shapes are channels-first ``(C, H, W)``. No framework
is imported.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from cnnbook.artefacts.store import ArtefactError, file_sha256
from cnnbook.models import catalogue
from cnnbook.models.layers import (
    ActivationSpec,
    BatchNorm2dSpec,
    Conv2dSpec,
    DropoutSpec,
    Pool2dSpec,
)
from cnnbook.models.shapes import layer_names
from cnnbook.saving.atomic import write_atomic

__all__ = ["DIGITS", "FILE", "MODELS", "make_widget_data", "model_geometry"]

FILE = "cnnbook_widget_data.js"
DIGITS: Mapping[int, int] = {3: 0, 2: 1, 1: 2, 18: 3, 4: 4, 8: 5, 11: 6, 0: 7, 61: 8, 7: 9}
"""Test-file index -> label: the first digit of each class in MNIST's test file."""
MODELS = ("post_tensorflow", "post_keras", "post_pytorch")


def _pair(value: Any) -> list[int]:
    return [int(value), int(value)] if isinstance(value, int) else [int(v) for v in value]


def model_geometry(name: str) -> dict[str, Any]:
    """The spatial layers of catalogue model ``name`` as the page reads them (see the module
    docstring): kernel, stride, padding and dilation pairs ``[along H, along W]`` for
    convolutions and poolings, none for the layers that keep the field (activations, dropout)."""
    spec = catalogue.get(name).spec
    layers = list(spec.layers)
    rows = []
    for label, layer, shape in zip(layer_names(layers), layers, spec.output_shapes(), strict=True):
        if getattr(layer, "ends_field", False):
            break
        kind = layer.name if isinstance(layer, ActivationSpec) else layer.kind  # "relu"
        row: dict[str, Any] = {"name": label, "kind": kind, "shape": list(shape)}
        if isinstance(layer, (Conv2dSpec, Pool2dSpec)):
            if isinstance(layer.padding, str):
                raise ValueError(f"{name}.{label}: the page needs numeric padding, not "
                                 f"{layer.padding!r}")
            row["kernel"] = _pair(layer.kernel_size)
            row["stride"] = row["kernel"] if layer.stride is None else _pair(layer.stride)
            row["padding"] = _pair(layer.padding)
            row["dilation"] = _pair(getattr(layer, "dilation", 1))
        elif not isinstance(layer, (ActivationSpec, DropoutSpec, BatchNorm2dSpec)):
            raise ValueError(f"{name}.{label}: the page's receptive fields follow convolutions, "
                             f"poolings and the layers that keep the field, not {layer.kind}")
        rows.append(row)
    return {"input_shape": list(spec.input_shape), "layers": rows}


def make_widget_data(folder: Path, params: Mapping[str, Any]) -> dict[str, Any]:
    """Write ``folder/`` :data:`FILE` for ``params`` (``dataset``, ``indices``, ``models``);
    return the artefact's facts: the file's ``sha256``, the indices and their labels.

    Raises:
        ArtefactError: a digit's label is not the one :data:`DIGITS` records (the test file is
            not MNIST's).
    """
    from cnnbook.datasets import load  # the loaders: only when the data is made

    _, (x_test, y_test) = load(params["dataset"], limit=None, test_limit=None)
    indices = [int(i) for i in params["indices"]]
    labels = [int(y_test[i]) for i in indices]
    wrong = [(i, got) for i, got in zip(indices, labels, strict=True)
             if DIGITS.get(i, got) != got]
    if wrong:
        raise ArtefactError(f"test digits with other labels than MNIST's test file has: {wrong}")
    digits = [{"index": i, "label": label,
               "pixels": base64.b64encode(np.ascontiguousarray(x_test[i], np.uint8)
                                          .tobytes()).decode("ascii")}
              for i, label in zip(indices, labels, strict=True)]
    doc = {"format": 1, "dataset": params["dataset"], "split": "test", "digits": digits,
           "models": {name: model_geometry(name) for name in params["models"]}}
    text = ("/* Written by cnnbook.artefacts.widgets.make_widget_data: the concept pages' "
            "live figures read it. */\nwindow.cnnbookWidgetData = "
            + json.dumps(doc, separators=(",", ":")) + ";\n")
    path = folder / FILE
    write_atomic(path, text.encode("utf-8"))
    return {"sha256": file_sha256(path), "indices": indices, "labels": labels}
