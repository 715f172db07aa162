"""The two callbacks of :func:`cnnbook.training.fit`: early stopping and the best checkpoint.

The protocol is two methods (subclass :class:`Callback`, which does nothing, and override them):

- ``on_epoch_end(epoch, logs, model) -> bool``: after each epoch, with the epoch's index and its
  ``logs`` (``{"loss": ..., "accuracy": ..., "val_loss": ..., "val_accuracy": ..., "lr": ...}``,
  the values just appended to the history); returning ``True`` stops training after this epoch.
- ``on_train_end(model)``: once, after the last epoch (also after an early stop).

There is no learning-rate logger: ``fit`` records the learning rate in ``history.history["lr"]``.
Like Keras, a ``monitor`` containing ``"loss"`` is minimised and anything else (an accuracy) is
maximised, unless ``mode`` says otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cnnbook._optional import needs

with needs("torch"):
    import torch
    from torch import nn

from cnnbook.training.distributed import is_main

if TYPE_CHECKING:  # checkpoints need safetensors, imported only when a checkpoint is written
    from cnnbook.saving.torch_checkpoint import Normalisation

__all__ = ["BestCheckpoint", "Callback", "EarlyStopping"]


class Callback:
    """The callback protocol of :func:`~cnnbook.training.fit` (see the module docstring)."""

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float], model: nn.Module) -> bool:
        """Called after each epoch; return ``True`` to stop training."""
        return False

    def on_train_end(self, model: nn.Module) -> None:
        """Called once, when training ends."""


@dataclass
class _Monitor:
    """Tracks the best value of ``monitor`` in the epochs' logs."""

    monitor: str
    mode: str = "auto"
    min_delta: float = 0.0
    best: float = field(default=math.nan, init=False)
    best_epoch: int = field(default=-1, init=False)

    def __post_init__(self) -> None:
        if self.mode == "auto":
            self.mode = "min" if "loss" in self.monitor else "max"
        if self.mode not in ("min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {self.mode!r}")

    def improved(self, epoch: int, logs: Mapping[str, float]) -> bool:
        """Whether this epoch beat the best so far by more than ``min_delta`` (and record it)."""
        if self.monitor not in logs:
            raise ValueError(f"cannot monitor {self.monitor!r}: the logs hold {', '.join(logs)} "
                             "(val_ keys need validation data)")
        value = logs[self.monitor]
        sign = 1.0 if self.mode == "max" else -1.0
        if self.best_epoch < 0 or sign * (value - self.best) > self.min_delta:
            self.best, self.best_epoch = value, epoch
            return True
        return False


@dataclass
class EarlyStopping(_Monitor, Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    ``best`` and ``best_epoch`` hold the best value and its epoch; ``stopped_epoch`` the epoch
    after which training stopped (``-1`` when it ran to the end).
    """

    monitor: str = "val_loss"
    patience: int = 5
    stopped_epoch: int = field(default=-1, init=False)

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float], model: nn.Module) -> bool:
        if self.improved(epoch, logs) or epoch - self.best_epoch < self.patience:
            return False
        self.stopped_epoch = epoch
        return True


@dataclass
class BestCheckpoint(_Monitor, Callback):
    """Keep the weights of the best epoch by ``monitor``; restore them when training ends.

    The copy lives on the training device (no transfer, no sync). With ``path``, each new best is
    also written there as a checkpoint (:func:`cnnbook.saving.torch_checkpoint.save_checkpoint`:
    weights, ``name``, ``dataset``, ``class_names``, ``normalisation``, the epoch count and the
    logs as metrics), ready for :func:`~cnnbook.saving.torch_checkpoint.load_checkpoint`.

    Attributes:
        restore_best_weights: load the best weights into the model at the end of training
            (otherwise the model keeps the last epoch's weights).
        best, best_epoch: the best value of ``monitor`` and the epoch index that reached it.
    """

    monitor: str = "val_accuracy"
    restore_best_weights: bool = True
    path: str | Path | None = None
    name: str | None = None
    dataset: str = ""
    class_names: Sequence[str] = ()
    normalisation: Normalisation | None = None
    best_state: dict[str, torch.Tensor] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.path is not None and self.name is None:
            raise ValueError("BestCheckpoint(path=...) needs name=, the model's catalogue name")

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float], model: nn.Module) -> bool:
        if self.improved(epoch, logs):
            self.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            if self.path is not None and self.name is not None and is_main():
                from cnnbook.saving.torch_checkpoint import save_checkpoint

                save_checkpoint(self.path, model, name=self.name, epoch=epoch + 1,
                                metrics=dict(logs), dataset=self.dataset,
                                class_names=self.class_names, normalisation=self.normalisation)
        return False

    def on_train_end(self, model: nn.Module) -> None:
        if self.restore_best_weights and self.best_state:
            model.load_state_dict(self.best_state)
