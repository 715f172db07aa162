"""The page models' recipe (cnnbook.artefacts.browser): the draw-a-digit training, cut to a few
hundred real MNIST digits and one epoch, exported with the hash the page shows, and repeatable."""

from __future__ import annotations

from dataclasses import replace

import pytest

torch = pytest.importorskip("torch", reason="needs the torch extra")

from cnnbook import artefacts, get_profile
from cnnbook.saving.browser import load_exported, read_export


@pytest.fixture
def small_recipe(shared_data, monkeypatch):
    """POST_TENSORFLOW's own ``make``, on 200 training digits for one epoch."""
    monkeypatch.setenv("CNNBOOK_DATA_DIR", str(shared_data))
    monkeypatch.setenv("CNNBOOK_OFFLINE", "1")
    full = artefacts.POST_TENSORFLOW.params

    def params(profile, seed):
        return {**full(profile, seed), "train_limit": 200, "epochs": 1}

    return replace(artefacts.POST_TENSORFLOW, params=params)


def test_the_recipe_trains_and_exports_what_the_page_loads(small_recipe, tmp_path, capsys):
    built = artefacts.ensure(small_recipe, profile=get_profile("quick"), seed=0, store=tmp_path)
    assert "Epoch 1/1 - loss:" in capsys.readouterr().out  # the build's log shows the training
    path = built.path / "post_tensorflow.js"
    exported = read_export(path)
    assert built.sha256 == exported.sha256  # the hash the page prints and shows
    facts = built.facts
    assert facts["train_images"] == 200 and facts["round_trip_gap"] == 0.0
    assert len(facts["history"]["loss"]) == 1 and facts["device"] in ("cpu", "cuda", "mps")
    assert exported.normalisation is None and exported.class_names == tuple("0123456789")
    assert isinstance(load_exported(path), torch.nn.Module)


def test_the_same_recipe_gives_the_same_weights(small_recipe, tmp_path):
    if torch.cuda.is_available():
        pytest.skip("GPU kernels need not be deterministic")
    first = artefacts.ensure(small_recipe, profile=get_profile("quick"), seed=0,
                             store=tmp_path / "a")
    second = artefacts.ensure(small_recipe, profile=get_profile("quick"), seed=0,
                              store=tmp_path / "b")
    assert first.key == second.key and first.sha256 == second.sha256
