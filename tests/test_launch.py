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
from tools.lock import pins as pins_of
from tools.toc import toc_notebooks

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("CNNBOOK_HTML_DIR", ROOT / "_build" / "html"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
NOTEBOOKS = toc_notebooks()
URL, BRANCH = install_cell.repository()
SOURCE = f"git+{URL}@{BRANCH}"
FIND_SPEC = importlib.util.find_spec  # the real one, whatever a test patches


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
    required = install_cell.needs(nb)
    assert list(required)[0] == "cnnbook" and required["cnnbook"] == "cnnbook @ {REPO}"
    assert '    "cnnbook": f"cnnbook @ {REPO}",' in text
    for module, pip in list(required.items())[1:]:
        assert f'    "{module}": "{pip}",' in text
    # no requirement names cnnbook with extras: a preinstalled framework is never replaced
    assert not re.search(r"cnnbook\[", text)


def test_chapters_get_the_frameworks_their_cnnbook_imports_need():
    """Derived from the package, not only from the chapter's top-level imports."""
    def needed(name: str) -> set[str]:
        return set(install_cell.needs(json.loads((ROOT / "book" / name).read_text())))

    assert {"torch", "safetensors"} <= needed("data.ipynb")  # to_dataloader, catalogue builds
    assert {"torch", "safetensors"} <= needed("use_outside.ipynb")
    assert {"tensorflow", "keras"} <= needed("keras_example.ipynb")
    assert {"torch", "keras"} <= needed("attribution.ipynb")  # Keras Grad-CAM workers
    assert needed("appendix_data.ipynb") == {"cnnbook"}
    assert install_cell.frameworks_of("cnnbook.training", ("save_checkpoint",)) >= {
        "torch", "safetensors"}
    assert install_cell.frameworks_of("cnnbook.explain", ("grad_cam",)) == {"torch"}
    assert install_cell.frameworks_of("cnnbook.explain", ("pca",)) == set()
    assert install_cell.frameworks_of("cnnbook.ops") == set()


def run_cell(text: str, monkeypatch, *, missing: set[str] = frozenset(), colab: bool = False,
             gpu: bool = False) -> list[list[str]]:
    """Execute an install cell here with pip replaced by a recorder; the commands it ran."""
    calls: list[list[str]] = []
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in missing else FIND_SPEC(name))
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


def _cell_id(text: str) -> str:
    return "+".join(re.findall(r'^    "(\w+)":', text, re.MULTILINE))


@pytest.mark.parametrize("text", CELLS, ids=_cell_id)
def test_the_install_cell_does_nothing_and_prints_nothing_where_all_is_installed(
        text, monkeypatch, capsys):
    assert run_cell(text, monkeypatch) == []
    assert capsys.readouterr() == ("", "")


PIP = [sys.executable, "-m", "pip", "install", "--quiet"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=str)
def test_each_chapter_installs_only_what_is_missing(path, monkeypatch):
    text = "".join(cell_of(path)["source"])
    required = install_cell.needs(json.loads((ROOT / path).read_text()))
    # Colab: torch, TensorFlow and Keras preinstalled; cnnbook and the rest missing
    colab_missing = {m for m in required if m not in ("torch", "tensorflow", "keras")}
    (call,) = run_cell(text, monkeypatch, missing=colab_missing)
    assert call[:5] == PIP and call[5] == f"cnnbook @ {SOURCE}"
    assert not {p.split(">")[0] for p in call[5:]} & {"torch", "tensorflow", "keras"}
    assert len(call) == 5 + len(colab_missing)
    # cnnbook installed but a framework it needs missing: that framework, nothing else
    framework = next((m for m in ("torch", "keras") if m in required), None)
    if framework:
        (call,) = run_cell(text, monkeypatch, missing={framework})
        assert call == [*PIP, required[framework]] and required[framework].startswith(
            f"{framework}>=")
    # a fresh Jupyter with nothing: everything, cnnbook first, from the repository
    (call,) = run_cell(text, monkeypatch, missing=set(required))
    assert call[5] == f"cnnbook @ {SOURCE}" and len(call) == 5 + len(required)


