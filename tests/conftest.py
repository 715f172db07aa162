"""Shared fixtures and helpers for the test suite.

- ``shared_data``: the offline datasets; skips when ``CNNBOOK_DATA_DIR`` names no folder.
- ``close_figures``: closes every pyplot figure after a test; plot modules opt in with
  ``pytestmark = pytest.mark.usefixtures("close_figures")``, so tests that draw nothing never
  import matplotlib for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
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


@pytest.fixture
def close_figures() -> Iterator[None]:
    """Close every pyplot figure after the test, so that none piles up across a module."""
    yield
    import matplotlib.pyplot as plt  # here, not at the top: most tests draw nothing

    plt.close("all")
