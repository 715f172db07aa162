"""seed_everything: repeatable draws, frameworks seeded only when imported."""

from __future__ import annotations

import random
import subprocess
import sys

import numpy as np
import pytest

from cnnbook.seeding import seed_everything


def draws():
    out = [random.random(), float(np.random.rand())]  # noqa: NPY002 - the legacy global generator
    torch = sys.modules.get("torch")
    if torch is not None:
        out.append(float(torch.rand(1)))
    return out


def test_same_seed_same_draws_and_different_seed_different_draws():
    seed_everything(123)
    first = draws()
    seed_everything(123)
    assert draws() == first
    seed_everything(124)
    assert draws() != first


def test_torch_is_seeded_when_imported():
    torch = pytest.importorskip("torch", reason="needs the torch extra")
    assert "torch" in seed_everything(5)
    a = torch.nn.Dropout(0.5)(torch.ones(100))
    seed_everything(5)
    assert torch.equal(torch.nn.Dropout(0.5)(torch.ones(100)), a)


def test_seeding_imports_no_framework():
    code = ("import sys; from cnnbook.seeding import seed_everything; "
            "print(seed_everything(0)); "
            "print([m for m in ('torch', 'tensorflow', 'keras') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["['random', 'numpy']", "[]"]


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "0", True])
def test_bad_seeds_are_rejected(bad):
    with pytest.raises(ValueError, match="seed"):
        seed_everything(bad)
