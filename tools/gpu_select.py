"""Decide which notebooks of the TOC can run here, and say why the others cannot.

Used by ``.ci/gpu_notebooks.sh`` as ``python -m tools.gpu_select``; standard library only (PyYAML
is used when present), because the GPU machine has no Jupyter stack until the carried wheels are
installed.

A notebook declares the modules it needs beyond the always-present stack (torch, numpy, keras
on the torch backend, matplotlib, cnnbook) in its metadata:

    "metadata": {"cnnbook": {"requires": ["tensorflow"]}}

A declared module that is not importable here makes the notebook SKIPPED, with that reason.
As a safety net the code cells are also scanned for top-level ``import X`` / ``from X import``:
a missing module imported but not declared marks the notebook UNDECLARED, which the runner
reports and treats as a failure (add the metadata), so nothing is ever dropped silently.

Output: one tab-separated line per notebook, ``STATUS<TAB>path<TAB>reason``, with STATUS one of
RUN, SKIP, UNDECLARED, in TOC order.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPORT = re.compile(r"^\s*(?:import|from)\s+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)


def toc_entries(root: Path = ROOT) -> list[str]:
    """``file:``/``root:`` entries of ``_toc.yml`` in reading order."""
    text = (root / "_toc.yml").read_text()
    try:
        import yaml

        from tools.toc import entries  # needs PyYAML

        return list(entries(yaml.safe_load(text)))
    except ImportError:  # no PyYAML: the TOC is simple enough for a line scan
        return [m.group(2).strip().strip("'\"") for m in
                re.finditer(r"^\s*-?\s*(file|root):\s*(\S+)\s*$", text, re.MULTILINE)]


def importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def classify(path: Path) -> tuple[str, str]:
    """``(status, reason)`` for one notebook."""
    nb = json.loads(path.read_text())
    declared = list(nb.get("metadata", {}).get("cnnbook", {}).get("requires", []))
    missing = [m for m in declared if not importable(m)]
    if missing:
        return "SKIP", f"requires {', '.join(missing)} (declared; not importable here)"
    source = "\n".join("".join(c.get("source", "")) for c in nb.get("cells", [])
                       if c.get("cell_type") == "code")
    imported = sorted({m for m in IMPORT.findall(source) if m != "__future__"})
    undeclared = [m for m in imported if m not in declared and not importable(m)]
    if undeclared:
        return "UNDECLARED", (f"imports {', '.join(undeclared)}, not importable here and not in "
                              'metadata {"cnnbook": {"requires": [...]}}')
    return "RUN", "all imports available" + (f" (declared: {', '.join(declared)})"
                                            if declared else "")


def main() -> int:
    found = 0
    for entry in toc_entries():
        path = ROOT / f"{entry}.ipynb"
        if not path.exists():
            continue  # a Markdown page
        found += 1
        status, reason = classify(path)
        print(f"{status}\t{path.relative_to(ROOT)}\t{reason}")
    if not found:
        print("no notebook in _toc.yml", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
