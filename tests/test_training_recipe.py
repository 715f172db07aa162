"""The named training recipe: what ``fit_options`` builds, checked against the settings it
states and against torch's own schedule, and a short run through ``fit``."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch", reason="the recipe builds torch optimizers")

from cnnbook.config import PROFILES
from cnnbook.training import fit
from cnnbook.training.augment import Augmentation
from cnnbook.training.recipe import ONECYCLE, RECIPES, TrainingRecipe, get_recipe


def _net() -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Flatten(),
                               torch.nn.Linear(4 * 6 * 6, 10))


def test_fit_options_state_the_recipe():
    net = _net()
    options = ONECYCLE.fit_options(net, epochs=3, steps_per_epoch=5)
    assert set(options) == {"optimizer", "scheduler", "scheduler_step", "loss", "augment"}
    group = options["optimizer"].param_groups[0]
    assert (group["momentum"], group["nesterov"], group["weight_decay"]) == (0.95, True, 5e-4)
    assert options["loss"].label_smoothing == 0.2
    assert options["scheduler_step"] == "batch"
    assert isinstance(options["augment"], Augmentation)
    # OneCycle: starts at a 25th of the peak, reaches the peak at 30 % of the steps, then anneals
    lrs, momenta = [], []
    for _ in range(15):
        lrs.append(options["optimizer"].param_groups[0]["lr"])
        momenta.append(options["optimizer"].param_groups[0]["momentum"])
        options["optimizer"].step()
        options["scheduler"].step()
    assert lrs[0] == pytest.approx(ONECYCLE.max_lr / 25)
    assert max(lrs) == pytest.approx(ONECYCLE.max_lr, rel=0.05)
    assert lrs.index(max(lrs)) == round(0.3 * 15)  # step 4 of 0..14
    assert lrs[-1] < ONECYCLE.max_lr / 1000
    assert min(momenta) == pytest.approx(0.85, abs=0.01) and momenta[0] == 0.95


def test_the_profile_picks_the_peak_and_max_lr_overrides_it():
    quick, full = PROFILES["quick"], PROFILES["full"]
    assert ONECYCLE.peak(quick) == ONECYCLE.short_max_lr == 0.05
    assert ONECYCLE.peak(full) == ONECYCLE.peak() == ONECYCLE.max_lr == 0.2
    options = ONECYCLE.fit_options(_net(), epochs=1, steps_per_epoch=10, profile=quick,
                                   max_lr=0.3)
    assert options["scheduler"].get_last_lr()[0] == pytest.approx(0.3 / 25)


def test_parameter_groups_keep_their_own_peaks():
    net = _net()
    groups = [{"params": net[0].parameters(), "lr": 0.01},
              {"params": net[2].parameters()}]
    options = ONECYCLE.fit_options(net, epochs=1, steps_per_epoch=10, max_lr=0.1,
                                   params=groups)
    first, second = (g["lr"] for g in options["optimizer"].param_groups)
    assert (first, second) == pytest.approx((0.01 / 25, 0.1 / 25))


def test_a_recipe_without_augmentation_and_the_one_line_errors():
    plain = TrainingRecipe("plain", "no augmentation", 0.1, 0.1, crop=0, flip=False)
    assert plain.fit_options(_net(), epochs=1, steps_per_epoch=1)["augment"] is None
    assert get_recipe("onecycle") is ONECYCLE and list(RECIPES) == ["onecycle"]
    with pytest.raises(ValueError, match="unknown training recipe 'adam'; choose from onecycle"):
        get_recipe("adam")
    with pytest.raises(ValueError, match="epochs and steps_per_epoch must be >= 1"):
        ONECYCLE.fit_options(_net(), epochs=0, steps_per_epoch=1)


def test_fit_trains_with_the_recipe():
    torch.manual_seed(0)
    x = torch.randn(64, 3, 8, 8)
    y = (x[:, 0].mean((1, 2)) > 0).long()  # a rule the net can learn
    net = _net()
    options = ONECYCLE.fit_options(net, epochs=4, steps_per_epoch=math.ceil(64 / 16),
                                   max_lr=0.1)
    history = fit(net, (x, y), epochs=4, batch_size=16, verbose=0, device="cpu", **options)
    losses = history.history["loss"]
    assert losses[-1] < losses[0], losses
    assert len(history.history["lr"]) == 4
