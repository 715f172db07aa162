"""The GPU notebook runner (``.ci/gpu_notebooks.sh``, ``make test-gpu``) checked on a CPU machine.

A real run needs a CUDA GPU and installs its environment; ``--list`` runs anywhere and shows which
notebooks would run or be skipped, and why; ``--list --as-installed`` does so as if exactly what a
run installs (``requirements/gpu.txt``) were present, whatever this machine has. A throw-away copy
of the runner with a made-up book checks each status. The glue shim, the nbval plugin and the GPU
workflow are checked here too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools import gpu_nbval, gpu_select, install_cell
from tools.lock import pins
from tools.toc import toc_notebooks

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ".ci/gpu_notebooks.sh"
RUNNER_FILES = (SCRIPT, "tools/__init__.py", "tools/gpu_select.py", "tools/toc.py",
                "requirements/gpu.txt")
MNIST_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")

needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def runner(root: Path, *args: str, cache: Path) -> subprocess.CompletedProcess:
    """``gpu_notebooks.sh ARGS`` in ``root`` with this interpreter, no venv, no CNNBOOK_ settings
    but an empty download cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CNNBOOK_", "GPU_"))}
    env.update(PYTHON=sys.executable, GPU_VENV="none", CNNBOOK_CACHE_DIR=str(cache),
               SITE_DIR=str(cache / "site"), PYTHONPATH=str(ROOT))
    return subprocess.run(["bash", str(root / SCRIPT), *args], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


def rows(done: subprocess.CompletedProcess) -> list[tuple[str, str, str]]:
    assert done.returncode == 0, done.stdout + done.stderr
    return [tuple(line.split(None, 2)) for line in done.stdout.splitlines()]  # type: ignore[misc]


def notebook(path: Path, code: str, requires: list[str] | None = None,
             data: list[str] | None = None) -> None:
    meta: dict = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}}
    declared = {"requires": requires, "data": data}
    if any(v is not None for v in declared.values()):
        meta["cnnbook"] = {k: v for k, v in declared.items() if v is not None}
    cell = {"cell_type": "code", "metadata": {}, "source": code, "outputs": [],
            "execution_count": None}
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": meta,
                                "cells": [cell]}))


@pytest.fixture
def fake_book(tmp_path):
    """A copy of the runner beside a made-up book of one notebook per status."""
    for name in RUNNER_FILES:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    book = tmp_path / "book"
    book.mkdir()
    (book / "intro.md").write_text("# Intro\n")
    notebook(book / "plain.ipynb", "import numpy as np\nfrom cnnbook import get_profile\n")
    notebook(book / "declared.ipynb", "import not_a_module_xyz\n", requires=["not_a_module_xyz"])
    notebook(book / "sneaky.ipynb", "import numpy\nfrom not_a_module_xyz import f\n")
    notebook(book / "digits.ipynb", "x = load_mnist(limit=10)\n", data=["mnist"])
    notebook(book / "clothes.ipynb", "x = load_fashion_mnist()\n", data=["fashion-mnist"])
    notebook(book / "scenes.ipynb", "x = make_scenes(4, split='train', seed=0)\n")
    names = ("plain", "declared", "sneaky", "digits", "clothes", "scenes")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nparts:\n  - caption: All\n    chapters:\n"
        + "".join(f"      - file: book/{name}\n" for name in names))
    return tmp_path


@needs_bash
def test_list_classifies_each_notebook_with_a_reason(fake_book, tmp_path):
    listed = rows(runner(fake_book, "--list", cache=tmp_path / "cache"))
    assert [(status, path) for status, path, _ in listed] == [
        ("RUN", "book/plain.ipynb"), ("SKIP", "book/declared.ipynb"),
        ("UNDECLARED", "book/sneaky.ipynb"), ("RUN", "book/digits.ipynb"),
        ("RUN", "book/clothes.ipynb"), ("UNDECLARED", "book/scenes.ipynb")]
    reasons = {path: reason for _, path, reason in listed}
    assert "requires not_a_module_xyz (declared" in reasons["book/declared.ipynb"]
    assert "imports not_a_module_xyz" in reasons["book/sneaky.ipynb"]
    assert "loads mnist without declaring it" in reasons["book/scenes.ipynb"]


