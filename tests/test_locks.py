"""The locks install anywhere a reader has Python: each resolves for its platform from public
indexes only, with this machine's pip configuration and local wheel folders switched off.

Where no index answers, the resolution tests skip, except under ``CNNBOOK_REQUIRE_INDEX=1``
(``.ci/run`` sets it), where that is a failure.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tools import lock

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def public_index() -> str:
    if lock.index_answers(lock.PYPI):
        return lock.PYPI
    if os.environ.get(lock.REQUIRE_VAR, "").strip() == "1":
        pytest.fail(f"{lock.PYPI} does not answer, and {lock.REQUIRE_VAR}=1 requires it")
    pytest.skip(f"{lock.PYPI} does not answer: the locks cannot be resolved here")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(lock.PLATFORMS))
def test_each_lock_resolves_for_its_platform_from_the_public_index(name, public_index):
    result = lock.check(lock.PLATFORMS[name])
    assert result.ok, f"{name}: {result.note}"
    if lock.PLATFORMS[name].torch_cpu_build and not lock.index_answers(lock.TORCH_CPU_INDEX):
        assert "stood in" in result.note  # and the next test checks the index is named


def test_the_cpu_index_is_named_for_the_torch_step_only():
    makefile = (ROOT / "Makefile").read_text()
    assert f"TORCH_INDEX := {lock.TORCH_CPU_INDEX}" in makefile
    joined = makefile.replace("\\\n", " ")  # continuation lines joined
    step = next(line for line in joined.splitlines() if "--extra-index-url $(TORCH_INDEX)" in line)
    assert "--no-deps" in step and "--retries 1" in step and "^torch==" in step
    assert makefile.count("$(TORCH_INDEX)") == 1, "the CPU index is named once, for torch alone"
    for platform in lock.PLATFORMS.values():
        text = platform.lock.read_text()
        assert not re.search(r"^\s*--(extra-)?index-url|^\s*--find-links", text, re.MULTILINE)
        assert "/opt/" not in text and "file:" not in text and "/tmp" not in text, (
            "a local path in a lock")


def test_each_platform_gets_the_builds_that_exist_there():
    locks = {name: lock.pins(p.lock.read_text()) for name, p in lock.PLATFORMS.items()}
    assert locks["linux"]["torch"].endswith("+cpu") and "tensorflow-cpu" in locks["linux"]
    assert "+" not in locks["windows"]["torch"] and "tensorflow-cpu" in locks["windows"]
    assert "+" not in locks["macos"]["torch"] and "tensorflow" in locks["macos"]
    assert "tensorflow-cpu" not in locks["macos"]
    # what the book imports is the same version everywhere
    for package in ("keras", "numpy", "matplotlib", "jupyter-book", "nbval", "safetensors"):
        assert len({pins[package] for pins in locks.values()}) == 1, package
    assert locks["linux"]["torch"].split("+")[0] == locks["macos"]["torch"]
    top = lock.pins(lock.TOP.read_text())
    for name, version in top.items():
        assert locks["windows"].get(name, locks["windows"].get(name.replace("-cpu", ""))) == \
            version, name


def test_top_level_pins_are_adapted_per_platform():
    top = "torch==2.13.0\ntensorflow-cpu==2.21.0\nkeras==3.15.1\n"
    assert lock.top_for(lock.PLATFORMS["linux"], top).splitlines()[:2] == [
        "torch==2.13.0+cpu", "tensorflow-cpu==2.21.0"]
    assert lock.top_for(lock.PLATFORMS["macos"], top).splitlines()[:2] == [
        "torch==2.13.0", "tensorflow==2.21.0"]
    assert lock.top_for(lock.PLATFORMS["windows"], top).splitlines()[:2] == [
        "torch==2.13.0", "tensorflow-cpu==2.21.0"]


def test_the_resolver_runs_without_this_machines_configuration(monkeypatch):
    monkeypatch.setenv("PIP_FIND_LINKS", "/opt/wheels")
    monkeypatch.setenv("UV_INDEX_URL", "file:///somewhere")
    env = lock.clean_env(lock.PLATFORMS["macos"])
    assert env["PIP_CONFIG_FILE"] == os.devnull and env["UV_NO_CONFIG"] == "1"
    assert "PIP_FIND_LINKS" not in env and "UV_INDEX_URL" not in env
    assert env["MACOSX_DEPLOYMENT_TARGET"] == "14.0"


def test_the_ci_workflow_installs_each_lock_on_its_platform():
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    job = workflow["jobs"]["platforms"]
    rows = {row["os"]: row["lock"] for row in job["strategy"]["matrix"]["include"]}
    assert rows == {"ubuntu-24.04": "requirements/cpu-lock.txt",
                    "macos-14": "requirements/macos-lock.txt",
                    "windows-2022": "requirements/windows-lock.txt"}
    assert {str(p.lock.relative_to(ROOT)) for p in lock.PLATFORMS.values()} == set(rows.values())
    steps = "\n".join(step.get("run", "") for step in job["steps"])
    assert "pip install -r ${{ matrix.lock }}" in steps and lock.TORCH_CPU_INDEX in steps
    assert "--nbval" not in steps, "the platform jobs test the package, not the book"


def test_setup_stops_with_one_line_on_another_python(tmp_path):
    import subprocess
    import sys

    script = ROOT / "tools" / "check_python.py"
    assert subprocess.run([sys.executable, str(script)]).returncode == 0  # this venv's 3.11
    fake = tmp_path / "python"  # another version: the same script under a patched version_info
    fake.write_text("import sys, runpy\nsys.version_info = (3, 12, 1, 'final', 0)\n"
                    f"runpy.run_path({str(script)!r}, run_name='__main__')\n")
    out = subprocess.run([sys.executable, str(fake)], capture_output=True, text=True)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "is Python 3.12.1; the locks need 3.11.5" in out.stderr
    makefile = (ROOT / "Makefile").read_text()
    assert "$(PYTHON) tools/check_python.py" in makefile  # before .venv is created
