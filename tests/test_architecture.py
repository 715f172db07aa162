"""ARCHITECTURE.md's import rules, enforced by reading every module's imports (``ast``).

Every import counts, wherever it is: at module level, inside a function or a method, under
``if TYPE_CHECKING:`` (checked like any other: a type-only import obeys the same layer graph),
relative (``from . import x``, resolved against the module's package), dynamic
(``importlib.import_module``, ``require`` or ``__import__`` of a constant, or of an f-string
whose constant start names a package: every module of that package; a deprecated alias's
``alias(__name__, "new.module", ...)``) and a builder path
(``"cnnbook.models.torch_nets:PostKeras"``, a string that code may import). So a lazy import
cannot slip past. Nothing here imports a framework.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import NamedTuple

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cnnbook"
ARCHITECTURE = PACKAGE.parent / "ARCHITECTURE.md"
FRAMEWORKS = {"torch", "tensorflow", "keras", "jax"}
# The framework table of ARCHITECTURE.md: its columns, in order, after "no framework".
TABLE_FRAMEWORKS = ("torch", "keras", "tensorflow")

# The layer graph: the layers each layer may import besides its own folder. The foundation is
# the root modules (``cnnbook/*.py``) but ``__main__``, which is ``python -m cnnbook`` and so part
# of ``cli``. ARCHITECTURE.md draws it and lists it in a table that must say the same.
BELOW_CLI = {"benchmarks", "artefacts", "detection", "explain", "training", "saving",
             "datasets", "plots", "models", "ops", "metrics", "foundation"}
MAY_IMPORT: dict[str, set[str]] = {
    "cli": BELOW_CLI,
    "benchmarks": BELOW_CLI - {"benchmarks"},
    "artefacts": {"training", "saving", "models", "datasets", "foundation"},
    "detection": {"training", "metrics", "foundation"},
    "explain": {"models", "foundation"},
    # the top: a checker computes its answer with the code the exercise is about, the command
    # line's included; nothing in the package imports a checker
    "exercises": {"cli", "detection", "explain", "models", "datasets", "ops", "metrics",
                  "foundation"},
    "training": {"saving", "models", "foundation"},
    "saving": {"models", "foundation"},
    "plots": {"metrics", "foundation"},
    "models": {"ops", "foundation"},
    "datasets": {"foundation"},
    "metrics": {"foundation"},
    "ops": {"foundation"},  # and of the foundation only `_optional`: see the test below
    "foundation": set(),
}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def rel(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def module_name(path: Path) -> str:
    """``cnnbook/models/catalogue.py`` -> ``cnnbook.models.catalogue``; a package's
    ``__init__.py`` is the package."""
    parts = ["cnnbook", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in modules()}


def layer(path: Path) -> str:
    """``ops``, ``models`` ... for a module in a folder; ``foundation`` for a root module
    (``cli`` for ``__main__``, the ``python -m cnnbook`` entry point)."""
    parts = path.relative_to(PACKAGE).parts
    if len(parts) > 1:
        return parts[0]
    return "cli" if parts[0] == "__main__.py" else "foundation"


def layer_of(name: str) -> str | None:
    """The layer of the cnnbook module (or package) ``name``; ``None`` outside cnnbook."""
    if name in MODULES:
        return layer(MODULES[name])
    parts = name.split(".")
    if parts[0] != "cnnbook":
        return None
    if len(parts) > 1 and (PACKAGE / parts[1]).is_dir():
        return parts[1]
    return "foundation"


class Import(NamedTuple):
    """One module that a statement (or a dynamic import) at ``line`` imports."""

    name: str
    line: int
    module_level: bool  # runs when the module is imported: not in a function, not TYPE_CHECKING


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _dynamic_target(node: ast.Call) -> ast.expr | None:
    """The argument of ``import_module(...)``, ``require(...)`` or ``__import__(...)``, or the
    new module of a deprecated alias, ``alias(__name__, "cnnbook.saving.manifest", ...)``."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name in ("import_module", "require", "__import__") and node.args:
        return node.args[0]
    if name == "alias" and len(node.args) >= 2:
        return node.args[1]
    return None


