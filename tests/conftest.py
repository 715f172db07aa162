"""Shared fixtures and helpers for the test suite."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".ci"))  # toc_notebooks, book_config: the Makefile's own helpers


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only offline dataset folder (CNNBOOK_DATA_DIR); skips when it is absent."""
    raw = os.environ.get("CNNBOOK_DATA_DIR", "")
    if not raw or not Path(raw).is_dir():
        pytest.skip("CNNBOOK_DATA_DIR is not set to an existing folder: no offline data to test")
    return Path(raw)
