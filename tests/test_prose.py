"""No hand-typed run result in the book's prose: a number that depends on the run, the data or the
machine is glued (``{glue:text}``) or printed, never typed into a sentence, because the published
edition (canonical data, another machine) would contradict it.

Scanned: every TOC chapter's markdown cells, ``book/intro.md``, the README, and the strings a
chapter's code passes as figure titles, labels and captions. What is flagged: core counts
("two CPU cores", "2-core"), signed results with three decimals ("+0.014"), "N epochs on N,NNN
images", and the offline folder named as the data a result came from. Each allowed line is listed
with its reason.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tools.toc import source, toc_cells

ROOT = Path(__file__).resolve().parents[1]
GLUE = re.compile(r"\{glue(?::\w+)?\}`[^`]*`")
CODE = re.compile(r"`[^`\n]*`")
PATTERNS = {
    "a core count": re.compile(r"\b(?:one|two|three|four|eight|\d+)[ -](?:CPU[ -])?cores?\b"
                               r"|\b\d+-core\b", re.IGNORECASE),
    "a signed result": re.compile(r"(?<![\w.])[+\u2212-]\d+\.\d{3}\b"),
    "epochs on a typed size": re.compile(r"\b\d+ epochs on (?:all )?\d{1,3}(?:,\d{3})+\b"),
    "the offline data as a result's source": re.compile(
        r"\boffline (?:training|data this|digits|images)\b", re.IGNORECASE),
}
# (file, a piece of the line): why it may stay.
ALLOWED = {
    ("README.md", "full profile on 2 CPU cores"):
        "the cost table's header: local measurements, labelled with the machine",
    ("README.md", "2-core build machine"): "the same labelled table of local measurements",
    ("README.md", "whole suite fits a 2-core CI machine"):
        "what CI's machine is (a fact about CI, not a result)",
}
# Sentences the issue quoted from earlier editions: each must be flagged.
FIXTURES = [
    "Grad-CAM's deletion gap was +0.014 in the quick profile and −0.018 in the full profile",
    "(500 images, 12 epochs on 10,000 images)",
    "The offline data this book is built from holds only a subset",
    "two CPU cores buy a few epochs of a small one",
    "Two processes on two cores add no computing power.",
    "it mainly saves per-step overhead on two CPU cores",
    "and the post's 10 epochs on all the offline training digits",
]


def findings(text: str) -> list[tuple[str, str]]:
    """``(what, line)`` for each flagged line of ``text`` (glue roles and inline code removed)."""
    found = []
    for line in text.splitlines():
        plain = CODE.sub("", GLUE.sub("", line))
        for what, pattern in PATTERNS.items():
            if pattern.search(plain):
                found.append((what, line.strip()))
    return found


def _figure_strings(source: str) -> list[str]:
    """String literals passed as ``title=``, ``xlabel=``, ``caption=`` ... or to ``set_title``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names = {"title", "suptitle", "xlabel", "ylabel", "caption", "label", "titles"}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        parts = [kw.value for kw in node.keywords if kw.arg in names]
        func = getattr(node.func, "attr", getattr(node.func, "id", ""))
        if func in {"set_title", "suptitle", "set_xlabel", "set_ylabel", "title"}:
            parts += node.args[:1]
        for part in parts:
            found += [leaf.value for leaf in ast.walk(part)
                      if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str)]
    return found


def _documents() -> dict[str, str]:
    docs = {"README.md": (ROOT / "README.md").read_text(),
            "book/intro.md": (ROOT / "book" / "intro.md").read_text()}
    parts: dict[str, list[str]] = {}
    for path, _, cell in toc_cells(ROOT):
        text = source(cell)
        if cell["cell_type"] == "markdown":
            parts.setdefault(str(path), []).append(text)
        elif cell["cell_type"] == "code":
            parts.setdefault(str(path), []).extend(_figure_strings(text))
    return docs | {path: "\n".join(texts) for path, texts in parts.items()}


@pytest.mark.parametrize("sentence", FIXTURES)
def test_the_check_flags_what_earlier_editions_typed(sentence):
    assert findings(sentence), sentence


def test_glued_numbers_and_code_are_not_flagged():
    assert not findings("trained {glue:text}`epochs` epochs on {glue:text}`n:,` images, "
                        "a gap of {glue:text}`gap:+.3f`; `OMP_NUM_THREADS=1` per process")


def test_no_hand_typed_run_result_in_the_books_prose():
    found, used = [], set()
    for name, text in _documents().items():
        for what, line in findings(text):
            allowed = [key for key in ALLOWED if key[0] == name and key[1] in line]
            if allowed:
                used.update(allowed)
            else:
                found.append(f"{name}: {what}: {line[:120]}")
    assert not found, "\n".join(found)
    assert used == set(ALLOWED), f"allow-list entries that no longer match: {set(ALLOWED) - used}"