def _names_of(arg: ast.expr) -> list[str]:
    """The modules a dynamic import of ``arg`` may import: a constant names one; an f-string
    whose constant start is ``"cnnbook.pkg."`` may import any module of ``cnnbook.pkg``."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return [arg.value]
    if (isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant)
            and isinstance(arg.values[0].value, str)):
        start = arg.values[0].value
        if start.endswith(".") and start[:-1] in MODULES:
            return [m for m in MODULES if m.startswith(start)]
    return []


_BUILDER_PATH = re.compile(r"(cnnbook(?:\.\w+)+):\w+")


class _Imports(ast.NodeVisitor):
    def __init__(self, package: str) -> None:
        self.package = package
        self.found: list[Import] = []
        self.depth = 0  # > 0 inside a function, a lambda or an ``if TYPE_CHECKING:`` block

    def add(self, name: str, node: ast.AST) -> None:
        self.found.append(Import(name, getattr(node, "lineno", 0), self.depth == 0))

    def nested(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = nested

    def visit_If(self, node: ast.If) -> None:
        if not _is_type_checking(node.test):
            self.generic_visit(node)
            return
        self.depth += 1
        for child in node.body:
            self.visit(child)
        self.depth -= 1
        for child in node.orelse:
            self.visit(child)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:  # relative: resolved against this module's package
            base = self.package.split(".")[:len(self.package.split(".")) - (node.level - 1)]
            module = ".".join([*base, *([node.module] if node.module else [])])
        else:
            module = node.module or ""
        for alias in node.names:
            # `from cnnbook.models import catalogue` imports the module cnnbook.models.catalogue
            sub = f"{module}.{alias.name}"
            self.add(sub if sub in MODULES else module, node)

    def visit_Call(self, node: ast.Call) -> None:
        arg = _dynamic_target(node)
        if arg is not None:
            for name in _names_of(arg):
                self.add(name, node)
                if arg is not node.args[0]:  # an alias loads its new module on first use only
                    self.found[-1] = self.found[-1]._replace(module_level=False)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and (found := _BUILDER_PATH.fullmatch(node.value)):
            # imported when the model is built, not when the module is
            self.found.append(Import(found.group(1), node.lineno, module_level=False))


@cache
def imports(path: Path) -> tuple[Import, ...]:
    """Every module ``path`` imports, anywhere in the file, with its line."""
    name = module_name(path)
    visitor = _Imports(name if path.name == "__init__.py" else name.rpartition(".")[0])
    visitor.visit(ast.parse(path.read_text(), str(path)))
    return tuple(visitor.found)


def imported(path: Path) -> set[str]:
    """Every module name ``path`` imports, anywhere in the file."""
    return {i.name for i in imports(path)}


def framework_imports(path: Path) -> set[str]:
    return {n for n in imported(path) if n.split(".")[0] in FRAMEWORKS}


def is_alias(path: Path) -> bool:
    """A deprecated alias left at a moved module's old path (``cnnbook._moved.alias``)."""
    return "cnnbook._moved" in imported(path)


ALIASES = {module_name(p) for p in modules() if is_alias(p)}


def edge_errors(path: Path) -> Iterator[str]:
    """``file:line: a -> b (module)`` for each import that the layer graph does not allow. A
    deprecated alias imports its new module wherever it went (nothing inside cnnbook imports an
    alias: see below)."""
    if is_alias(path):
        return
    own = layer(path)
    for found in imports(path):
        target = layer_of(found.name)
        if target is None or target == own or target in MAY_IMPORT[own]:
            continue
        yield f"{rel(path)}:{found.line}: {own} -> {target} ({found.name})"


# -- the layer graph ----------------------------------------------------------------------------


def test_the_deprecated_aliases_are_the_moved_modules():
    assert sorted(ALIASES) == ["cnnbook.models.export", "cnnbook.models.keras_archive",
                               "cnnbook.models.keras_saving", "cnnbook.models.manifest",
                               "cnnbook.training.checkpoints"]
    for name in ALIASES:  # an alias holds nothing else: its new module is the one truth
        tree = ast.parse(MODULES[name].read_text())
        assert len(tree.body) == 3, name  # docstring, the import of alias, the assignment


def test_nothing_imports_a_deprecated_alias():
    """Not the package, the book, the tools or the benchmarks; of the tests, only the one that
    checks the aliases warn."""
    users = [f"{rel(path)}:{i.line}: {i.name}" for path in modules() for i in imports(path)
             if i.name in ALIASES]
    assert not users, "\n".join(users)
    root = PACKAGE.parent
    texts = [*root.glob("book/*.ipynb"), *root.glob("tools/**/*.py"), *root.glob("bench/*.py"),
             *(p for p in root.glob("tests/*.py")
               if p.name not in ("test_moved.py", "test_architecture.py")),
             root / "README.md"]
    found = [f"{p.relative_to(root)}: {name}" for p in texts for name in sorted(ALIASES)
             if re.search(re.escape(name) + r"\b", p.read_text(encoding="utf-8"))]
    assert not found, "\n".join(found)


def test_every_module_is_in_a_layer_of_the_graph():
    assert {layer(p) for p in modules()} == set(MAY_IMPORT)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_import_follows_the_layer_graph(path):
    """Module level, in functions, under TYPE_CHECKING, relative and dynamic: all the same."""
    errors = list(edge_errors(path))
    assert not errors, "imports against the layer graph of ARCHITECTURE.md:\n" + "\n".join(errors)


