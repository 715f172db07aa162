"""Readers run the book anywhere: launch buttons, each chapter's install cell, Binder's recipe.

The launch links are checked in the built HTML (``make test-book`` builds ``_build/html``; the
``browser`` marker runs this part after the build, with ``make test-browser``), by parsing each
chapter's page, without a network. The rest reads the sources.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import types
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from tools import install_cell
from tools.toc import toc_notebooks

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("CNNBOOK_HTML_DIR", ROOT / "_build" / "html"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
NOTEBOOKS = toc_notebooks()
URL, BRANCH = install_cell.repository()
SOURCE = f"git+{URL}@{BRANCH}"


def cell_of(path: Path) -> dict:
    nb = json.loads((ROOT / path).read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and install_cell.TAG in code[0]["metadata"].get("tags", []), (
        f"{path}: the first code cell is not the install cell: "
        f"run `python -m tools.install_cell {path}`")
    return code[0]


def test_the_repository_is_configured_once_and_agrees_with_the_package_metadata():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert URL == pyproject["project"]["urls"]["Source"] == "https://github.com/cnnbook/cnnbook"
    assert BRANCH == "main" and CONFIG["repository"]["path_to_book"] == ""
    buttons = CONFIG["launch_buttons"]
    assert buttons["colab_url"] == "https://colab.research.google.com"
    assert buttons["binderhub_url"] == "https://mybinder.org"
    assert buttons["jupyterhub_url"] == ""  # a setting for readers with their own hub


@pytest.mark.parametrize("path", NOTEBOOKS, ids=str)
def test_every_chapter_first_installs_cnnbook_from_the_repository(path):
    cell = cell_of(path)
    nb = json.loads((ROOT / path).read_text())
    assert sum(install_cell.is_install_cell(c) for c in nb["cells"]) == 1
    assert cell["source"] == install_cell.install_cell(nb, ROOT / path)["source"], (
        f"{path}: the install cell is out of date: run `python -m tools.install_cell {path}`")
    assert cell["outputs"] == []  # so nbval and the book show nothing for it
    text = "".join(cell["source"])
    assert f'REPO = "{SOURCE}"' in text
    named = re.findall(r'"(cnnbook[^"]*)"', text)  # find_spec's, and pip's from the repository
    assert named[0] == "cnnbook" and all(n.endswith(" @ {REPO}") for n in named[1:]), named
    extras, _ = install_cell.needs(nb)
    assert (f'f"cnnbook[{",".join(extras)}] @ {{REPO}}"' if extras
            else 'f"cnnbook @ {REPO}"') in text


def run_cell(text: str, monkeypatch, *, installed: bool, colab: bool = False,
             gpu: bool = False) -> list[list[str]]:
    """Execute an install cell here with pip replaced by a recorder; the commands it ran."""
    calls: list[list[str]] = []
    real_find_spec = importlib.util.find_spec
    if not installed:
        monkeypatch.setattr(importlib.util, "find_spec",
                            lambda name, *a: None if name == "cnnbook" else real_find_spec(name))
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append(cmd))
    monkeypatch.setattr(subprocess, "check_call", lambda cmd, **kw: calls.append(cmd))
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/nvidia-smi" if gpu else None)
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(text, "install-cell", "exec"), {})
    return calls


# The distinct install cells stored in the chapters (a missing one fails the test above).
CELLS = sorted({"".join(c["source"]) for p in NOTEBOOKS
                for c in json.loads((ROOT / p).read_text())["cells"]
                if install_cell.is_install_cell(c)})


@pytest.mark.parametrize("text", CELLS, ids=lambda t: re.search(r"cnnbook[^ ]* @", t)[0])
def test_the_install_cell_does_nothing_and_prints_nothing_where_cnnbook_is_installed(
        text, monkeypatch, capsys):
    assert run_cell(text, monkeypatch, installed=True) == []
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("text", CELLS, ids=lambda t: re.search(r"cnnbook[^ ]* @", t)[0])
def test_where_cnnbook_is_missing_it_pip_installs_it_from_the_repository(text, monkeypatch):
    (call,) = run_cell(text, monkeypatch, installed=False)
    assert call[:5] == [sys.executable, "-m", "pip", "install", "--quiet"]
    packages = call[5:]
    assert packages[0].startswith("cnnbook") and packages[0].endswith(f" @ {SOURCE}")
    assert not any(p.split("[")[0] == "cnnbook" and " @ " not in p for p in packages)


def test_on_colab_without_a_gpu_it_says_how_to_attach_one(monkeypatch, capsys):
    text = next(t for t in CELLS if "google.colab" in t)
    run_cell(text, monkeypatch, installed=True, colab=True, gpu=False)
    assert "Runtime > Change runtime type > T4 GPU" in capsys.readouterr().out
    run_cell(text, monkeypatch, installed=True, colab=True, gpu=True)
    assert capsys.readouterr().out == ""


def test_the_tool_writes_the_cell_once_and_follows_the_config(tmp_path):
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    path = tmp_path / "chapter.ipynb"
    nb = json.loads((ROOT / "book" / "pooling.ipynb").read_text())
    nb["cells"] = [c for c in nb["cells"] if not install_cell.is_install_cell(c)]
    first_code = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code")
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    assert install_cell.update(path, tmp_path) is True
    cells = json.loads(path.read_text())["cells"]
    assert install_cell.is_install_cell(cells[first_code]) and len(cells) == len(nb["cells"]) + 1
    assert cells[:first_code] == nb["cells"][:first_code]
    before = path.read_bytes()
    assert install_cell.update(path, tmp_path) is False and path.read_bytes() == before

    config = (tmp_path / "_config.yml").read_text().replace("branch: main", "branch: v2")
    (tmp_path / "_config.yml").write_text(config)
    assert install_cell.update(path, tmp_path) is True
    updated = json.loads(path.read_text())["cells"][first_code]
    assert updated["id"] == cells[first_code]["id"]
    assert f'"git+{URL}@v2"' in "".join(updated["source"])


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pins[re.sub(r"[-_.]+", "-", name.strip().lower())] = version.strip()
    return pins


def test_binder_builds_the_locked_cpu_set_and_the_package_from_the_checkout():
    binder = (ROOT / "binder" / "requirements.txt").read_text()
    lock = _pins(ROOT / "requirements" / "cpu-lock.txt")
    pins = _pins(ROOT / "binder" / "requirements.txt")
    assert {"torch", "tensorflow-cpu", "safetensors", "numpy"} <= pins.keys()
    assert {name: lock.get(name) for name in pins} == pins
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in binder
    assert ".[torch]" in binder.splitlines()  # this checkout; never the `tf` extra
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


@pytest.mark.browser
@pytest.mark.parametrize("path", NOTEBOOKS, ids=str)
def test_each_built_chapter_launches_its_own_notebook(path):
    page = HTML / path.with_suffix(".html")
    if not page.is_file():
        message = f"{page} is not built: run `make test-book` first"
        if os.environ.get("CNNBOOK_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    links = _Links()
    links.feed(page.read_text())
    buttons, org_repo = CONFIG["launch_buttons"], URL.split("github.com/")[1]
    colab = f"{buttons['colab_url']}/github/{org_repo}/blob/{BRANCH}/{path.as_posix()}"
    binder = (f"{buttons['binderhub_url']}/v2/gh/{org_repo}/{BRANCH}"
              f"?urlpath=lab/tree/{path.as_posix()}")
    launchers = [h for h in links.hrefs if h.startswith((buttons["colab_url"],
                                                          buttons["binderhub_url"]))]
    assert sorted(set(launchers)) == sorted({colab, binder}), launchers
