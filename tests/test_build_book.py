"""`make book`'s build (tools/build_book.py), with its artefacts (tools/artefacts.py), and
`make test-full`'s chapters (tools/test_full)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools import build_book, edition, test_full
from tools.toc import toc_notebooks

ROOT = Path(__file__).resolve().parents[1]


def _notebook(title: str, code: str) -> str:
    cells = [{"cell_type": "markdown", "id": "title", "metadata": {}, "source": f"# {title}"},
             {"cell_type": "code", "id": "code", "metadata": {}, "outputs": [],
              "execution_count": None, "source": code}]
    return json.dumps({"cells": cells, "nbformat": 4, "nbformat_minor": 5,
                       "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                   "language": "python"}}})


@pytest.fixture
def fixture_book(tmp_path: Path) -> Path:
    """Three chapters: one passes, the next fails a hidden-style check, the last must still run."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["sphinx"].pop("local_extensions")
    config["sphinx"]["config"].pop("html_static_path")
    (tmp_path / "_config.yml").write_text(yaml.safe_dump(config))
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n- file: first\n- file: broken\n- file: after\n")
    (tmp_path / "intro.md").write_text(f"# A fixture book\n\n{edition.PLACEHOLDER}\n")
    (tmp_path / "first.ipynb").write_text(_notebook("First", "print('first', 1 + 1)"))
    (tmp_path / "broken.ipynb").write_text(_notebook(
        "Broken", "accuracy = 0.9695\nassert accuracy > 0.97, f'accuracy {accuracy:.4f}'"))
    (tmp_path / "after.ipynb").write_text(_notebook("After", "print('after ran', 6 * 7)"))
    return tmp_path


@pytest.mark.slow
def test_a_failing_chapter_does_not_hide_the_others(fixture_book, capsys):
    code = build_book.build(fixture_book, "quick", recipes=())
    out = capsys.readouterr().out
    assert code == 1
    html = fixture_book / "_build" / "html"
    # the chapters before and after the failure executed, and their pages show their outputs
    assert "first 2" in (html / "first.html").read_text()
    assert "after ran 42" in (html / "after.html").read_text()
    # the failed page says its outputs are not this build's
    assert "failed to execute in this build" in (html / "broken.html").read_text()
    # one summary: every chapter in TOC order, the failure's assertion message and report path
    lines = out[out.index("== book build"):].splitlines()
    assert lines[0].startswith("== book build: 2 of 3 chapters passed")
    assert [line.split()[-1] for line in lines[1:4]] == ["first.ipynb", "broken.ipynb",
                                                         "after.ipynb"]
    assert "== FAILED broken.ipynb: AssertionError: accuracy 0.9695" in out
    report = fixture_book / "_build" / "reports" / "broken.log"
    assert f"report: {report}" in out and "accuracy 0.9695" in report.read_text()
    record = json.loads((fixture_book / "_build" / "reports" / "execution.json").read_text())
    assert [c["passed"] for c in record["chapters"]] == [True, False, True]
    # the first page carries the edition card of this build
    intro = (html / "intro.html").read_text()
    assert 'id="edition-card"' in intro and edition.PLACEHOLDER not in intro
    assert "1 of 3 chapters failed to execute" in intro
    assert "<strong>Profile:</strong> quick" in intro
    card = json.loads((fixture_book / "_build" / "reports" / "edition.json").read_text())
    assert card["executed"] and card["chapters"] == 3 and card["failed"] == 1

    # fixed, the next build executes only the changed chapter and passes
    (fixture_book / "broken.ipynb").write_text(_notebook("Broken", "print('fixed')"))
    assert build_book.build(fixture_book, "quick", recipes=()) == 0
    assert "3 of 3 chapters passed" in capsys.readouterr().out
    assert "failed to execute" not in (html / "broken.html").read_text()


TOY_RECIPE = """\
\"\"\"The fixture book's one artefact: seeded numbers in a small JSON file.\"\"\"
import hashlib
import json

from cnnbook.artefacts import Recipe

SIZE = 3


def params(profile, seed):
    return {"size": SIZE, "profile": profile.name, "seed": seed}


def make(folder, p):
    path = folder / "toy.json"
    path.write_text(json.dumps([p["seed"] * 7 + i for i in range(p["size"])]))
    return {"sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


TOY = Recipe(name="toy", files=("toy.json",), install="static/data", datasets=(),
             params=params, make=make, pages=("uses.ipynb",))
"""

USES_TOY = """\
import toyrecipe  # the kernel runs in the book's root
from cnnbook import artefacts

built = artefacts.ensure(toyrecipe.TOY)
print('toy sha256', built.sha256, 'made here' if built.fresh else 'found')"""


