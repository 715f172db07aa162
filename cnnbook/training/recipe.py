"""Named training recipes: the settings a chapter trains a classifier with, defined once.

:data:`ONECYCLE` is the recipe that the ladder of ``training_well`` arrives at (its rung 6):
random crops (2 pixels, reflection padding) and horizontal flips, SGD with Nesterov momentum and
weight decay 5e-4, a OneCycle learning rate stepped after every batch (it cycles the momentum
between 0.95 and 0.85, opposite to the rate), and cross-entropy with label smoothing 0.2. The
architectures chapter and later ones train with it by name::

    from cnnbook.training import fit
    from cnnbook.training.recipe import get_recipe

    recipe = get_recipe("onecycle")
    fit(net, (x, y), epochs=6, batch_size=64,
        **recipe.fit_options(net, epochs=6, steps_per_epoch=math.ceil(len(y) / 64),
                             profile=get_profile(), seed=0))

Inputs are NCHW float batches (the augmentation assumes images, ``(B, C, H, W)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType
from typing import Any

from cnnbook._optional import needs
from cnnbook.config import Profile

with needs("torch"):
    import torch
    from torch import nn

from cnnbook.training.augment import compose, random_crop, random_flip

__all__ = ["ONECYCLE", "RECIPES", "TrainingRecipe", "get_recipe"]


@dataclass(frozen=True)
class TrainingRecipe:
    """How to train an image classifier, apart from the model, the data and the epochs.

    Attributes:
        name: the recipe's one name.
        description: one line for tables.
        max_lr: the OneCycle schedule's peak learning rate for runs of many steps (the full
            profile).
        short_max_lr: the peak for runs of few steps (the quick profile); ``training_well``
            chose both on its validation split.
        momentum: ``(low, high)``: OneCycle cycles SGD's momentum from ``high`` down to ``low``
            while the rate rises, and back.
        nesterov, weight_decay: SGD's settings (weight decay added to the gradient, PyTorch's
            convention).
        label_smoothing: ``nn.CrossEntropyLoss(label_smoothing=...)``.
        crop: pixels of random shift (``random_crop``'s reflection ``padding``); 0 for none.
        flip: random horizontal flips.
    """

    name: str
    description: str
    max_lr: float
    short_max_lr: float
    momentum: tuple[float, float] = (0.85, 0.95)
    nesterov: bool = True
    weight_decay: float = 5e-4
    label_smoothing: float = 0.2
    crop: int = 2
    flip: bool = True

    def peak(self, profile: Profile | None = None) -> float:
        """The peak learning rate for ``profile``: :attr:`short_max_lr` in the quick profile,
        :attr:`max_lr` otherwise (also when ``profile`` is ``None``)."""
        if profile is None:
            return self.max_lr
        return profile.pick(quick=self.short_max_lr, full=self.max_lr)

    def fit_options(self, model: nn.Module, *, epochs: int, steps_per_epoch: int,
                    profile: Profile | None = None, max_lr: float | None = None,
                    params: Any = None, seed: int = 0) -> dict[str, Any]:
        """The keyword arguments of :func:`cnnbook.training.fit` that make this recipe:
        ``optimizer``, ``scheduler``, ``scheduler_step``, ``loss`` and ``augment`` (``None``
        when the recipe neither crops nor flips).

        Args:
            model: the model to train (its parameters go to the optimizer unless ``params``).
            epochs, steps_per_epoch: the length of the run, for the schedule; steps per epoch
                is ``math.ceil(n_train / batch_size)``.
            profile: picks the peak learning rate (:meth:`peak`); ``max_lr`` overrides it.
            params: what the optimizer trains, as ``torch.optim`` takes it (an iterable of
                parameters or of parameter groups, each group's ``lr`` then scaled by the
                schedule like the others); default ``model.parameters()``.
            seed: the augmentation's seed.
        """
        if epochs < 1 or steps_per_epoch < 1:
            raise ValueError(f"epochs and steps_per_epoch must be >= 1, got {epochs} and "
                             f"{steps_per_epoch}")
        peak = self.peak(profile) if max_lr is None else max_lr
        low, high = self.momentum
        optimizer = torch.optim.SGD(model.parameters() if params is None else params, lr=peak,
                                    momentum=high, nesterov=self.nesterov,
                                    weight_decay=self.weight_decay)
        peaks = [group["lr"] for group in optimizer.param_groups]  # a group may set its own
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=peaks, epochs=epochs, steps_per_epoch=steps_per_epoch,
            base_momentum=low, max_momentum=high)
        steps = ([partial(random_crop, padding=self.crop)] if self.crop else []) + (
            [random_flip] if self.flip else [])
        return {"optimizer": optimizer, "scheduler": scheduler, "scheduler_step": "batch",
                "loss": nn.CrossEntropyLoss(label_smoothing=self.label_smoothing),
                "augment": compose(*steps, seed=seed) if steps else None}


ONECYCLE = TrainingRecipe(
    name="onecycle",
    description="crop and flip, SGD with Nesterov momentum and weight decay, OneCycle, label "
                "smoothing (training_well's rung 6)",
    max_lr=0.2,
    short_max_lr=0.05,
)

RECIPES: Mapping[str, TrainingRecipe] = MappingProxyType({ONECYCLE.name: ONECYCLE})
"""Every named recipe (read-only)."""


def get_recipe(name: str) -> TrainingRecipe:
    """The recipe called ``name``; a one-line ``ValueError`` listing the names otherwise."""
    try:
        return RECIPES[name]
    except KeyError:
        raise ValueError(f"unknown training recipe {name!r}; choose from "
                         f"{', '.join(RECIPES)}") from None