@pytest.mark.parametrize("path", [p for p in modules() if layer(p) == "ops"],
                         ids=lambda p: p.name)
def test_ops_imports_only_ops_and_optional(path):
    bad = [f"{rel(path)}:{i.line}: ops -> {i.name}" for i in imports(path)
           if layer_of(i.name) not in (None, "ops") and i.name != "cnnbook._optional"]
    assert not bad, "\n".join(bad)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of ``graph`` with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_layer_graph_has_no_cycle():
    assert not _cycles({a: b - {a} for a, b in MAY_IMPORT.items()})


def module_graph() -> dict[str, set[str]]:
    """cnnbook's modules and what each imports of cnnbook, every import counted."""
    return {name: {i.name for i in imports(path) if i.name in MODULES and i.name != name}
            for name, path in MODULES.items()}


def cycle_edges(cycles: list[list[str]]) -> str:
    """``file:line: a -> b`` for each import inside each of ``cycles``."""
    lines = []
    for cycle in cycles:
        lines.append("cycle: " + ", ".join(cycle))
        for name in cycle:
            first = {}  # the first line that imports each other module of the cycle
            for i in imports(MODULES[name]):
                if i.name in cycle and i.name != name:
                    first.setdefault(i.name, i.line)
            lines += [f"  {rel(MODULES[name])}:{line}: {name} -> {target}"
                      for target, line in first.items()]
    return "\n".join(lines)


def test_import_cycles_stay_in_one_folder_and_go_through_its_init():
    """At module granularity, with every import counted: no cycle between subpackages, and
    within a folder only through its ``__init__`` (which imports its modules, lazily or not,
    while they import names from it). A builder reading the catalogue that names it, say,
    would be a loop."""
    graph = module_graph()
    across = [c for c in _cycles(graph) if len({layer(MODULES[m]) for m in c}) > 1]
    assert not across, "import cycles between subpackages:\n" + cycle_edges(across)
    inits = {n for n, p in MODULES.items() if p.name == "__init__.py"}
    within = _cycles({a: b - inits for a, b in graph.items() if a not in inits})
    assert not within, "import cycles that bypass __init__:\n" + cycle_edges(within)


def _table(heading: str) -> list[list[str]]:
    """The rows of the first Markdown table after ``heading`` in ARCHITECTURE.md, as cells."""
    text = ARCHITECTURE.read_text()
    assert heading in text, heading
    rows = []
    for line in text.split(heading, 1)[1].splitlines():
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            break
    return [r for r in rows[1:] if not set("".join(r)) <= set("-: ")]  # no header, no rule


