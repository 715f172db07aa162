"""Lint the code cells of the book's notebooks with ruff, at the width of its code column.

Checks the notebooks named on the command line (default: every notebook in _toc.yml) with
pyproject.toml's rule selection and ``--line-length 80``: the width the theme's code column shows
without scrolling. Cells tagged ``post-verbatim`` or ``post-runnable`` quote the blog post and are
not checked; each is replaced by a stub cell that first reads every name the cell uses and then
binds every name it defines (found with ``ast`` and ``symtable``), so that the checked cells get no
false ``F821 undefined name`` or ``F401 unused import``. Ruff lints a copy of the notebook (read
from stdin), so IPython magics and shell lines (``%timeit``, ``!pip``) are parsed as ruff parses
them in any notebook; this module masks them only for its own parse of each cell.

Each problem is printed as ``PATH: cell N (id ID), line L: CODE message``, N being the cell's index
in the notebook and L the line in that cell. A notebook that is not valid JSON, or a code cell that
does not parse, is a one-line error. Exit status: 0 when clean, 1 when a problem was found.
"""

from __future__ import annotations

import ast
import json
import keyword
import os
import re
import subprocess
import symtable
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tools.toc import source

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
LINE_LENGTH = 80
SKIP_TAGS = frozenset({"post-verbatim", "post-runnable"})

# Line magics, shell escapes and help (`%timeit`, `!pip`, `obj?`); their assignments (`x = !ls`).
_ESCAPE = re.compile(r"^(\s*)(?:[%!?].*|[\w.]+\?\??\s*)$")
_ESCAPE_ASSIGN = re.compile(r"^(\s*)([\w.]+(?:\s*,\s*[\w.]+)*)\s*=\s*[%!].*$")
_IDENTIFIER = re.compile(r"\b[A-Za-z_]\w*\b")
_NOQA = re.compile(r"#\s*noqa(?!:)|#\s*noqa:[^#]*\bE501\b", re.IGNORECASE)


def mask_magics(text: str) -> str:
    """Plain Python with the same line numbers: escape lines become `pass` (or `x = None`)."""
    lines = text.split("\n")
    if lines and lines[0].startswith("%%"):  # a cell magic: its body is checked as Python
        lines[0] = ""
    for i, line in enumerate(lines):
        if m := _ESCAPE_ASSIGN.match(line):
            lines[i] = f"{m[1]}{m[2]} = None"
        elif m := _ESCAPE.match(line):
            lines[i] = f"{m[1]}pass"
    return "\n".join(lines)


def names(text: str) -> tuple[set[str], set[str]]:
    """(names read, names bound at module level) by a cell; raises SyntaxError."""
    tree = ast.parse(text)
    nodes = ast.walk(tree)
    used = {n.id for n in nodes if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Store)}
    table = symtable.symtable(text, "<cell>", "exec")
    bound = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    tables = list(table.get_children())
    while tables:  # `global x; x = ...` in a function, and `(x := ...)` in a comprehension
        child = tables.pop()
        symbols = child.get_symbols()
        bound |= {s.get_name() for s in symbols if s.is_assigned() and s.is_declared_global()}
        tables.extend(child.get_children())
    return used, bound


def stub(text: str) -> str:
    """A stand-in for a skipped cell: reads what it reads, then binds what it binds."""
    try:
        used, bound = names(mask_magics(text))
    except SyntaxError:  # e.g. a post's Python 2 snippet: every identifier is read and bound
        used = bound = set(_IDENTIFIER.findall(text)) - set(keyword.kwlist)
    lines = [f"({', '.join(sorted(used))},)"] if used else []
    if bound:
        lines.append(" = ".join(sorted(bound)) + " = None")
    return "\n".join(lines)


def checked(cell: dict[str, Any]) -> bool:
    """A code cell that is not one of the post's tagged cells."""
    found = cell.get("metadata", {}).get("tags", [])
    return cell.get("cell_type") == "code" and not SKIP_TAGS & set(found)


