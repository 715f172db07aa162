"""The NumPy-only modules stay light: importing them loads neither torch, TensorFlow nor Keras."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("torch", "tensorflow", "keras", "jax")


@pytest.mark.parametrize("module", ["cnnbook.ops", "cnnbook.plots.images", "cnnbook.architectures"])
def test_light_module_imports_no_framework(module):
    code = (
        f"import sys, {module}\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"{module} imported {result.stdout.strip()}"
