"""The edition card on the book's first page (tools/edition.py)."""

from __future__ import annotations

import json
import subprocess

import pytest

from cnnbook.datasets.loaders import read_available
from tools import edition
from tools.toc import toc_pages


def _card(**extra):
    card = {"executed": True, "profile": "full", "date": "2026-12-02 10:00 UTC",
            "commit": "abc123", "hardware": "4 CPU cores (x86_64)", "execution_seconds": 2520,
            "chapters": 20, "failed": 0,
            "datasets": [{"name": "mnist", "kind": "cache", "source": edition.SOURCES["cache"],
                          "train": 60000, "test": 10000},
                         {"name": "cifar10", "kind": "download",
                          "source": edition.SOURCES["download"]}]}
    return card | extra


def test_an_executed_card_names_profile_commit_data_machine_and_time():
    text = edition.render(_card())
    for part in ("<strong>Profile:</strong> full", "<code>abc123</code>", "2026-12-02",
                 "<strong>mnist</strong> from the canonical files, downloaded and checked by "
                 "SHA-256: 60,000 training and 10,000 test images",
                 "<strong>cifar10</strong> from not read by this build</li>",
                 "4 CPU cores", "20 chapters in 42 min",
                 "comes from executing its chapter at this commit"):
        assert part in text, part


def test_a_card_says_how_many_chapters_failed_and_escapes_what_it_shows():
    text = edition.render(_card(failed=2, commit="<b>x</b>"))
    assert "2 of 20 chapters failed to execute in this build" in text
    assert "&lt;b&gt;x&lt;/b&gt;" in text and "<b>x</b>" not in text


def test_a_stored_card_says_this_build_executed_nothing(repo_root):
    card = edition.stored_card(repo_root)
    assert not card["executed"]
    # the stored outputs are the quick profile's (`make test` compares them in that profile)
    assert card["profile"] == "quick"
    text = edition.render(card)
    assert "This build executed nothing" in text and "nbval" in text
    assert "Machine" not in text and "Execution" not in text


def test_the_books_first_page_has_the_placeholder(repo_root):
    page = repo_root / f"{toc_pages(repo_root)[0]}.md"
    assert page.read_text().count(edition.PLACEHOLDER) == 1


def test_insert_replaces_the_placeholder_and_writes_the_report(tmp_path):
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    html = tmp_path / "_build" / "html"
    html.mkdir(parents=True)
    (html / "intro.html").write_text(f"<p>before</p>{edition.PLACEHOLDER}<p>after</p>")
    edition.insert(html, tmp_path, _card())
    text = (html / "intro.html").read_text()
    assert text.startswith("<p>before</p><div class=\"admonition note\" id=\"edition-card\">")
    assert json.loads((tmp_path / "_build" / "reports" / "edition.json").read_text())["chapters"]
    # a build that changed no page (Sphinx wrote none): its card replaces the earlier one
    edition.insert(html, tmp_path, _card(profile="quick", failed=3))
    again = (html / "intro.html").read_text()
    assert again.count('id="edition-card"') == 1 and again.endswith("<p>after</p>")
    assert "3 of 20 chapters failed" in again and "<strong>Profile:</strong> quick" in again
    (html / "intro.html").write_text("<p>no card, no placeholder</p>")
    with pytest.raises(SystemExit, match="no <div id=\"edition-card\"></div> to replace"):
        edition.insert(html, tmp_path, _card())


def test_the_card_reads_the_counts_from_the_data_it_names(shared_data):
    rows = {row["name"]: row for row in edition.datasets()}
    assert set(rows) == {"mnist", "fashion-mnist", "cifar10"}
    for name, row in rows.items():
        (x_train, _), (x_test, _) = read_available(name)
        assert (row["kind"], row["train"], row["test"]) == ("offline", len(x_train), len(x_test))
        assert row["source"] == "a local folder ($CNNBOOK_DATA_DIR)"


def test_without_data_the_card_downloads_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("CNNBOOK_DATA_DIR", raising=False)
    monkeypatch.setenv("CNNBOOK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CNNBOOK_OFFLINE", "1")
    rows = edition.datasets()
    assert [row["kind"] for row in rows] == ["download"] * 3
    assert all("train" not in row for row in rows)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.gz"))


def test_the_commit_is_the_checkouts(repo_root):
    head = subprocess.run(["git", "-C", str(repo_root), "rev-parse", "--short=10", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert edition.commit(repo_root).startswith(head)


def test_make_test_writes_the_stored_card_after_its_strict_build(repo_root):
    recipe = (repo_root / "Makefile").read_text().split("\ntest-book:")[1].split("\n\n")[0]
    lines = [line.strip() for line in recipe.splitlines()]
    assert lines.index("$(BIN)/python -m tools.edition --stored") > \
        next(i for i, line in enumerate(lines) if "jupyter-book build" in line)
