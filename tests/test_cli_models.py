"""``cnnbook models``: one row per model with its frameworks in a column, ``--json``, and no
framework (nor matplotlib) imported to print them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cnnbook.cli import main
from cnnbook.models import catalogue

HEAVY = ("torch", "tensorflow", "keras", "jax", "matplotlib")


def test_models_prints_one_row_per_model_with_its_frameworks(capsys):
    assert main(["models"]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split() == ["model", "task", "dataset", "frameworks", "parameters",
                              "description"]
    assert len(rows) == len(catalogue.CATALOGUE)
    for row, entry in zip(rows, catalogue.entries(), strict=True):
        name, task, dataset, frameworks, count = row.split()[:5]
        assert (name, task, dataset) == (entry.name, entry.task, entry.dataset)
        assert frameworks == ",".join(entry.frameworks)
        assert count == f"{entry.count_params():,}"
        assert row.endswith(f"  {entry.description}")


def test_models_json_and_framework_filter(capsys):
    assert main(["models", "--json", "--framework", "keras"]) == 0
    found = json.loads(capsys.readouterr().out)
    keras_models = [e for e in catalogue.entries() if "keras" in e.frameworks]
    assert 0 < len(found) == len(keras_models) < len(catalogue.CATALOGUE)
    for item, entry in zip(found, keras_models, strict=True):
        assert item == {"model": entry.name, "task": entry.task, "dataset": entry.dataset,
                        "frameworks": list(entry.frameworks),
                        "parameters": entry.count_params(), "description": entry.description}


def test_models_reads_the_catalogue_without_importing_a_framework_or_matplotlib():
    """``python -m cnnbook models`` in a fresh process, every import it made listed by
    ``-X importtime`` on stderr: none of them is a framework or matplotlib, and stderr holds
    nothing else (no start-up lines)."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "cnnbook", "models"],
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stderr.splitlines()
    imported = {line.rsplit("|", 1)[1].strip() for line in lines
                if line.startswith("import time:") and "|" in line}
    assert "cnnbook.models.catalogue" in imported  # the listing is complete
    assert not {m for m in imported if m.split(".")[0] in HEAVY}
    assert [line for line in lines if not line.startswith("import time:")] == []
    assert len(out.stdout.splitlines()) == len(catalogue.CATALOGUE) + 1


def test_models_check_json_gives_each_built_count(capsys):
    pytest.importorskip("torch", reason="needs the torch extra")
    assert main(["models", "--framework", "torch", "--check", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert len(found) == len(catalogue.CATALOGUE)
    assert all(item["built"] == {"torch": item["parameters"]} for item in found)
