"""(Re)write each chapter's install cell: what the chapter needs and the kernel lacks, installed.

    python -m tools.install_cell                        # every notebook in _toc.yml
    python -m tools.install_cell book/data.ipynb ...    # only these

A reader who opens a chapter on Colab or Binder, or in a fresh Jupyter, runs its first code cell.
It checks, module by module, what the chapter needs: ``cnnbook`` itself (installed from
``git+<repository.url>@<repository.branch>`` of ``_config.yml``, the one place the repository is
named, and never from the package index, where the name cnnbook is not this project's), the
frameworks its ``cnnbook`` imports need (read from the package: a module's framework imports at
top level, inside ``with needs(...)`` too, and its top-level ``require()`` calls, followed
through cnnbook's own imports and its packages' lazy exports, ``cnnbook._lazy``), the frameworks and
other packages it imports itself, and the modules its notebook metadata declares
(``cnnbook.requires``). It pip-installs only the missing ones, each on
its own (``torch>=2.4``, not ``cnnbook[torch]``), so a preinstalled torch, TensorFlow or Keras (as
on Colab) is never replaced. Where everything is importable (``make book``, nbval, Binder) the
cell does nothing and prints nothing, so it stores no output. On Colab without a GPU, a chapter
that trains says, in one line, how to run the quick profile and what the full one cost on a
2-core CPU (``book/full_profile_costs.json``, measured by ``make book``).

The cell is found by its tag (``install-cnnbook``) and its source rewritten in place (its id,
execution count and metadata stay); a notebook without one gets it just before its first code
cell. Running the tool twice changes nothing. Notebooks are written as ``json.dump(nb,
indent=1, ensure_ascii=False)`` plus a newline, which round-trips the book's files byte for byte.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import re
import sys
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from cnnbook import _lazy
from tools.toc import source, toc_notebooks

ROOT = Path(__file__).resolve().parents[1]
TAG = "install-cnnbook"
TAGS = [TAG, "hide-input"]
IMPORT = re.compile(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", re.MULTILINE)
CNNBOOK_IMPORT = re.compile(r"^\s*from\s+(cnnbook(?:\.\w+)*)\s+import\s+\(?([\w\s,]+?)\)?\s*$"
                            r"|^\s*import\s+(cnnbook(?:\.\w+)*)", re.MULTILINE)
FRAMEWORKS = ("torch", "safetensors", "tensorflow", "keras")  # the extras' modules
CORE = {"cnnbook", "numpy", "matplotlib", "pooch", "tqdm", "PIL"}  # cnnbook's own dependencies
# Modules chapters import that cnnbook's core and extras do not install, by their pip name.
PIP_NAMES = {"myst_nb": "myst-nb", "skimage": "scikit-image", "sklearn": "scikit-learn",
             "scipy": "scipy", "IPython": "ipython"}
PACKAGE = ROOT / "cnnbook"
COSTS = ROOT / "book" / "full_profile_costs.json"


def repository(root: Path = ROOT) -> tuple[str, str]:
    """``(url, branch)`` of ``repository:`` in ``_config.yml``."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    repo = config.get("repository") or {}
    if not repo.get("url") or not repo.get("branch"):
        raise ValueError(f"{root / '_config.yml'}: repository.url and repository.branch are needed")
    return str(repo["url"]).rstrip("/"), str(repo["branch"])


def is_install_cell(cell: dict[str, Any]) -> bool:
    return TAG in cell.get("metadata", {}).get("tags", [])


def _module_file(name: str) -> Path | None:
    """The source file of ``cnnbook.x.y`` (a module or a package's ``__init__``), if any."""
    base = PACKAGE.parent.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _type_checking(node: ast.stmt) -> bool:
    """``if TYPE_CHECKING:``: imports that never run (a package's lazy exports, cnnbook._lazy)."""
    return isinstance(node, ast.If) and isinstance(node.test, ast.Name) and \
        node.test.id == "TYPE_CHECKING"


