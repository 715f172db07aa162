"""Every catalogue model, built with a seed, holds the same tensors to the bit as when
``tests/model_fingerprints.json`` was written (``python -m tools.model_fingerprints``): names,
shapes, dtypes and initial values, and for torch the same eval-mode logits on a fixed input (to a
relative 1e-4: float32 kernels add in another order on another CPU). The book's stored outputs were
computed from these initial weights, so a refactoring of the builders must not change them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cnnbook.models import catalogue
from tools import model_fingerprints

STORED = json.loads((Path(__file__).parent / "model_fingerprints.json").read_text())


def test_every_model_and_framework_has_a_fingerprint():
    assert STORED["seed"] == model_fingerprints.SEED
    for framework in ("torch", "keras"):
        names = [e.name for e in catalogue.entries(frameworks=(framework,))]
        assert list(STORED[framework]) == names


@pytest.mark.parametrize("name", list(STORED["torch"]))
def test_torch_models_are_bit_identical(name):
    pytest.importorskip("torch", reason="the torch builders need torch")
    found, stored = model_fingerprints.torch_fingerprint(name), dict(STORED["torch"][name])
    assert found.pop("output") == pytest.approx(stored.pop("output"), rel=1e-4, abs=1e-5)
    assert found == stored


@pytest.mark.parametrize("name", list(STORED["keras"]))
def test_keras_models_are_bit_identical(name):
    pytest.importorskip("keras", reason="the Keras builders need keras")
    assert model_fingerprints.keras_fingerprint(name) == STORED["keras"][name]
