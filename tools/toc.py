"""Print the notebooks named in _toc.yml, one per line, in reading order (`python -m tools.toc`)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


def git(*args: str, root: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """``git -C root ARGS``, captured as text; the one way the tools ask git."""
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)


def entries(node):
    if isinstance(node, dict):
        for key in ("root", "file"):
            if key in node:
                yield node[key]
        for key in ("parts", "chapters", "sections"):
            for child in node.get(key, []):
                yield from entries(child)
    elif isinstance(node, list):
        for child in node:
            yield from entries(child)


def toc_pages(root: Path = ROOT) -> list[str]:
    """Every page in _toc.yml, without suffix, in reading order (root first)."""
    return list(entries(yaml.safe_load((root / "_toc.yml").read_text())))


def toc_notebooks(root: Path = ROOT) -> list[Path]:
    """The TOC's pages that are notebooks, as paths relative to the repository root."""
    return [Path(f"{page}.ipynb") for page in toc_pages(root) if (root / f"{page}.ipynb").exists()]


def source(cell: dict[str, Any]) -> str:
    """A cell's source as one string (nbformat allows a string or a list of lines)."""
    text = cell.get("source", "")
    return text if isinstance(text, str) else "".join(text)


def toc_cells(root: Path = ROOT) -> Iterator[tuple[Path, int, dict[str, Any]]]:
    """``(notebook, cell index, cell)`` for every cell of every notebook in the TOC, in order."""
    for path in toc_notebooks(root):
        for index, cell in enumerate(json.loads((root / path).read_text())["cells"]):
            yield path, index, cell


def tags(cell: dict[str, Any]) -> set[str]:
    """A cell's tags."""
    return set(cell.get("metadata", {}).get("tags", []))


if __name__ == "__main__":
    paths = toc_notebooks()
    if not paths:
        sys.exit("no notebook in _toc.yml")
    print("\n".join(str(p) for p in paths))