@needs_bash
def test_offline_a_chapter_whose_declared_data_is_absent_is_skipped_with_its_reason(
        fake_book, tmp_path):
    data = tmp_path / "data"
    (data / "mnist").mkdir(parents=True)
    for name in MNIST_FILES:  # the offline folder is recognised by its file names
        (data / "mnist" / name).write_bytes(b"")
    (tmp_path / "wheels").mkdir()
    listed = rows(runner(fake_book, "--list", "--as-installed", "--wheels",
                         str(tmp_path / "wheels"), "--data", str(data), "digits", "clothes",
                         cache=tmp_path / "cache"))
    assert [(status, path) for status, path, _ in listed] == [
        ("RUN", "book/digits.ipynb"), ("SKIP", "book/clothes.ipynb")]
    assert "data absent offline: fashion-mnist (in neither $CNNBOOK_DATA_DIR nor the download " \
           "cache)" in listed[1][2]


def test_what_make_test_gpu_installs_leaves_no_chapter_undeclared():
    """Every chapter that needs no TensorFlow runs with what a run installs; offline, only those
    declaring an online-only package (scikit-image) are skipped as well."""
    for mode in ("online", "offline"):
        check = gpu_select.as_installed(mode)
        for path in toc_notebooks():
            status, reason = gpu_select.classify(ROOT / path, check)
            requires = json.loads((ROOT / path).read_text())["metadata"].get(
                "cnnbook", {}).get("requires", [])
            assert status != "UNDECLARED", (mode, path, reason)
            online_only = {"skimage", "scipy"} if mode == "offline" else set()
            if not {"tensorflow", *online_only} & set(requires):
                assert status == "RUN", (mode, path, reason)


@needs_bash
def test_list_as_installed_covers_the_real_toc_without_undeclared(tmp_path):
    listed = rows(runner(ROOT, "--list", "--as-installed", cache=tmp_path / "cache"))
    assert [path for _, path, _ in listed] == [str(p) for p in toc_notebooks()]
    assert {status for status, _, _ in listed} == {"RUN", "SKIP"}
    assert all("tensorflow" in reason for status, _, reason in listed if status == "SKIP")


@needs_bash
def test_a_subset_of_chapters_by_name_or_path_in_toc_order(tmp_path):
    listed = rows(runner(ROOT, "--list", "--as-installed", "book/speed.ipynb", "pooling",
                         "book/data", cache=tmp_path / "cache"))
    assert [path for _, path, _ in listed] == ["book/pooling.ipynb", "book/data.ipynb",
                                                "book/speed.ipynb"]
    wrong = runner(ROOT, "--list", "not_a_chapter", cache=tmp_path / "cache")
    assert wrong.returncode == 2 and "'not_a_chapter' is not a notebook of _toc.yml" in \
        wrong.stderr


@needs_bash
def test_offline_setup_names_what_the_wheel_folder_lacks(tmp_path):
    (tmp_path / "wheels").mkdir()
    done = runner(ROOT, "--install", "--wheels", str(tmp_path / "wheels"),
                  cache=tmp_path / "cache")
    assert done.returncode == 1
    assert "holds neither *.whl nor site-cp312.tar.xz" in done.stderr


def test_the_declared_data_covers_every_loader_call():
    for path in toc_notebooks():
        nb = json.loads((ROOT / path).read_text())
        code = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        loaded = {gpu_select.LOADERS[f] for f in gpu_select.LOADER_CALL.findall(code)}
        declared = set(nb["metadata"].get("cnnbook", {}).get("data", []))
        assert loaded <= declared, path
        assert declared <= {"mnist", "fashion-mnist", "cifar10"}, path


