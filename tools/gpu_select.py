"""Decide which notebooks of the TOC can run here, and say why the others cannot.

    python -m tools.gpu_select [CHAPTER ...] [--as-installed online|offline] [--offline]
    python -m tools.gpu_select --data-needed [CHAPTER ...]

Used by ``.ci/gpu_notebooks.sh``; standard library only (PyYAML is used when present), because it
also runs before anything is installed. CHAPTER is a name (``speed``), a TOC entry
(``book/speed``) or a path (``book/speed.ipynb``); none means every notebook of the TOC.

A notebook declares, in its metadata, the modules it needs beyond the always-present stack (torch,
numpy, keras on the torch backend, matplotlib, cnnbook) and the datasets it reads:

    "metadata": {"cnnbook": {"requires": ["tensorflow"], "data": ["mnist"]}}

* A declared module that is not importable makes the notebook SKIP, with that reason.
* With ``--offline`` (or ``CNNBOOK_OFFLINE=1``), a declared dataset that is neither in
  ``CNNBOOK_DATA_DIR`` nor in the download cache makes it SKIP too (``cnnbook.datasets.locate``,
  which reads and downloads nothing). Online, the loaders download what is missing.
* As a safety net the code cells are scanned for top-level ``import X`` / ``from X import`` and
  for the dataset loaders: a missing module imported but not declared, or a dataset loaded but
  not declared, marks the notebook UNDECLARED, which the runner reports and treats as a failure
  (add the metadata), so that nothing is ever dropped silently.

``--as-installed online|offline`` classifies as if exactly what ``make test-gpu`` installs were
present (``requirements/gpu.txt``, whose lines name the modules they give; ``offline`` without
the "online only" lines, with myst_nb from the glue shim), whatever this machine has: a dry run
for any machine, and for the tests.

Output: one tab-separated line per notebook, ``STATUS<TAB>path<TAB>reason``, with STATUS one of
RUN, SKIP, UNDECLARED, in TOC order. ``--data-needed`` prints instead the datasets that the
notebooks which would RUN declare, one per line.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GPU_REQUIREMENTS = ROOT / "requirements" / "gpu.txt"
IMPORT = re.compile(r"^\s*(?:import|from)\s+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)
# The loaders that read a dataset (make_scenes draws its scenes from MNIST's digits).
LOADERS = {"load_mnist": "mnist", "load_fashion_mnist": "fashion-mnist",
           "load_cifar10": "cifar10", "make_scenes": "mnist"}
LOADER_CALL = re.compile(rf"\b({'|'.join(LOADERS)})\s*\(")
ALWAYS = {"torch", "cnnbook"}  # a GPU run's interpreter has torch; cnnbook is the checkout
SHIMMED = {"myst_nb"}  # tools/glue_shim provides it when the real one is absent
Importable = Callable[[str], bool]


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
    """True when ``module`` can be imported by this interpreter (nothing is imported)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def installed_modules(mode: str, path: Path = GPU_REQUIREMENTS) -> set[str]:
    """The modules that ``make test-gpu`` installs, by the ``modules:`` notes of ``path``:
    every line for ``online``, the lines not marked "online only" (plus the shimmed myst_nb) for
    ``offline``."""
    found = set(ALWAYS)
    for line in path.read_text().splitlines():
        if line.startswith("#") or "modules:" not in line:
            continue
        note = line.split("modules:", 1)[1]
        if mode == "offline" and "online only" in note:
            continue
        found |= set(note.split(":", 1)[0].split())
    return found | (SHIMMED if mode == "offline" else set())


def as_installed(mode: str) -> Importable:
    """An ``importable`` for ``--as-installed``: the standard library and ``installed_modules``."""
    modules = installed_modules(mode) | set(sys.stdlib_module_names)
    return modules.__contains__


def data_absent(name: str) -> str | None:
    """Why dataset ``name`` cannot be read offline, or None when it can (nothing is read)."""
    from cnnbook.datasets.fetch import locate  # needs NumPy: only asked for offline

    return (None if locate(name).kind != "download" else
            f"{name} (in neither $CNNBOOK_DATA_DIR nor the download cache)")


def _declared(nb: dict, key: str) -> list[str]:
    return list(nb.get("metadata", {}).get("cnnbook", {}).get(key, []))


def classify(path: Path, importable: Importable = importable,
             offline: bool = False) -> tuple[str, str]:
    """``(status, reason)`` for one notebook."""
    nb = json.loads(path.read_text())
    declared, data = _declared(nb, "requires"), _declared(nb, "data")
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
    loaded = sorted({LOADERS[f] for f in LOADER_CALL.findall(source)} - set(data))
    if loaded:
        return "UNDECLARED", (f"loads {', '.join(loaded)} without declaring it in metadata "
                              '{"cnnbook": {"data": [...]}}')
    absent = [why for name in data if (why := data_absent(name))] if offline else []
    if absent:
        return "SKIP", f"data absent offline: {'; '.join(absent)}"
    return "RUN", "all imports available" + (f" (declared: {', '.join(declared)})"
                                            if declared else "")


def notebooks(chapters: list[str], root: Path = ROOT) -> list[Path]:
    """The TOC's notebooks, in order; only those named in ``chapters`` when it is not empty.

    Raises:
        ValueError: for a chapter that is not a notebook of the TOC, listing those that are.
    """
    found = [root / f"{e}.ipynb" for e in toc_entries(root) if (root / f"{e}.ipynb").exists()]
    if not chapters:
        return found
    by_name = {p.stem: p for p in found}
    wanted = set()
    for chapter in chapters:
        name = Path(chapter).stem if chapter.endswith(".ipynb") else Path(chapter).name
        if name not in by_name:
            raise ValueError(f"{chapter!r} is not a notebook of _toc.yml; use one of: "
                             f"{' '.join(by_name)}")
        wanted.add(name)
    return [p for p in found if p.stem in wanted]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="names or paths (default: the whole TOC)")
    parser.add_argument("--as-installed", choices=("online", "offline"),
                        help="as if only what make test-gpu installs were importable")
    parser.add_argument("--offline", action="store_true",
                        default=os.environ.get("CNNBOOK_OFFLINE", "").strip().lower()
                        in {"1", "true", "yes", "on"},
                        help="SKIP a notebook whose declared data is not here (default: "
                             "CNNBOOK_OFFLINE)")
    parser.add_argument("--data-needed", action="store_true",
                        help="print the datasets the notebooks that would run declare")
    args = parser.parse_args(argv)
    check = as_installed(args.as_installed) if args.as_installed else importable
    try:
        paths = notebooks(args.chapters)
    except ValueError as err:
        parser.error(str(err))
    if not paths:
        print("no notebook in _toc.yml", file=sys.stderr)
        return 1
    needed: list[str] = []
    for path in paths:
        status, reason = classify(path, check, offline=args.offline)
        if args.data_needed:
            if status == "RUN":
                nb = json.loads(path.read_text())
                needed += [d for d in _declared(nb, "data") if d not in needed]
            continue
        print(f"{status}\t{path.relative_to(ROOT)}\t{reason}")
    for name in needed:
        print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