@pytest.fixture
def artefact_book(tmp_path: Path) -> Path:
    """Two chapters: one prints the hash of the toy artefact it uses, the other does not."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["sphinx"].pop("local_extensions")
    config["sphinx"]["config"]["html_static_path"] = ["static"]
    (tmp_path / "_config.yml").write_text(yaml.safe_dump(config))
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n- file: uses\n- file: other\n")
    (tmp_path / "intro.md").write_text(f"# A book with an artefact\n\n{edition.PLACEHOLDER}\n")
    (tmp_path / "toyrecipe.py").write_text(TOY_RECIPE)
    (tmp_path / "uses.ipynb").write_text(_notebook("Uses", USES_TOY))
    (tmp_path / "other.ipynb").write_text(_notebook("Other", "print('other ran', 6 * 7)"))
    return tmp_path


def _toy(root: Path):
    """The fixture's recipe, read afresh from its file."""
    spec = importlib.util.spec_from_file_location("toyrecipe", root / "toyrecipe.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TOY


def _cache_records(root: Path, profile: str = "quick") -> dict[str, tuple[int, str]]:
    """Each cached chapter's record id and creation time: a chapter executed again gets a new
    one."""
    from jupyter_cache import get_cache

    cache = get_cache(str(root / "_build" / ".jupyter_cache" / profile))
    return {Path(r.uri).name: (r.pk, str(r.created)) for r in cache.list_cache_records()}


def _shipped(root: Path) -> tuple[str, str]:
    """The SHA-256 of the artefact the built site ships, and the one the page printed."""
    shipped = root / "_build" / "html" / "_static" / "data" / "toy.json"
    page = (root / "_build" / "html" / "uses.html").read_text()
    printed = re.search(r"toy sha256 ([0-9a-f]{64})", page)
    assert shipped.is_file() and printed, "the page or its artefact is missing"
    return hashlib.sha256(shipped.read_bytes()).hexdigest(), printed.group(1)


@pytest.mark.slow
def test_a_warm_build_ships_the_artefact_its_page_describes(artefact_book, capsys):
    root = artefact_book
    assert build_book.build(root, "quick", recipes=[_toy(root)]) == 0
    shipped, printed = _shipped(root)
    assert shipped == printed  # the page printed the hash of the file the site ships
    assert "found" in (root / "_build" / "html" / "uses.html").read_text()  # not made twice
    first = _cache_records(root)
    assert set(first) == {"uses.ipynb", "other.ipynb"}

    # the published build: a fresh checkout (no installed copy, no HTML) with the execution
    # cache and the artefacts restored; nothing executes, and the page still ships its artefact
    shutil.rmtree(root / "static")
    for path in (root / "_build").iterdir():
        if path.name not in (".jupyter_cache", "artefacts"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    capsys.readouterr()
    assert build_book.build(root, "quick", recipes=[_toy(root)]) == 0
    assert _cache_records(root) == first  # jupyter-cache served both chapters
    assert _shipped(root) == (shipped, printed)
    record = json.loads((root / "_build" / "reports" / "execution.json").read_text())
    assert [a["built_now"] for a in record["artefacts"]] == [False]

    # a recipe parameter changes: the artefact is made again, and the page that printed the old
    # hash executes again (its code did not change); the other chapter is still served cached
    toy = root / "toyrecipe.py"
    toy.write_text(toy.read_text().replace("SIZE = 3", "SIZE = 4"))
    capsys.readouterr()
    assert build_book.build(root, "quick", recipes=[_toy(root)]) == 0
    assert "uses.ipynb: its cached outputs describe another toy" in capsys.readouterr().out
    new_shipped, new_printed = _shipped(root)
    assert new_shipped == new_printed != printed
    third = _cache_records(root)
    assert third["other.ipynb"] == first["other.ipynb"]
    assert third["uses.ipynb"] != first["uses.ipynb"]
    assert len(list((root / "_build" / "artefacts" / "toy").iterdir())) == 2

    # `make book` run twice: nothing to make, execute or write again, and the same site
    assert build_book.build(root, "quick", recipes=[_toy(root)]) == 0
    assert _cache_records(root) == third and _shipped(root) == (new_shipped, new_printed)


def test_last_error_line_reads_an_ansi_traceback():
    tb = ("\x1b[0;31m---------\x1b[0m\n\x1b[0;31mAssertionError\x1b[0m: accuracy 0.9695\n"
          "Traceback (most recent call last):\n")
    assert build_book.last_error_line(tb) == "AssertionError: accuracy 0.9695"


def test_make_book_runs_the_build_that_keeps_going():
    makefile = (ROOT / "Makefile").read_text()
    book = makefile[makefile.index("\nbook:"):].split("\n\n")[0]
    assert "tools.build_book" in book and "jupyter-book build" not in book
    assert "test-full:" in makefile
    for extra, flag in (([], ""), (["MEASURE=1"], "--measure ")):
        dry = subprocess.run(["make", "-n", "test-full", "CHAPTERS=speed", *extra], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
        assert f"-m tools.test_full {flag}speed" in dry


def test_test_full_names_chapters_and_refuses_unknown_ones():
    assert test_full.resolve(["training_well", "book/speed.ipynb"]) == [
        Path("book/training_well.ipynb"), Path("book/speed.ipynb")]
    with pytest.raises(SystemExit, match="'trainng_well' is not a chapter"):
        test_full.resolve(["trainng_well"])
    changed = test_full.changed_chapters("HEAD")
    assert set(changed) <= set(toc_notebooks(ROOT))


def test_test_full_command_line_says_what_it_runs():
    out = subprocess.run([sys.executable, "-m", "tools.test_full", "no_such_chapter"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode != 0 and "'no_such_chapter' is not a chapter" in out.stderr
