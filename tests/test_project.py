"""The foundation: a light package root, settings, the TOC and notebooks, the book config, CI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

import cnnbook
from cnnbook import config
from cnnbook.progress import progress
from tools.book_config import derived_config
from tools.toc import toc_notebooks, toc_pages

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = ("torch", "tensorflow", "keras", "jax")
LIGHT_MODULES = (
    "cnnbook", "cnnbook.config", "cnnbook.progress", "cnnbook.cli", "cnnbook.cli.doctor",
    "cnnbook.datasets", "cnnbook.ops", "cnnbook.plots", "cnnbook.models.specs",
    "cnnbook.cli.models",
)


# --- the package root stays light --------------------------------------------------------------

def test_light_modules_import_no_framework():
    code = (
        "import importlib, json, sys\n"
        f"for name in {LIGHT_MODULES!r}: importlib.import_module(name)\n"
        "import cnnbook.cli; cnnbook.cli.build_parser()\n"
        f"print(json.dumps(sorted(m for m in {FRAMEWORKS!r} if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_version_is_exposed():
    assert cnnbook.__version__.count(".") == 2


# --- settings ----------------------------------------------------------------------------------

def test_profile_default_is_full(monkeypatch):
    monkeypatch.delenv(config.PROFILE_VAR, raising=False)
    profile = cnnbook.get_profile()
    assert profile.name == "full" and profile.test_limit is None
    assert profile.train_limit == config.FULL_TRAIN_LIMIT == 10_000
    assert profile.pick(quick=2, full=10) == 10
    assert "10,000 class-balanced images" in profile.describe()


def test_the_full_profiles_cap_keeps_every_image_of_a_smaller_source():
    """The cap binds on the canonical files, not on an offline copy that holds fewer: the same
    arrays as no limit at all, in the same order."""
    from cnnbook.datasets.subsets import balanced_indices

    labels = np.repeat(np.arange(10), 500)  # 5,000 digits, as in a small offline copy
    np.testing.assert_array_equal(balanced_indices(labels, config.FULL_TRAIN_LIMIT),
                                  np.arange(len(labels)))
    canonical = np.random.default_rng(0).integers(0, 10, 60_000)  # more than the cap
    kept = balanced_indices(canonical, config.FULL_TRAIN_LIMIT)
    assert len(kept) == config.FULL_TRAIN_LIMIT
    assert set(np.bincount(canonical[kept], minlength=10)) == {config.FULL_TRAIN_LIMIT // 10}


def test_quick_profile_is_small_and_says_so(monkeypatch):
    monkeypatch.setenv(config.PROFILE_VAR, " Quick ")
    profile = cnnbook.get_profile()
    assert profile.quick and profile.pick(quick=2, full=10) == 2
    assert profile.train_limit is not None and profile.train_limit <= 5000
    assert "quick" in profile.describe() and "CNNBOOK_PROFILE=full" in profile.describe()


def test_unknown_profile_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(config.PROFILE_VAR, "fast")
    with pytest.raises(ValueError, match="CNNBOOK_PROFILE='fast'.*full, quick"):
        cnnbook.get_profile()


def test_data_dir_settings(monkeypatch, tmp_path):
    monkeypatch.delenv(config.DATA_DIR_VAR, raising=False)
    assert config.data_dir() is None
    monkeypatch.setenv(config.DATA_DIR_VAR, str(tmp_path))
    assert config.data_dir() == tmp_path.resolve()
    monkeypatch.setenv(config.DATA_DIR_VAR, str(tmp_path / "missing"))
    with pytest.raises(NotADirectoryError, match="CNNBOOK_DATA_DIR"):
        config.data_dir()


def test_seed_setting(monkeypatch):
    monkeypatch.delenv(config.SEED_VAR, raising=False)
    assert cnnbook.get_seed() == 0
    monkeypatch.setenv(config.SEED_VAR, " 7 ")
    assert cnnbook.get_seed() == 7
    for bad in ("-1", "seven", str(2**32)):
        monkeypatch.setenv(config.SEED_VAR, bad)
        with pytest.raises(ValueError, match=f"CNNBOOK_SEED='{bad}' is not a seed"):
            cnnbook.get_seed()


def test_cache_dir_and_offline(monkeypatch, tmp_path):
    monkeypatch.setenv(config.CACHE_DIR_VAR, str(tmp_path / "cache"))
    assert config.cache_dir() == (tmp_path / "cache").resolve()
    monkeypatch.delenv(config.CACHE_DIR_VAR)
    assert "cnnbook" in str(config.cache_dir())
    for raw, expected in [("1", True), ("yes", True), ("0", False), ("", False)]:
        monkeypatch.setenv(config.OFFLINE_VAR, raw)
        assert config.offline() is expected
    monkeypatch.setenv(config.OFFLINE_VAR, "maybe")
    with pytest.raises(ValueError, match="CNNBOOK_OFFLINE"):
        config.offline()


def test_progress_bars_know_any_jupyter_kernel_by_its_shell_class(monkeypatch):
    """ipykernel's shell, or a subclass with another name (Colab's), is a notebook; a terminal
    IPython is not."""
    import types

    from cnnbook import progress as progress_module

    class ZMQInteractiveShell:  # stands in for ipykernel.zmqshell's class
        pass

    class Shell(ZMQInteractiveShell):  # google.colab._shell.Shell subclasses it
        pass

    class TerminalInteractiveShell:
        pass

    fake_zmq = types.ModuleType("ipykernel.zmqshell")
    fake_zmq.ZMQInteractiveShell = ZMQInteractiveShell  # type: ignore[attr-defined]
    for shell, expected in ((Shell(), True), (ZMQInteractiveShell(), True),
                            (TerminalInteractiveShell(), False), (None, False)):
        ipython = types.ModuleType("IPython")
        ipython.get_ipython = lambda shell=shell: shell  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "IPython", ipython)
        monkeypatch.setitem(sys.modules, "ipykernel.zmqshell", fake_zmq)
        assert progress_module._in_jupyter_kernel() is expected, type(shell).__name__
        monkeypatch.delitem(sys.modules, "ipykernel.zmqshell")  # by the class names alone
        assert progress_module._in_jupyter_kernel() is expected, type(shell).__name__


def test_progress_bars_stay_off_when_not_a_terminal(monkeypatch):
    monkeypatch.delenv("CNNBOOK_PROGRESS", raising=False)
    assert progress(range(3)).disable  # pytest captures stderr: not a terminal
    monkeypatch.setenv("CNNBOOK_PROGRESS", "1")
    assert not progress(range(3)).disable
    monkeypatch.setenv("CNNBOOK_PROGRESS", "0")
    assert progress(range(3)).disable


def test_doctor_reports_versions_and_settings(monkeypatch, tmp_path):
    monkeypatch.setenv(config.CACHE_DIR_VAR, str(tmp_path))
    out = subprocess.run([sys.executable, "-m", "cnnbook", "doctor"], capture_output=True,
                         text=True, check=True, env={**os.environ, "CNNBOOK_PROFILE": "quick"})
    assert "numpy" in out.stdout and "profile: quick" in out.stdout


def test_cli_reports_bad_settings_in_one_line(monkeypatch, tmp_path):
    env = {**os.environ, "CNNBOOK_DATA_DIR": str(tmp_path / "nope")}
    out = subprocess.run([sys.executable, "-m", "cnnbook", "doctor"], capture_output=True,
                         text=True, env=env)
    assert out.returncode == 1
    assert out.stderr.strip().startswith("cnnbook doctor: error:") and "Traceback" not in out.stderr


# --- the book: TOC, notebooks, config -----------------------------------------------------------

def test_toc_entries_exist_and_every_chapter_is_in_the_toc():
    pages = toc_pages()
    assert pages[0] == "book/intro"
    for page in pages:
        assert any((ROOT / f"{page}{ext}").exists() for ext in (".md", ".ipynb")), page
    listed = {ROOT / f"{page}.ipynb" for page in pages}
    orphans = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "book").glob("*.ipynb")
                     if p not in listed)
    assert orphans == [], f"notebooks missing from _toc.yml: {orphans}"
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    captions = [part["caption"] for part in toc["parts"]]
    # the path a learner follows first, then what a reader on it may skip
    assert captions == ["Concepts", "The post's three examples", "Building CNNs",
                        "What a network learned", "CNNs that say where", "Play",
                        "Under the hood"]
    hood = [c["file"] for c in toc["parts"][-1]["chapters"]]
    assert hood == ["book/three_frameworks", "book/speed", "book/use_outside",
                    "book/keras_internals", "book/appendix_data"]


@pytest.mark.parametrize("path", toc_notebooks(), ids=str)
def test_notebook_hygiene(path):
    """Stored outputs exist, hold no errors, no machine-specific paths, and stay small."""
    nb = json.loads((ROOT / path).read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and any(c["outputs"] for c in code), \
        "no stored outputs: run it in the quick profile"
    text = json.dumps([c["outputs"] for c in code])
    assert '"output_type": "error"' not in text
    for marker in ("/work/", "/home/", "/root/", "/tmp/", "site-packages"):
        assert marker not in text, f"stored output contains a machine path ({marker})"
    assert (ROOT / path).stat().st_size < 1_500_000


# Every figure goes through cnnbook.plots (show_*, plot_*) or its style's figure factory.
PLOT_CALL = re.compile(r"\b(show_\w+|plot_\w+|style\.(subplots|figure)|plt\.(subplots|figure))\(")


@pytest.mark.parametrize("path", toc_notebooks(), ids=str)
def test_every_figure_shows_exactly_once(path):
    """nbval does not compare images, so check here that figures neither vanish nor double."""
    nb = json.loads((ROOT / path).read_text())
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        pngs = [o["data"]["image/png"] for o in cell["outputs"] if "image/png" in o.get("data", {})]
        if PLOT_CALL.search("".join(cell["source"])):
            assert pngs, f"cell {index} draws a figure but stores no image"
        assert len(pngs) == len(set(map(str, pngs))), f"cell {index} shows the same figure twice"


def test_book_configs_for_make(tmp_path):
    off = derived_config("off", "quick")
    assert off["execute"]["execute_notebooks"] == "off"
    quick, full = derived_config("cache", "quick"), derived_config("cache", "full")
    assert quick["execute"]["cache"] != full["execute"]["cache"], "one execution cache per profile"
    for cfg in (off, quick):
        assert cfg["only_build_toc_files"] is True and cfg["execute"]["timeout"] > 0
        assert all(Path(p).is_absolute() for p in cfg["sphinx"]["local_extensions"].values())
        assert {"_build", ".venv", "tests"} <= set(cfg["exclude_patterns"])


@pytest.mark.slow
def test_a_raising_cell_fails_the_book_build(tmp_path):
    """Our execution settings with -W: one cell raising must fail the whole build."""
    cfg = derived_config("force", "quick")
    cfg["sphinx"].pop("local_extensions")
    (tmp_path / "_config.yml").write_text(yaml.safe_dump(cfg))
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: broken\n")
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": "raise RuntimeError('this cell fails on purpose')"}
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# Broken"}, cell],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                      "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "broken.ipynb").write_text(json.dumps(nb))
    jb = Path(sys.executable).with_name("jupyter-book")
    out = subprocess.run([str(jb), "build", "-W", "-n", "--keep-going", str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode != 0
    assert "this cell fails on purpose" in out.stdout + out.stderr


# --- CI files ----------------------------------------------------------------------------------

@pytest.mark.parametrize("workflow", sorted((ROOT / ".github" / "workflows").glob("*.yml")),
                         ids=lambda p: p.name)
def test_github_workflow_is_valid(workflow):
    exe = Path(sys.executable).with_name("check-jsonschema")
    out = subprocess.run([str(exe), "--builtin-schema", "vendor.github-workflows", str(workflow)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_ci_runs_the_readme_test_command():
    run = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in run and "```bash\nmake book\nmake test\n```" in readme
    assert "CNNBOOK_PROFILE=quick" in run and "CNNBOOK_OFFLINE=1" in run


@pytest.mark.parametrize("module, missing, extra", [
    ("cnnbook.models.torch_nets", "torch", "torch"),
    ("cnnbook.training", "torch", "torch"),
    ("cnnbook.datasets.torch_data", "torch", "torch"),
    ("cnnbook.models.keras_nets", "keras", "tf"),
    ("cnnbook.models.port", "keras", "tf"),
    ("cnnbook.datasets.tf_data", "tensorflow", "tf"),
])
def test_a_missing_framework_names_the_extra(module, missing, extra):
    code = (f"import sys; sys.modules[{missing!r}] = None\n"  # makes `import {missing}` fail
            f"try:\n    import {module}\nexcept ImportError as err:\n    print(err)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert f"pip install 'cnnbook[{extra}] @ git+https://github.com/cnnbook/cnnbook@main'" in \
        out.stdout


def test_ci_preamble_runs_without_the_shared_folder(tmp_path):
    """Everything `.ci/run` does before `make test`, in a clone with no ../shared beside it (as on
    GitHub): it must not fail on its own."""
    run = (ROOT / ".ci" / "run").read_text()
    preamble = run[:run.index("\nmake test\n")] + '\necho "preamble ok"\n'
    repo = tmp_path / "clone" / "repo"
    (repo / ".ci").mkdir(parents=True)
    (repo / ".ci" / "run").write_text(preamble)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CNNBOOK_")}
    env["CNNBOOK_CHROMIUM"] = sys.executable  # an executable: nothing to install
    out = subprocess.run(["bash", str(repo / ".ci" / "run")], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "CNNBOOK_DATA_DIR=unset CNNBOOK_OFFLINE=0" in out.stdout
    assert out.stdout.strip().endswith("preamble ok")


def test_the_published_build_never_reuses_a_stale_execution_cache():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text())
    caches = [s for s in workflow["jobs"]["build"]["steps"]
              if str(s.get("uses", "")).startswith("actions/cache")]
    (execution,) = [s for s in caches if "_build/.jupyter_cache" in s["with"]["path"]]
    assert "restore-keys" not in execution["with"], "an older cache would publish stale numbers"
    # the artefacts pages need are restored with the pages that were executed with them
    assert "_build/artefacts" in execution["with"]["path"].split()
    key = execution["with"]["key"]
    for part in ("book/**", "cnnbook/**", "requirements/**", "pyproject.toml", "_config.yml"):
        assert f"'{part}'" in key, part
    build = next(s for s in workflow["jobs"]["build"]["steps"] if s.get("run") == "make book")
    assert build["env"]["CNNBOOK_PROFILE"] == "full"


@pytest.mark.parametrize("path", toc_notebooks(), ids=str)
def test_the_profile_banner_only_where_the_profile_changes_something(path):
    """A chapter prints which profile ran (its stored quick outputs say "profile: quick") exactly
    when its code reads the profile for something else: what it trains, or how much data it
    takes. Elsewhere the banner is noise on the page."""
    nb = json.loads((ROOT / path).read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    shown = json.dumps([c.get("outputs", []) for c in nb["cells"]])
    banner = "profile: quick (" in shown
    used = re.sub(r"PROFILE = get_profile\(\)|PROFILE\.describe\(\)", "", code)
    assert banner == bool(re.search(r"\bPROFILE\b", used)), (
        "prints the profile but never reads it" if banner else "reads the profile silently")
