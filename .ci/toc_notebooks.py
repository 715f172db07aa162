"""Print the notebooks named in _toc.yml, one per line, in reading order (used by `make`)."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def entries(node):
    if isinstance(node, dict):
        if "file" in node:
            yield node["file"]
        if "root" in node:
            yield node["root"]
        for key in ("parts", "chapters", "sections"):
            for child in node.get(key, []):
                yield from entries(child)
    elif isinstance(node, list):
        for child in node:
            yield from entries(child)


def toc_notebooks(root: Path = ROOT) -> list[Path]:
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    found = []
    for entry in entries(toc):
        path = root / f"{entry}.ipynb"
        if path.exists():
            found.append(path.relative_to(root))
    return found


if __name__ == "__main__":
    paths = toc_notebooks()
    if not paths:
        sys.exit("no notebook in _toc.yml")
    print("\n".join(str(p) for p in paths))
