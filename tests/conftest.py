"""Shared fixtures and helpers for the test suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from tests.helpers import offline_data_dir

# Hypothesis explores new random cases on every run by default. CI (HYPOTHESIS_PROFILE=ci, set by
# .ci/run) replays a fixed, derandomized set so that a landing never hangs on a fresh draw.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only offline dataset folder (CNNBOOK_DATA_DIR); skips when it is absent."""
    root = offline_data_dir()
    if root is None:
        pytest.skip("CNNBOOK_DATA_DIR is not set to an existing folder: no offline data to test")
    return root
