"""The GPU notebook runner's dry run (``.ci/gpu_notebooks.sh --list``), on this machine.

A real run needs a CUDA GPU; ``--list`` runs anywhere and shows which notebooks would run or be
skipped, and why. A throw-away copy of the runner with a made-up book checks each status.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ".ci/gpu_notebooks.sh"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def list_notebooks(root: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHON=sys.executable)
    return subprocess.run(["bash", str(root / SCRIPT), "--list"], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


def notebook(path: Path, code: str, requires: list[str] | None = None) -> None:
    meta = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    if requires is not None:
        meta["cnnbook"] = {"requires": requires}
    cell = {"cell_type": "code", "metadata": {}, "source": code, "outputs": [],
            "execution_count": None}
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": meta,
                                "cells": [cell]}))


def test_list_classifies_each_notebook_with_a_reason(tmp_path):
    for name in (".ci/gpu_notebooks.sh", "tools/__init__.py", "tools/gpu_select.py",
                 "tools/toc.py"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    book = tmp_path / "book"
    book.mkdir()
    (book / "intro.md").write_text("# Intro\n")
    notebook(book / "plain.ipynb", "import numpy as np\nfrom cnnbook import get_profile\n")
    notebook(book / "declared.ipynb", "import not_a_module_xyz\n", requires=["not_a_module_xyz"])
    notebook(book / "sneaky.ipynb", "import numpy\nfrom not_a_module_xyz import f\n")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nparts:\n  - caption: All\n    chapters:\n"
        "      - file: book/plain\n      - file: book/declared\n      - file: book/sneaky\n")

    done = list_notebooks(tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [line.split(None, 2) for line in done.stdout.splitlines()]
    assert [(status, path) for status, path, _ in lines] == [
        ("RUN", "book/plain.ipynb"), ("SKIP", "book/declared.ipynb"),
        ("UNDECLARED", "book/sneaky.ipynb")]
    assert "requires not_a_module_xyz (declared" in lines[1][2]
    assert "imports not_a_module_xyz" in lines[2][2]


def test_list_covers_every_notebook_of_the_real_toc():
    from tools.toc import toc_notebooks

    done = list_notebooks(ROOT)
    assert done.returncode == 0, done.stderr
    listed = [line.split(None, 2)[:2] for line in done.stdout.splitlines()]
    assert [path for _, path in listed] == [str(p) for p in toc_notebooks()]
    assert {status for status, _ in listed} <= {"RUN", "SKIP", "UNDECLARED"}


def test_a_real_run_refuses_without_a_data_folder():
    env = {k: v for k, v in os.environ.items() if k != "CNNBOOK_DATA_DIR"}
    done = subprocess.run(["bash", str(ROOT / SCRIPT)], capture_output=True, text=True, env=env,
                          timeout=60, check=False)
    assert done.returncode != 0 and "CNNBOOK_DATA_DIR" in done.stderr
