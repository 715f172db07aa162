"""Published-edition cost estimates from a local full-profile build (tools/costs.py)."""

from __future__ import annotations

import json
import re

import pytest

from tools import costs

LOCAL = {"mnist": 5_000, "fashion-mnist": 60_000, "cifar10": 10_000}


def test_the_data_lines_give_the_training_images_each_dataset_gave():
    page = ("<pre>data: mnist: 5,000 train / 10,000 test images of 28×28×1, from ...; "
            "cifar10: 2,000 train / 2,000 test images</pre>"
            "<pre>data: mnist: 4,500 train / 500 validation images of 28×28×1</pre>")
    assert costs.training_reads(page) == {"mnist": 5_000, "cifar10": 2_000}
    assert costs.training_reads("data: 800 train scenes 64x64, composed from MNIST") == {}


@pytest.mark.parametrize(("used", "cap", "expected"), [
    ({"mnist": 5_000}, None, 12.0),           # all the local source: all the canonical set
    ({"mnist": 5_000}, 10_000, 2.0),          # ... or the cap of it
    ({"mnist": 2_000}, None, 1.0),            # an explicit subset is the same everywhere
    ({"fashion-mnist": 60_000}, None, 1.0),   # the local copy is canonical already
    ({"fashion-mnist": 60_000}, 10_000, 1.0), # a cap below the source never shrinks an estimate
    ({"mnist": 2_000, "cifar10": 10_000}, None, 5.0),  # the largest ratio of the chapter
    ({}, None, 1.0),                          # fixed data (scenes, one image)
])
def test_the_ratio_is_what_the_canonical_data_adds(used, cap, expected):
    assert costs.ratio(used, LOCAL, cap) == pytest.approx(expected)


def test_the_canonical_sizes_are_the_data_chapters(repo_root):
    nb = json.loads((repo_root / "book" / "data.ipynb").read_text())
    text = "".join(nb["cells"][0]["source"])
    titles = {"MNIST": "mnist", "Fashion-MNIST": "fashion-mnist", "CIFAR-10": "cifar10"}
    found = {titles[name]: (int(a.replace(",", "")), int(b.replace(",", "")))
             for name, a, b in re.findall(r"^\| ([\w-]+) \|.*?\| ([\d,]+) / ([\d,]+) \|", text,
                                          re.MULTILINE)}
    assert found == costs.CANONICAL


def test_a_table_from_a_report_and_its_pages(tmp_path):
    html = tmp_path / "html" / "book"
    html.mkdir(parents=True)
    (html / "a.html").write_text("data: mnist: 5,000 train / 10,000 test images")
    (html / "b.html").write_text("data: 800 train scenes")
    report = {"profile": "full", "chapters": [
        {"path": "book/a.ipynb", "passed": True, "seconds": 100.0},
        {"path": "book/b.ipynb", "passed": True, "seconds": 60.0},
        {"path": "book/c.ipynb", "passed": False, "seconds": None}]}
    rows = costs.estimates(report, tmp_path / "html", LOCAL, cap=None)
    assert [(r.chapter, r.estimate) for r in rows] == [("book/a.ipynb", 1200.0),
                                                       ("book/b.ipynb", 60.0)]
    text = costs.table(rows, core_speedup=2.0)
    assert "| `book/a.ipynb` | 100 s | mnist 5,000 of 5,000 | 600 s (×12.0) |" in text
    assert "| **all chapters** | 3 min | | 10 min |" in text


def test_a_dataset_the_build_read_but_this_machine_lacks_is_a_one_line_error():
    with pytest.raises(SystemExit, match="the build read cifar10, but no copy of it is here"):
        costs.ratio({"cifar10": 10_000}, {"mnist": 5_000}, cap=None)


def test_the_readme_cost_table_is_the_recorded_full_build(repo_root):
    from tools import install_cell

    readme = (repo_root / "README.md").read_text()
    table = [line for line in readme.splitlines() if "(`book/" in line and line.endswith(" s |")]
    assert table == install_cell.readme_rows(repo_root)
