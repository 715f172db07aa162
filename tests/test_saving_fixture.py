"""A checkpoint that a released version wrote still loads: ``tests/fixtures/checkpoint-0.2.0/``,
written by cnnbook 0.2.0 (``tests/fixtures/make_checkpoint.py``), read by the current code with
its weights, builder arguments, metadata and optimizer state as they were saved."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors", reason="checkpoints need safetensors (the torch extra)")

from cnnbook.saving.torch_checkpoint import load_checkpoint

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "checkpoint-0.2.0"


def test_the_0_2_0_checkpoint_loads_with_its_weights_and_state():
    saved = load_checkpoint(FIXTURE)
    expected = json.loads((FIXTURE / "expected.json").read_text())
    assert saved.versions["cnnbook"] == "0.2.0"
    assert (saved.name, saved.dataset, saved.epoch) == ("post_tensorflow", "mnist", 1)
    assert saved.model_kwargs == {"input_size": 10, "num_classes": 3}
    assert saved.class_names == ("zero", "one", "two")
    assert saved.normalisation == ((0.1307,), (0.3081,))
    with torch.no_grad():
        logits = saved.model(torch.tensor(expected["input"], dtype=torch.float32)).numpy()
    # the same weights (each file's SHA-256 is checked on load); float32 sums may round apart on
    # another CPU, so a tolerance far below any change of weights
    np.testing.assert_allclose(logits, expected["logits"], rtol=1e-5, atol=1e-6)
    optimizer = torch.optim.SGD(saved.model.parameters(), lr=0.1, momentum=0.9)
    saved.restore_training_state(optimizer)
    buffers = [optimizer.state[p]["momentum_buffer"] for p in saved.model.parameters()]
    assert len(buffers) == 4 and all(b.abs().sum() > 0 for b in buffers)
