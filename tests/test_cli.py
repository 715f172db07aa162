"""The command line (``python -m cnnbook models``, ``doctor``, ``data fetch``, Ctrl-C) and the run
report helpers."""

from __future__ import annotations

import argparse
import os
import signal
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
    assert "profile: profile" not in out


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


# --- doctor: the devices torch sees -----------------------------------------------------------

def test_doctor_json_lists_versions_settings_and_devices(capsys):
    import json

    import cnnbook
    from cnnbook.cli import main

    assert main(["doctor", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["versions"]["cnnbook"] == cnnbook.__version__
    assert set(found["settings"]) == {"profile", "data_dir", "cache_dir", "offline"}
    cpu = found["devices"][-1]
    assert cpu["device"] == "cpu" and cpu["cores"] >= 1
    assert found["auto"] in ("cuda", "mps", "cpu")


def test_doctor_shows_each_cuda_gpu_by_name_and_memory(capsys, monkeypatch):
    """The CUDA branch, with torch.cuda mocked: no GPU is needed."""
    torch = pytest.importorskip("torch", reason="needs the torch extra")
    from types import SimpleNamespace

    from cnnbook.cli import main

    gpus = [SimpleNamespace(name="NVIDIA H200", total_memory=150_109_847_552, major=9, minor=0),
            SimpleNamespace(name="Tesla T4", total_memory=15_828_320_256, major=7, minor=5)]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: len(gpus))
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda i: gpus[i])
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 16)
    assert main(["doctor"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "         cuda:0: NVIDIA H200, 139.8 GiB, compute capability 9.0" in lines
    assert "         cuda:1: Tesla T4, 14.7 GiB, compute capability 7.5" in lines
    assert any(line.endswith("cpu: " + f"{os.cpu_count()} cores, torch uses 16 threads")
               for line in lines)
    assert lines[-1] == "  --device auto: cuda"


def test_doctor_without_torch_shows_the_cpu_and_the_extra():
    code = ("import sys; sys.modules['torch'] = None; from cnnbook.cli import main; "
            "sys.exit(main(['doctor']))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "only the CPU without torch: pip install 'cnnbook[torch]" in out.stdout
    assert out.stdout.splitlines()[-1] == "  --device auto: cpu"


# --- data fetch, Ctrl-C -------------------------------------------------------------------------

def test_data_fetch_refuses_an_unknown_name_with_status_2(capsys):
    from cnnbook.cli import main

    assert main(["data", "fetch", "imagenet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cnnbook data: error: unknown dataset 'imagenet'; use one of: mnist")
    assert err.count("\n") == 1


def test_ctrl_c_inside_a_command_is_status_130_and_one_line(capsys, monkeypatch):
    from cnnbook.cli import main

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(models_cli, "run", interrupted)
    assert main(["models"]) == 130
    assert capsys.readouterr().err == "cnnbook models: interrupted\n"


def _ctrl_c_as_in_a_terminal() -> None:
    """In the child: SIGINT raises KeyboardInterrupt even when the test runs as a background job
    (whose shell sets SIGINT to be ignored, which Python then keeps)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_sigint_to_a_running_command_exits_130_with_one_line():
    """A real SIGINT to ``cnnbook doctor`` in a child process, sent while the command runs (its
    device probe is made to wait): exit status 130, one line on stderr, no traceback."""
    code = ("import sys, time\n"
            "import cnnbook.cli.doctor as doctor\n"
            "def slow():\n"
            "    print('running', flush=True)\n"
            "    time.sleep(60)\n"
            "doctor.devices = slow\n"
            "from cnnbook.cli import main\n"
            "sys.exit(main(['doctor']))\n")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             preexec_fn=_ctrl_c_as_in_a_terminal)
    assert child.stdout is not None
    assert child.stdout.readline() == "running\n"
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert err == "cnnbook doctor: interrupted\n"


def test_a_reader_that_stops_reading_is_not_an_error(capsys, monkeypatch):
    """`cnnbook models | head`: the pipe closes, the command stops quietly with status 0."""
    from cnnbook.cli import main, models as models_cli

    def closed_pipe(args):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(models_cli, "run", closed_pipe)
    assert main(["models"]) == 0
    assert capsys.readouterr().err == ""
