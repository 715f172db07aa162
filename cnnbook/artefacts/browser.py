"""Models that the book's web pages run: trained with :func:`cnnbook.training.fit` on a
class-balanced training subset and exported for the browser (:mod:`cnnbook.saving.browser`).

    model, history = train_classifier(params)            # params: a recipe's settings
    facts = make_browser_model(folder, params)           # trains, writes folder/<model>.js

``params`` (see :mod:`cnnbook.artefacts.recipes`): ``model`` (catalogue name), ``dataset``,
``train_limit``, ``epochs``, ``batch_size`` and ``seed``. Inputs are NCHW in [0, 1], no
normalisation, as in the post; the optimizer is ``fit``'s default, Adam with Keras' learning rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cnnbook._optional import needs

with needs("torch"):
    import torch

from cnnbook.artefacts.store import ArtefactError
from cnnbook.datasets import class_names, load
from cnnbook.datasets.torch_data import to_tensors
from cnnbook.models import catalogue
from cnnbook.saving.browser import export_model, load_exported
from cnnbook.seeding import seed_everything
from cnnbook.training import History, fit, resolve_device

__all__ = ["make_browser_model", "train_classifier"]

PROBE = 500  # training images whose logits the exported file must reproduce exactly


def train_classifier(params: Mapping[str, Any], *, device: str = "auto",
                     verbose: int = 2) -> tuple[torch.nn.Module, History, torch.Tensor]:
    """Train catalogue model ``params["model"]``; return it, its history and the inputs
    ``(N, C, H, W)`` it trained on. Seeded: the same ``params`` give the same weights on CPU."""
    (x_train, y_train), _ = load(params["dataset"], limit=params["train_limit"],
                                 seed=params["seed"])
    x, y = to_tensors(x_train, y_train)  # (N, 1, 28, 28) in [0, 1]
    seed_everything(params["seed"])  # the initial weights too
    model = catalogue.get(params["model"]).build("torch")
    history = fit(model, (x, y), epochs=params["epochs"], batch_size=params["batch_size"],
                  device=resolve_device(device), seed=params["seed"], verbose=verbose)
    return model.cpu().eval(), history, x


def make_browser_model(folder: Path, params: Mapping[str, Any]) -> dict[str, Any]:
    """Train (:func:`train_classifier`) and export ``folder/<model>.js``; return the facts for
    the artefact's manifest: the weights' ``sha256``, the history, the images and the device."""
    name = params["model"]
    model, history, x = train_classifier(params)
    path = folder / f"{name}.js"
    exported = export_model(model, path, name=name, class_names=class_names(params["dataset"]),
                            normalisation=None)
    with torch.no_grad():  # the page runs what the file holds: the same logits, to the bit
        gap = float((load_exported(path)(x[:PROBE]) - model(x[:PROBE])).abs().max())
    if gap != 0.0:
        raise ArtefactError(f"{name}: the exported file's logits differ by {gap:.1e}")
    return {"sha256": exported.sha256, "history": history.history, "train_images": len(x),
            "device": history.params["device"], "round_trip_gap": gap}
