"""Shared fixtures and helpers for the test suite.

- ``shared_data``: the one way a test needs the offline datasets; it skips, with one message,
  when ``CNNBOOK_DATA_DIR`` names no folder.
- ``close_figures``: closes every pyplot figure after a test; plot modules opt in with
  ``pytestmark = pytest.mark.usefixtures("close_figures")``, so tests that draw nothing never
  import matplotlib for it.
- ``cli_run``: one small ``cnnbook train`` run, trained once per session and shared, read-only,
  by the CLI tests.
"""

from __future__ import annotations

import hashlib
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

NO_DATA = ("no offline data: set CNNBOOK_DATA_DIR to the offline dataset folder (`make test` and "
           "CI set it) to run this test")

# The run the CLI tests share: two epochs of post_tensorflow on 300 MNIST images (270 train / 30
# validation), batch 64, on the CPU.
CLI_RUN_ARGS = ("train", "post_tensorflow", "--data", "mnist", "--limit", "300", "--batch-size",
                "64", "--device", "cpu", "--epochs", "2")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only offline dataset folder (CNNBOOK_DATA_DIR); skips when it is absent."""
    root = offline_data_dir()
    if root is None:
        pytest.skip(NO_DATA)
    return root


@pytest.fixture
def close_figures() -> Iterator[None]:
    """Close every pyplot figure after the test, so that none piles up across a module."""
    yield
    import matplotlib.pyplot as plt  # here, not at the top: most tests draw nothing

    plt.close("all")


def _digest(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``, by relative path."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def _cli_run_once(shared_data: Path,
                  tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Train :data:`CLI_RUN_ARGS` once per session; the run folder and its files' digests."""
    from cnnbook.cli import main

    out = tmp_path_factory.mktemp("cli_run") / "run"
    assert main([*CLI_RUN_ARGS, "--out", str(out)]) == 0
    return out, _digest(out)


@pytest.fixture
def cli_run(_cli_run_once: tuple[Path, dict[str, str]]) -> Iterator[Path]:
    """The shared ``cnnbook train`` run folder (:data:`CLI_RUN_ARGS`). Read-only: a test that
    writes into it errors at teardown; copy it first (``shutil.copytree``) to change it."""
    out, before = _cli_run_once
    yield out
    assert _digest(out) == before, f"a test changed the shared run {out}; change a copy instead"