def test_gpu_requirements_are_pinned_by_the_lock_and_name_their_modules():
    text = (ROOT / "requirements" / "gpu.txt").read_text()
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    lock = pins((ROOT / "requirements" / "cpu-lock.txt").read_text())
    for line in lines:
        name = line.split()[0]
        assert re.sub(r"[-_.]+", "-", name).lower() in lock, name
        assert "# modules:" in line and line.split("modules:")[1].split(), line
        assert not name.startswith(("torch", "tensorflow")), name
    assert {"myst_nb", "safetensors", "keras", "nbval", "ipykernel"} <= \
        gpu_select.installed_modules("online")


GLUE = """
import importlib.util, json, sys
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
spec = importlib.util.spec_from_file_location("shim", sys.argv[1])
shim = importlib.util.module_from_spec(spec)
spec.loader.exec_module(shim)
InteractiveShell.instance()
shown = {}
for source in ("shim", "myst_nb"):
    glue = shim.glue if source == "shim" else __import__("myst_nb").glue
    with capture_output() as cap:
        glue("acc", 0.25)
        glue("hidden", [1, 2], display=False)
    shown[source] = [[o.data, o.metadata] for o in cap.outputs]
print(json.dumps(shown))
"""


def test_the_glue_shim_displays_what_myst_nb_glue_does():
    pytest.importorskip("IPython")
    shim = ROOT / "tools" / "glue_shim" / "myst_nb" / "__init__.py"
    code = GLUE if gpu_select.importable("myst_nb") else GLUE.replace(
        '("shim", "myst_nb")', '("shim",)')
    out = subprocess.run([sys.executable, "-c", code, str(shim)], capture_output=True,
                         text=True, timeout=60, check=True)
    shown = json.loads(out.stdout.strip().splitlines()[-1])
    (shown_value, meta), (hidden, hidden_meta) = shown["shim"]
    assert shown_value == {"text/plain": "0.25"}
    assert meta["scrapbook"] == {"name": "acc", "mime_prefix": ""}
    assert hidden == {"application/papermill.record/text/plain": "[1, 2]"}
    assert hidden_meta["scrapbook"]["name"] == "hidden"
    if "myst_nb" in shown:
        assert shown["shim"] == shown["myst_nb"]


def test_the_nbval_plugin_leaves_out_install_cells_only():
    class Cell:
        def __init__(self, tags):
            self.metadata = {"tags": tags}

    class Item:
        def __init__(self, tags):
            self.cell = Cell(tags)

    class Hook:
        deselected: list = []

        def pytest_deselected(self, items):
            self.deselected += items

    class Config:
        hook = Hook()

    install, other, plain = Item(["install-cnnbook", "hide-input"]), Item(["hide-input"]), Item([])
    items = [install, other, plain]
    gpu_nbval.pytest_collection_modifyitems(Config(), items)
    assert items == [other, plain] and Config.hook.deselected == [install]
    assert gpu_nbval.INSTALL_TAG == install_cell.TAG


def test_make_test_gpu_needs_no_cpu_venv_and_passes_the_chapters():
    makefile = (ROOT / "Makefile").read_text()
    rule = re.search(r"^test-gpu:(.*)\n\t(.*)$", makefile, re.MULTILINE)
    assert rule is not None
    assert "setup" not in rule[1], "a GPU machine must not install the CPU lock"
    assert ".ci/gpu_notebooks.sh" in rule[2] and "$(CHAPTERS)" in rule[2]


def test_the_gpu_workflow_installs_and_does_not_force_offline_mode():
    text = (ROOT / ".github" / "workflows" / "gpu.yml").read_text()
    workflow = yaml.safe_load(text)
    (job,) = workflow["jobs"].values()
    assert {"self-hosted", "gpu"} <= set(job["runs-on"])
    steps = job["steps"]
    runs = [str(step.get("run", "")) for step in steps]
    install = next(i for i, run in enumerate(runs) if "gpu_notebooks.sh --install" in run)
    test = next(i for i, run in enumerate(runs) if "make test-gpu" in run)
    assert install < test
    assert "CNNBOOK_OFFLINE" not in text and "--wheels" not in text
    caches = [s for s in steps if str(s.get("uses", "")).startswith("actions/cache")]
    assert any("~/.cache/cnnbook" in s["with"]["path"] for s in caches)
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and "_build/gpu" in upload["with"]["path"]
