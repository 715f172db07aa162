"""The torch half of ``cnnbook train``: build or restore a run, then fit it, saving every epoch.

Imported by :mod:`cnnbook.cli.train` inside its command, so that the command line stays light.
Inputs are NCHW float32 tensors ``(N, C, H, W)`` normalised per channel, labels int64 ``(N,)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cnnbook._optional import needs

with needs("torch"):
    import torch
    from torch import nn

from cnnbook.cli import BadInput
from cnnbook.cli._common import device as checked_device, open_checkpoint, write_json
from cnnbook.datasets.torch_data import to_tensors
from cnnbook.models import catalogue
from cnnbook.saving.torch_checkpoint import MANIFEST, save_checkpoint
from cnnbook.seeding import seed_everything
from cnnbook.training import fit
from cnnbook.training.callbacks import Callback

__all__ = ["HISTORY", "Session", "start"]

HISTORY = "history.json"


@dataclass
class Session:
    """A run ready to fit: model, optimizer and scheduler (restored when resuming), the epoch to
    start at and the history of the epochs already trained (one list per metric)."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler | None
    device: torch.device
    initial_epoch: int
    history: dict[str, list[float]]


def _optimizer(settings: Mapping[str, Any], model: nn.Module) -> torch.optim.Optimizer:
    """``adam`` or ``sgd`` with momentum 0.9, at ``settings["lr"]``."""
    if settings["optimizer"] == "sgd":
        return torch.optim.SGD(model.parameters(), lr=settings["lr"], momentum=0.9)
    return torch.optim.Adam(model.parameters(), lr=settings["lr"])


def _scheduler(settings: Mapping[str, Any], optimizer: torch.optim.Optimizer,
               ) -> torch.optim.lr_scheduler.LRScheduler | None:
    """Cosine decay over the run's epochs (stepped per epoch), or ``None`` for a constant LR."""
    if settings["schedule"] == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=settings["epochs"])
    return None


def _read_history(out: Path, epochs: int) -> dict[str, list[float]]:
    """The first ``epochs`` epochs of ``out/history.json`` (it is written before the checkpoint,
    so it may hold one epoch more than an interrupted run's checkpoint)."""
    path = out / HISTORY
    if not path.is_file():
        return {}
    from cnnbook.cli._common import read_json

    history = read_json(path).get("history", {})
    if any(len(values) < epochs for values in history.values()):
        raise BadInput(f"{path}: holds fewer epochs than the checkpoint's {epochs}")
    return {key: list(values[:epochs]) for key, values in history.items()}


def start(settings: Mapping[str, Any], out: Path, *, resume: bool, device: str) -> Session:
    """A fresh run (weights drawn after seeding with ``settings["seed"]``), or the one whose last
    complete epoch is saved in ``out`` when ``resume`` is set and a checkpoint is there."""
    where = checked_device(device)
    if resume and (out / MANIFEST).is_file():
        checkpoint = open_checkpoint(out, device=where)
        if checkpoint.name != settings["model"]:
            raise BadInput(f"{out / MANIFEST}: holds {checkpoint.name}, but run.json says "
                           f"{settings['model']}")
        model = checkpoint.model
        optimizer = _optimizer(settings, model)
        scheduler = _scheduler(settings, optimizer)
        try:
            checkpoint.restore_training_state(optimizer, scheduler)
        except (ValueError, KeyError) as err:
            raise BadInput(str(err)) from None
        return Session(model, optimizer, scheduler, where, checkpoint.epoch,
                       _read_history(out, checkpoint.epoch))
    seed_everything(settings["seed"])  # the initial weights depend on the seed only
    model = catalogue.get(settings["model"]).build("torch").to(where)
    optimizer = _optimizer(settings, model)
    return Session(model, optimizer, _scheduler(settings, optimizer), where, 0, {})


class SaveEachEpoch(Callback):
    """After every epoch: the history to ``history.json``, then the model, optimizer and scheduler
    to the checkpoint in ``out`` (both atomic), so an interruption leaves the last complete epoch
    loadable and resumable."""

    def __init__(self, out: Path, session: Session, settings: Mapping[str, Any],
                 class_names: Sequence[str], normalisation: tuple[np.ndarray, np.ndarray]):
        self.out, self.session, self.settings = out, session, settings
        self.class_names, self.normalisation = class_names, normalisation

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float], model: nn.Module) -> bool:
        history = self.session.history
        for key, value in logs.items():
            history.setdefault(key, []).append(float(value))
        write_json(self.out / HISTORY, {"model": self.settings["model"],
                                        "dataset": self.settings["data"],
                                        "epochs": epoch + 1, "history": history})
        save_checkpoint(self.out, model, name=self.settings["model"], epoch=epoch + 1,
                        metrics=logs, dataset=self.settings["data"],
                        class_names=self.class_names, normalisation=self.normalisation,
                        optimizer=self.session.optimizer, scheduler=self.session.scheduler)
        return False


def train(session: Session, settings: Mapping[str, Any], out: Path, *,
          train: tuple[np.ndarray, np.ndarray], val: tuple[np.ndarray, np.ndarray],
          normalisation: tuple[np.ndarray, np.ndarray], class_names: Sequence[str]) -> None:
    """Fit ``session`` from its initial epoch to ``settings["epochs"]`` on uint8 images ``(N, H,
    W[, C])``, normalised here, with a progress bar and one line per epoch."""
    mean, std = normalisation[0].tolist(), normalisation[1].tolist()
    fit(session.model, to_tensors(*train, mean=mean, std=std), epochs=settings["epochs"],
        optimizer=session.optimizer, scheduler=session.scheduler, scheduler_step="epoch",
        validation_data=to_tensors(*val, mean=mean, std=std),
        batch_size=settings["batch_size"], device=session.device, seed=settings["seed"],
        initial_epoch=session.initial_epoch,
        callbacks=[SaveEachEpoch(out, session, settings, class_names, normalisation)])
