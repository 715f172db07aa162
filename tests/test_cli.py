"""The command line (``python -m cnnbook models``, ``doctor``) and the run report helpers."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from cnnbook import report
from cnnbook.cli import models as models_cli
from cnnbook.config import get_profile


def run_models(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    models_cli.register(parser.add_subparsers())
    args = parser.parse_args(["models", *argv])
    return args.func(args)


def test_importing_the_cli_module_imports_no_framework():
    code = ("import sys, cnnbook.cli.models, cnnbook.report, cnnbook.plots.training; "
            "print([m for m in ('torch', 'tensorflow', 'keras') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_models_check_flags_a_builder_that_disagrees_with_its_spec(capsys, monkeypatch):
    pytest.importorskip("torch", reason="needs the torch extra")
    import cnnbook.models.summary

    monkeypatch.setattr(cnnbook.models.summary, "count_params", lambda model: 7)
    assert run_models("--framework", "torch", "--check") == 1
    out = capsys.readouterr().out
    assert "7, but the spec says 54,410" in out and "7, but the spec says 315,722" in out


def test_doctor_reports_versions_and_settings(capsys):
    import cnnbook
    from cnnbook.cli import main

    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert f"cnnbook: {cnnbook.__version__}" in out and "profile:" in out and "offline:" in out


def test_version_option(capsys):
    import cnnbook
    from cnnbook.cli import main

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out == f"cnnbook {cnnbook.__version__}\n"


def test_a_bad_model_framework_is_a_usage_error(capsys):
    from cnnbook.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["models", "--framework", "jax"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'jax'" in capsys.readouterr().err


def test_models_check_builds_and_counts_each_torch_model(capsys):
    pytest.importorskip("torch", reason="needs the torch extra")
    assert run_models("--framework", "torch", "--check") == 0
    out = capsys.readouterr().out
    for name, count in (("post_tensorflow", "54,410"), ("post_keras", "225,034"),
                        ("post_pytorch", "315,722")):
        assert f"built {name:<18} torch {count} ok" in out
    assert "unavailable" not in out and "the spec says" not in out


def test_missing_framework_is_reported_with_its_extra():
    # A child process where `import torch` fails, as on a machine without the extra.
    code = ("import sys; sys.modules['torch'] = None; from cnnbook.cli import main; "
            "sys.exit(main(['models', '--framework', 'torch', '--check']))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stderr
    rows = [line for line in out.stdout.splitlines() if line.startswith("built ")]
    from cnnbook.models import catalogue

    assert len(rows) == len(catalogue.CATALOGUE) >= 3  # every model has a torch builder
    assert all("unavailable" in row and "cnnbook[torch]" in row for row in rows)


def test_run_header_and_reproducibility_card(capsys):
    profile = get_profile("quick")
    report.run_header(profile, "mnist: 10 train / 10 test", "cpu")
    header = capsys.readouterr().out
    report.reproducibility_card(0, "cpu", profile, "mnist: 10 train / 10 test", 1.25,
                                {"test accuracy": 0.91234, "epochs": 3})
    card = capsys.readouterr().out
    assert header.splitlines() == [profile.describe(), "data: mnist: 10 train / 10 test",
                                    "device: cpu"]
    assert "test accuracy: 0.9123" in card and "epochs: 3" in card
    assert "wall time: 1.2 s" in card or "wall time: 1.3 s" in card
    assert "numpy " in card and "python " in card