def run_ruff(path: str, cells: list[str], metadata: Any) -> list[dict[str, Any]]:
    """Ruff's diagnostics for a notebook made of these code cells (its `cell` counts from 1)."""
    notebook = {"cells": [{"cell_type": "code", "metadata": {}, "execution_count": None,
                           "outputs": [], "source": text} for text in cells],
                "metadata": metadata, "nbformat": 4, "nbformat_minor": 4}
    command = [sys.executable, "-m", "ruff", "check", "--config", str(PYPROJECT),
               "--line-length", str(LINE_LENGTH), "--output-format", "json", "--no-cache",
               "--stdin-filename", path, "-"]
    run = subprocess.run(command, input=json.dumps(notebook), capture_output=True, text=True,
                         check=False)
    if run.returncode not in (0, 1):
        raise RuntimeError(f"ruff failed: {run.stderr.strip()}")
    result: list[dict[str, Any]] = json.loads(run.stdout)
    return result


def lint_notebook(path: str) -> list[str]:
    """The problems found in one notebook, one printable line each, in cell and line order."""
    try:
        notebook = json.loads(Path(path).read_text(encoding="utf-8"))
        cells: list[dict[str, Any]] = notebook["cells"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        return [f"{path}: not a readable notebook (invalid JSON or no cells): {exc}"]
    found: list[tuple[int, int, str]] = []  # (cell, line, "CODE message")
    texts: list[str] = []
    if notebook.get("nbformat", 4) >= 4 and notebook.get("nbformat_minor", 0) >= 5:
        # nbformat 4.5 requires an id on every cell; Jupyter Book warns and nbformat will refuse
        seen: set[str] = set()
        for index, cell in enumerate(cells):
            cell_id = cell.get("id")
            if not cell_id:
                found.append((index, 1, "NB001 cell has no id (nbformat 4.5 requires one)"))
            elif cell_id in seen:
                found.append((index, 1, f"NB002 duplicate cell id {cell_id!r}"))
            else:
                seen.add(cell_id)
    for index, cell in enumerate(cells):
        text = source(cell) if cell.get("cell_type") == "code" else ""
        if text and not checked(cell):
            text = stub(text)
        elif text:
            try:
                ast.parse(mask_magics(text))
            except SyntaxError as exc:
                if not text.startswith("%%"):  # a non-Python cell magic (%%bash) is not Python
                    found.append((index, exc.lineno or 1, f"syntax error: {exc.msg}"))
                text = ""  # ruff reports nothing but syntax errors in a file that has one
        texts.append(text)
    try:
        diagnostics = run_ruff(path, texts, notebook.get("metadata", {}))
    except (OSError, RuntimeError, ValueError) as exc:
        return [f"{path}: {exc}"]
    for item in diagnostics:
        index = int(item.get("cell") or 1) - 1
        if checked(cells[index]):
            found.append((index, item["location"]["row"], f"{item['code']} {item['message']}"))
    # Ruff exempts a long line that is one word (no space after its indent) or ends with a URL;
    # readers still scroll, so any checked line wider than the column without a noqa is reported.
    reported = {(i, row) for i, row, message in found if message.startswith("E501")}
    for index, cell in enumerate(cells):
        for row, line in enumerate(source(cell).split("\n"), 1):
            if (len(line) > LINE_LENGTH and checked(cell) and (index, row) not in reported
                    and not _NOQA.search(line)):
                found.append((index, row, f"E501 Line too long ({len(line)} > {LINE_LENGTH}; "
                                          "ruff exempts it as one word or a URL)"))
    return [f"{path}: cell {index} (id {cells[index].get('id', '?')}), line {row}: {message}"
            for index, row, message in sorted(found)]


def default_paths() -> list[str]:
    """The TOC's notebooks, relative to the working directory."""
    from tools.toc import toc_notebooks

    return [os.path.relpath(ROOT / p) for p in toc_notebooks()]


def main(argv: Sequence[str] | None = None) -> int:
    paths: Iterable[str] = (sys.argv[1:] if argv is None else argv) or default_paths()
    count = 0
    for path in paths:
        for line in lint_notebook(path):
            print(line)
            count += 1
    if count:
        print(f"{count} problem(s) in the notebooks' code cells", file=sys.stderr)
    return 1 if count else 0


if __name__ == "__main__":
    sys.exit(main())
