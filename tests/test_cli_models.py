"""``cnnbook models``: one row per model and framework, with the model's task."""

from __future__ import annotations

import pytest

from cnnbook.cli import main
from cnnbook.models import catalogue


def test_models_lists_each_models_task_and_framework(capsys):
    pytest.importorskip("torch", reason="needs the torch extra")
    assert main(["models", "--framework", "torch"]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split()[:4] == ["model", "task", "framework", "parameters"]
    assert len(rows) == len(catalogue.CATALOGUE)
    for row, entry in zip(rows, catalogue.entries(), strict=True):
        name, task, framework, count = row.split()[:4]
        assert (name, task, framework) == (entry.name, entry.task, "torch")
        assert count == f"{entry.count_params():,}"