def _module_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements that run on import: the body, with ``try``/``if``/``with`` blocks opened."""
    found: list[ast.stmt] = []
    for node in body:
        found.append(node)
        if isinstance(node, ast.Try):
            found += _module_level([*node.body, *node.orelse, *node.finalbody])
            for handler in node.handlers:
                found += _module_level(handler.body)
        elif isinstance(node, ast.If) and not _type_checking(node):
            found += _module_level([*node.body, *node.orelse])
        elif isinstance(node, ast.With):  # with needs("torch"): import torch
            found += _module_level(node.body)
    return found


def _top_level(path: Path) -> tuple[set[str], set[str], dict[str, str]]:
    """Module-level framework needs, module-level cnnbook imports, and a package's lazy table."""
    tree = ast.parse(path.read_text())
    frameworks: set[str] = set()
    internal: set[str] = set()
    lazy: dict[str, str] = {}
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(
        ".__init__")
    for node in _module_level(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                frameworks |= {top} & set(FRAMEWORKS)
                if top == "cnnbook":
                    internal.add(alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            top = node.module.split(".")[0]
            frameworks |= {top} & set(FRAMEWORKS)
            if top == "cnnbook":
                internal.add(node.module)
                internal |= {f"{node.module}.{a.name}" for a in node.names
                             if _module_file(f"{node.module}.{a.name}")}
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            call = node.value  # require("torch")
            if getattr(call.func, "id", None) == "require" and call.args and \
                    isinstance(call.args[0], ast.Constant):
                frameworks.add(str(call.args[0].value).split(".")[0])
        elif _type_checking(node) and path.name == "__init__.py":
            for name, source in _lazy.table(path).items():  # "cnnbook.plots.images:show_images"
                module, _, attr = source.partition(":")
                lazy[name] = f"{package}.{attr}" if module == package else module
        elif isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            for leaf in ast.walk(node):  # lazy modules named in full ("cnnbook.x.y")
                if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str) and \
                        leaf.value.startswith("cnnbook.") and _module_file(leaf.value):
                    lazy.setdefault("*", leaf.value)
    return frameworks, internal, lazy


def frameworks_of(name: str, names: tuple[str, ...] = (),
                  seen: set[tuple[str, tuple[str, ...]]] | None = None) -> set[str]:
    """The framework modules that importing ``name`` (and its ``names``) from cnnbook needs."""
    seen = set() if seen is None else seen
    path = _module_file(name)
    if path is None or (name, names) in seen:
        return set()
    seen.add((name, names))
    frameworks, internal, lazy = _top_level(path)
    for module in internal:
        frameworks |= frameworks_of(module, (), seen)
    for attr in names:
        if _module_file(f"{name}.{attr}"):
            frameworks |= frameworks_of(f"{name}.{attr}", (), seen)
        elif attr in lazy or "*" in lazy:
            frameworks |= frameworks_of(lazy.get(attr, lazy.get("*", "")), (), seen)
    return frameworks & set(FRAMEWORKS)


def cnnbook_frameworks(code: str) -> set[str]:
    """What a chapter's cnnbook imports need: ``from cnnbook.x import a, b``, ``import
    cnnbook.x``, and attributes used on an imported cnnbook module (``explain.grad_cam``)."""
    found: set[str] = set()
    for match in CNNBOOK_IMPORT.finditer(code):
        if match[3]:
            found |= frameworks_of(match[3])
            continue
        module = match[1]
        names = tuple(n.strip().split(" as ")[0] for n in match[2].split(",") if n.strip())
        found |= frameworks_of(module, names)
        for name in names:  # `from cnnbook import explain`, then `explain.grad_cam(...)`
            if _module_file(f"{module}.{name}"):
                used = tuple(sorted(set(re.findall(rf"\b{name}\.(\w+)", code))))
                found |= frameworks_of(f"{module}.{name}", used)
    return found


def extra_requirements(root: Path = ROOT) -> dict[str, str]:
    """``{module: requirement}`` of the extras, from pyproject.toml (``torch>=2.4``)."""
    extras = tomllib.loads((root / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    found = {}
    for requirement in [*extras["torch"], *extras["tf"]]:
        name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0]
        found[name] = requirement
    return found


def needs(nb: dict[str, Any], root: Path = ROOT) -> dict[str, str]:
    """``{module: what pip installs}`` for every module the chapter needs, cnnbook first."""
    code = "\n".join(source(c) for c in nb["cells"]
                     if c["cell_type"] == "code" and not is_install_cell(c))
    declared = nb["metadata"].get("cnnbook", {}).get("requires", [])
    modules = set(IMPORT.findall(code)) | set(declared) | cnnbook_frameworks(code)
    modules -= set(sys.stdlib_module_names) | CORE
    unknown = sorted(m for m in modules if m not in FRAMEWORKS and m not in PIP_NAMES)
    if unknown:
        raise ValueError(f"no pip name for {', '.join(unknown)}: add it to PIP_NAMES in {__name__}")
    frameworks = extra_requirements()
    if "safetensors" in modules or "torch" in modules:  # the torch extra is both
        modules |= {"torch", "safetensors"}
    if "keras" in modules or "tensorflow" in modules:  # and the tf extra is both
        modules |= {"tensorflow", "keras"}
    url, branch = repository(root)
    found = {"cnnbook": "cnnbook @ {REPO}"}
    found.update({m: frameworks[m] for m in FRAMEWORKS if m in modules})
    found.update({m: PIP_NAMES[m] for m in sorted(modules) if m in PIP_NAMES})
    return found


def full_cost(path: Path) -> float | None:
    """Minutes the chapter took in the full profile when ``make book`` last measured it."""
    if not COSTS.exists():
        return None
    seconds = json.loads(COSTS.read_text())["seconds"].get(path.stem)
    return None if seconds is None else seconds / 60


def cell_source(required: dict[str, str], url: str, branch: str,
                cost_minutes: float | None) -> str:
    """The install cell's code, at most 80 columns wide."""
    lines = [
        "# Colab, Binder or a fresh Jupyter: install what this chapter needs and",
        "# the kernel lacks, cnnbook from the book's repository. What is installed",
        "# already (torch, TensorFlow, Keras on Colab) is never replaced.",
        "import importlib",
        "import importlib.util",
        *(["import shutil"] if cost_minutes is not None else []),
        "import subprocess",
        "import sys",
        "",
        f'REPO = "git+{url}@{branch}"',
        "NEEDS = {  # module: what pip installs when it is missing",
        *(f'    "{module}": {"f" if "{REPO}" in pip else ""}"{pip}",'
          for module, pip in required.items()),
        "}",
        "missing = [pip for module, pip in NEEDS.items()",
        "           if importlib.util.find_spec(module) is None]",
        "if missing:",
        '    pip = [sys.executable, "-m", "pip", "install", "--quiet"]',
        "    subprocess.run([*pip, *missing], check=True)",
        "    importlib.invalidate_caches()",
    ]
    if cost_minutes is not None:
        lines += ['if "google.colab" in sys.modules and shutil.which("nvidia-smi") is None:',
                  '    print("No GPU: for a short run, set os.environ[\'CNNBOOK_PROFILE\'] = "',
                  '          "\'quick\' before the next cell; the full profile took "',
                  f'          "{cost_minutes:.0f} min on a 2-core CPU when the book was built.")']
    return "\n".join(lines)


def install_cell(nb: dict[str, Any], path: Path, root: Path = ROOT) -> dict[str, Any]:
    """The install cell for ``nb`` (with an id derived from the notebook's file name)."""
    url, branch = repository(root)
    required = needs(nb, root)
    cost = full_cost(path) if any(m in required for m in FRAMEWORKS) else None
    # a chapter that runs in under a minute needs no advice on how to run it quickly
    text = cell_source(required, url, branch, cost if cost is not None and cost >= 1 else None)
    return {"cell_type": "code", "execution_count": None,
            "id": hashlib.sha256(f"{path.name}:{TAG}".encode()).hexdigest()[:8],
            "metadata": {"tags": list(TAGS)}, "outputs": [],
            "source": text.splitlines(keepends=True)}


def update(path: Path, root: Path = ROOT) -> bool:
    """Write or refresh the install cell of the notebook at ``path``; True when it changed."""
    raw = path.read_text()
    nb = json.loads(raw)
    cell = install_cell(nb, path, root)
    cells = nb["cells"]
    found = [i for i, c in enumerate(cells) if is_install_cell(c)]
    if len(found) > 1:
        raise ValueError(f"{path}: {len(found)} cells tagged {TAG}; keep one")
    if found:  # in place: its id, execution count and other metadata stay
        old = cells[found[0]]
        old["source"], old["outputs"] = cell["source"], []
        tags = old.setdefault("metadata", {}).setdefault("tags", [])
        tags += [tag for tag in TAGS if tag not in tags]
    else:
        first = next((i for i, c in enumerate(cells) if c["cell_type"] == "code"), len(cells))
        if any(c.get("id") == cell["id"] for c in cells):
            raise ValueError(f"{path}: a cell already has the id {cell['id']}")
        cells.insert(first, cell)
    text = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    if text == raw:
        return False
    path.write_text(text)
    return True


def record_costs(report: Path, machine: str) -> None:
    """Write ``COSTS`` from a full-profile build's execution report (chapters that passed)."""
    data = json.loads(report.read_text())
    if data.get("profile") != "full":
        raise SystemExit(f"{report} is a {data.get('profile')!r} build; the costs are full's")
    seconds = {Path(c["path"]).stem: round(c["seconds"]) for c in data["chapters"]
               if c["passed"] and c["seconds"] is not None}
    when = datetime.fromtimestamp(report.stat().st_mtime).strftime("%Y-%m-%d")
    COSTS.write_text(json.dumps({"measured": f"make book (full profile) on {machine}, {when}",
                                 "seconds": dict(sorted(seconds.items()))}, indent=1) + "\n")
    print(f"wrote {COSTS} ({len(seconds)} chapters)")


def title(path: Path) -> str:
    """The chapter's title: the first ``# `` heading of its first markdown cell."""
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in source(cell).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


def readme_rows(root: Path = ROOT) -> list[str]:
    """The README's cost table rows from ``COSTS``, longest chapter first (tests compare them)."""
    seconds = json.loads((root / COSTS.relative_to(ROOT)).read_text())["seconds"]
    rows = sorted(seconds.items(), key=lambda item: (-item[1], item[0]))
    return [f"| {title(root / 'book' / f'{stem}.ipynb')} (`book/{stem}.ipynb`) | {s:,} s |"
            for stem, s in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to update (default: every notebook in _toc.yml)")
    parser.add_argument("--costs", type=Path, metavar="EXECUTION_JSON",
                        help="first record each chapter's full-profile time from a full `make "
                             "book`'s _build/reports/execution.json in " + COSTS.name)
    parser.add_argument("--machine", default="a 2-core x86_64 CPU",
                        help="the machine --costs was measured on, for the record")
    args = parser.parse_args(argv)
    if args.costs:
        record_costs(args.costs, args.machine)
        print("the README's cost table:", *readme_rows(), sep="\n")
    paths = args.notebooks or [ROOT / p for p in toc_notebooks()]
    for path in paths:
        try:
            changed = update(path)
        except (OSError, ValueError, KeyError) as err:
            print(f"install_cell: {path}: {err}", file=sys.stderr)
            return 1
        print(f"{path}: {'updated' if changed else 'unchanged'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