def test_the_lower_bounds_in_the_cells_are_the_package_extras():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    assert set(install_cell.extra_requirements().values()) == {*extras["torch"], *extras["tf"]}


def test_on_colab_without_a_gpu_it_says_how_to_run_quickly(monkeypatch, capsys):
    texts = [t for t in CELLS if "google.colab" in t]
    assert texts, "no chapter says what the full profile costs on Colab's CPU"
    for text in texts:
        run_cell(text, monkeypatch, colab=True, gpu=False)
        out = capsys.readouterr().out
        assert out.count("\n") == 1 and "os.environ['CNNBOOK_PROFILE'] = 'quick'" in out
        assert re.search(r"the full profile took \d+ min on a 2-core CPU", out), out
        run_cell(text, monkeypatch, colab=True, gpu=True)
        run_cell(text, monkeypatch, colab=False, gpu=False)
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


def test_binder_builds_the_locked_cpu_set_and_the_package_from_the_checkout():
    binder = (ROOT / "binder" / "requirements.txt").read_text()
    lock = pins_of((ROOT / "requirements" / "cpu-lock.txt").read_text())
    pins = pins_of((ROOT / "binder" / "requirements.txt").read_text())
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


# --- nothing installs cnnbook from the package index, where the name is another project's ------

PIP_INSTALL = re.compile(r"pip3?\s+install\b[^\n]*")
BARE_NAME = re.compile(
    r"""(?<![\w/.-])(["']?)cnnbook(\[[\w,\s]*\])?(?!\[)\1(?!\s*@\s*git\+)(?![\w.-])""")


def index_installs(text: str) -> list[str]:
    """Every ``pip install`` line that names cnnbook neither from a repository nor a wheel."""
    return [line.strip() for line in PIP_INSTALL.findall(text) if BARE_NAME.search(line)]


def test_the_check_flags_what_would_install_another_project():
    from cnnbook._optional import install_hint

    for bad in ('pip install "cnnbook[torch]"      # datasets, NumPy ops, plots',  # intro, before
                "pip install cnnbook", "pip install 'cnnbook[tf]'", "pip3 install -U cnnbook",
                "python -m pip install numpy cnnbook[torch,tf]"):
        assert index_installs(bad), bad
    for good in (f'pip install "cnnbook[torch] @ {SOURCE}"', f"pip install 'cnnbook @ {SOURCE}'",
                 'pip install "dist/cnnbook-0.2.0-py3-none-any.whl[torch]"',
                 "pip install --no-deps -e .", install_hint("tf")):
        assert not index_installs(good), good


def _texts() -> dict[str, str]:
    texts = {str(p.relative_to(ROOT)): p.read_text() for p in (
        ROOT / "README.md", ROOT / "ARCHITECTURE.md", ROOT / "book" / "intro.md",
        *sorted((ROOT / "cnnbook").rglob("*.py")), *sorted((ROOT / "binder").iterdir()))}
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        nb = json.loads(path.read_text())
        parts = []
        for cell in nb["cells"]:
            parts.append("".join(cell["source"]))
            for out in cell.get("outputs", []):
                parts.append("".join(out.get("text", "")))
                parts += ["".join(v) for v in out.get("data", {}).values() if isinstance(v, list)]
        texts[str(path.relative_to(ROOT))] = "\n".join(parts)
    return texts


def test_no_source_tells_readers_to_install_cnnbook_from_the_package_index():
    found = {name: bad for name, text in _texts().items() if (bad := index_installs(text))}
    assert not found, found


@pytest.mark.browser
def test_no_built_page_installs_cnnbook_from_the_package_index():
    from html import unescape

    pages = sorted(HTML.rglob("*.html"))
    if not pages:
        message = f"{HTML} is not built: run `make test-book` first"
        if os.environ.get("CNNBOOK_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    found = {}
    for page in pages:
        text = unescape(re.sub(r"<[^>]+>", "", page.read_text(errors="replace")))
        if bad := index_installs(text):
            found[str(page.relative_to(HTML))] = bad
    assert not found, found