def _ticked(cell: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", cell))


def test_architecture_md_lists_the_layer_graph():
    listed = {}
    for name, allowed in _table("### What each layer may import"):
        (key,) = sorted(_ticked(name) & set(MAY_IMPORT))
        listed[key] = _ticked(allowed) & set(MAY_IMPORT)
    assert listed == MAY_IMPORT


# -- frameworks ---------------------------------------------------------------------------------


LIGHT = [p for p in modules() if layer(p) == "ops" or p.parent == PACKAGE]


@pytest.mark.parametrize("path", LIGHT, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_root_and_ops_import_no_framework(path):
    heavy = framework_imports(path)
    assert not heavy, f"{path.name} imports {sorted(heavy)}"


ARTEFACTS_FRAMEWORK_MODULES = {"browser.py"}
EXPLAIN_FRAMEWORK_MODULES = {"hooks.py", "gradients.py", "gradcam.py", "randomization.py",
                             "keras_explain.py", "backends.py"}
DETECTION_FRAMEWORK_MODULES = {"loss.py", "inference.py"}
SAVING_FRAMEWORK_MODULES = {"torch_checkpoint.py", "keras_checkpoint.py", "browser.py"}
LIGHT_HALVES = [p for p in modules()
                if (layer(p) == "artefacts" and p.name not in ARTEFACTS_FRAMEWORK_MODULES)
                or (layer(p) == "explain" and p.name not in EXPLAIN_FRAMEWORK_MODULES)
                or (layer(p) == "detection" and p.name not in DETECTION_FRAMEWORK_MODULES)
                or (layer(p) == "saving" and p.name not in SAVING_FRAMEWORK_MODULES)
                or layer(p) == "metrics"]


@pytest.mark.parametrize("path", LIGHT_HALVES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_light_halves_import_no_framework_anywhere(path):
    """Not even in a function: ``artefacts``' store and recipes, ``explain``'s NumPy helpers,
    ``detection``'s targets and baseline, ``saving``'s manifest, Keras-file reader and atomic
    write, and all of ``metrics`` (whose reference libraries
    appear only in the tests)."""
    heavy = framework_imports(path)
    assert not heavy, f"{path.name} imports {sorted(heavy)}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_nothing_imports_the_repository_or_edits_sys_path(path):
    tops = {n.split(".")[0] for n in imported(path)}
    assert not tops & {"book", "tests", "tools", "conftest"}, sorted(tops)
    assert "sys.path" not in path.read_text()
    assert ".ci/" not in path.read_text()


def test_models_import_no_framework_at_module_level_outside_the_framework_modules():
    """The light half of ``models`` (specs, shapes, catalogue, summary ...) stays light."""
    framework_modules = {"torch_nets.py", "keras_nets.py", "torch_build.py", "keras_build.py",
                         "port.py"}
    for path in (PACKAGE / "models").glob("*.py"):
        if path.name in framework_modules:
            continue
        heavy = {i.name for i in imports(path)
                 if i.module_level and i.name.split(".")[0] in FRAMEWORKS}
        assert not heavy, f"{path.name} imports {sorted(heavy)}"


def needs(name: str) -> set[str]:
    """The frameworks that ``import name`` loads, read from the code: those the module imports
    or ``require``s at module level (not in a function, not under TYPE_CHECKING), and those of
    every cnnbook module that this loads in turn: those it imports at module level, and the
    packages above each."""
    found, seen, todo = set(), set(), [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        parent = current.rpartition(".")[0]
        todo += [parent] if parent else []
        for i in imports(MODULES[current]):
            if not i.module_level:
                continue
            if i.name.split(".")[0] in FRAMEWORKS:
                found.add(i.name.split(".")[0])
            elif i.name in MODULES:
                todo.append(i.name)
    return found


def framework_table_from_code() -> dict[str, dict[str, set[str]]]:
    """Folder (``cnnbook/``, ``cnnbook/models/`` ...) -> column -> the modules' stems."""
    table: dict[str, dict[str, set[str]]] = {}
    for name, path in MODULES.items():
        folder = str(path.parent.relative_to(PACKAGE.parent)) + "/"
        columns = table.setdefault(folder, {c: set() for c in ("none", *TABLE_FRAMEWORKS)})
        found = needs(name)
        assert found <= set(TABLE_FRAMEWORKS), f"{rel(path)} needs {sorted(found)}"
        for column in sorted(found) or ["none"]:
            columns[column].add(path.stem)
    return table


def _by_module(table: dict[str, dict[str, set[str]]]) -> dict[str, set[str]]:
    """``cnnbook/models/port.py`` -> its columns (``{"keras", "torch"}``)."""
    found: dict[str, set[str]] = {}
    for folder, columns in table.items():
        for column, stems in columns.items():
            for stem in stems:
                found.setdefault(f"{folder}{stem}.py", set()).add(column)
    return found


def test_architecture_md_says_which_modules_need_a_framework():
    """The table of ARCHITECTURE.md, against the code: a new module, or one that starts or stops
    needing a framework at import, fails here until the table says so."""
    listed: dict[str, dict[str, set[str]]] = {}
    for folder, *cells in _table("### Which modules need a framework"):
        (key,) = _ticked(folder)
        listed[key] = dict(zip(("none", *TABLE_FRAMEWORKS), map(_ticked, cells), strict=True))
    code, table = _by_module(framework_table_from_code()), _by_module(listed)
    def says(columns: set[str] | None) -> str:
        return " and ".join(sorted(columns)) if columns else "no such module"

    wrong = [f"{module}: the code says {says(code.get(module))}, the table of ARCHITECTURE.md "
             f"{says(table.get(module))}" for module in sorted(code.keys() | table.keys())
             if code.get(module) != table.get(module)]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("module", ["cnnbook", "cnnbook.ops", "cnnbook.models",
                                    "cnnbook.models.catalogue", "cnnbook.plots",
                                    "cnnbook.datasets", "cnnbook.cli", "cnnbook.benchmarks.runner",
                                    "cnnbook.explain", "cnnbook.explain.patches",
                                    "cnnbook.explain.sanity", "cnnbook.explain.perturbation",
                                    "cnnbook.explain.features",
                                    "cnnbook.metrics", "cnnbook.metrics.segmentation",
                                    "cnnbook.datasets.scenes", "cnnbook.metrics.detection",
                                    "cnnbook.detection", "cnnbook.detection.targets",
                                    "cnnbook.artefacts", "cnnbook.saving",
                                    "cnnbook.saving.manifest", "cnnbook.saving.browser",
                                    "cnnbook.saving.keras_archive"])
def test_light_packages_load_no_framework(module):
    code = (f"import sys, {module}\n"
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(FRAMEWORKS)!r}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"{module} imported {result.stdout.strip()}"


def test_every_folder_is_described_in_architecture_md():
    text = ARCHITECTURE.read_text()
    for folder in sorted(p.name for p in PACKAGE.iterdir()
                         if p.is_dir() and not p.name.startswith("__")):
        assert f"`cnnbook/{folder}/`" in text, folder
