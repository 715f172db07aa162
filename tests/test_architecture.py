"""ARCHITECTURE.md's import rules, enforced by reading every module's imports (``ast``), including
imports inside functions, so a lazy import cannot slip past."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cnnbook"
FRAMEWORKS = {"torch", "tensorflow", "keras", "jax"}
FOUNDATION = {"config", "progress", "seeding", "report", "_optional", "__init__", "__main__"}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def layer(path: Path) -> str:
    """``ops``, ``models`` ... for a module in a folder; ``foundation`` for a root module."""
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else "foundation"


def imported(path: Path) -> set[str]:
    """Every absolute module name ``path`` imports, anywhere in the file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # `from cnnbook import cli` imports the subpackage cnnbook.cli
            if node.module == "cnnbook":
                names.update(f"cnnbook.{alias.name}" for alias in node.names)
    return names


def cnnbook_layers(names: set[str]) -> set[str]:
    """The layers of ``cnnbook`` among ``names`` (``cnnbook.models.x`` -> ``models``)."""
    found = set()
    for name in names:
        parts = name.split(".")
        if parts[0] != "cnnbook" or len(parts) == 1:
            continue
        found.add(parts[1] if (PACKAGE / parts[1]).is_dir() else "foundation")
    return found


LIGHT = [p for p in modules() if layer(p) in ("foundation", "ops")]


@pytest.mark.parametrize("path", LIGHT, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_root_and_ops_import_no_framework(path):
    heavy = {n for n in imported(path) if n.split(".")[0] in FRAMEWORKS}
    assert not heavy, f"{path.name} imports {sorted(heavy)}"


@pytest.mark.parametrize("path", [p for p in modules() if layer(p) == "ops"],
                         ids=lambda p: p.name)
def test_ops_imports_only_ops(path):
    names = {n for n in imported(path) if n.startswith("cnnbook")}
    assert names <= {"cnnbook.ops", "cnnbook._optional"} | {
        n for n in names if n.startswith("cnnbook.ops.")}, sorted(names)


@pytest.mark.parametrize("path", [p for p in modules()
                                  if layer(p) in ("models", "training", "datasets", "plots",
                                                  "explain", "detection")],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_lower_layers_never_import_cli_or_benchmarks(path):
    assert not cnnbook_layers(imported(path)) & {"cli", "benchmarks", "artefacts"}


ARTEFACTS_FRAMEWORK_MODULES = {"browser.py"}


@pytest.mark.parametrize("path", [p for p in modules() if layer(p) == "artefacts"],
                         ids=lambda p: p.name)
def test_artefacts_import_only_what_a_recipe_needs(path):
    """``artefacts`` sits above ``models``, ``datasets`` and ``training``; its light half (store,
    recipes, ``__init__``) imports no framework, anywhere in the file."""
    assert cnnbook_layers(imported(path)) <= {"artefacts", "models", "datasets", "training",
                                              "foundation"}
    if path.name not in ARTEFACTS_FRAMEWORK_MODULES:
        heavy = {n for n in imported(path) if n.split(".")[0] in FRAMEWORKS}
        assert not heavy, f"{path.name} imports {sorted(heavy)}"


EXPLAIN_FRAMEWORK_MODULES = {"hooks.py", "gradients.py", "gradcam.py", "randomization.py",
                             "keras_explain.py", "backends.py"}


@pytest.mark.parametrize("path", [p for p in modules() if layer(p) == "explain"],
                         ids=lambda p: p.name)
def test_explain_imports_only_models_and_the_foundation(path):
    assert cnnbook_layers(imported(path)) <= {"explain", "models", "foundation"}


@pytest.mark.parametrize("path", [p for p in modules() if layer(p) == "explain"
                                  and p.name not in EXPLAIN_FRAMEWORK_MODULES],
                         ids=lambda p: p.name)
def test_explain_light_modules_import_no_framework(path):
    """Anywhere in the file, so ``import cnnbook.explain`` and its NumPy helpers stay light."""
    heavy = {n for n in imported(path) if n.split(".")[0] in FRAMEWORKS}
    assert not heavy, f"{path.name} imports {sorted(heavy)}"


@pytest.mark.parametrize("path", [p for p in modules() if layer(p) == "metrics"],
                         ids=lambda p: p.name)
def test_metrics_import_only_metrics_and_the_foundation_and_no_framework(path):
    assert cnnbook_layers(imported(path)) <= {"metrics", "foundation"}
    heavy = {n for n in imported(path) if n.split(".")[0] in FRAMEWORKS}
    assert not heavy, f"{path.name} imports {sorted(heavy)}"


DETECTION_FRAMEWORK_MODULES = {"loss.py", "inference.py"}


@pytest.mark.parametrize("path", [p for p in modules() if layer(p) == "detection"],
                         ids=lambda p: p.name)
def test_detection_imports_only_metrics_training_and_the_foundation(path):
    """``detection`` sits above ``metrics`` and ``training``; its light half (targets,
    baseline, ``__init__``) imports no framework, anywhere in the file."""
    assert cnnbook_layers(imported(path)) <= {"detection", "metrics", "training", "foundation"}
    if path.name not in DETECTION_FRAMEWORK_MODULES:
        heavy = {n for n in imported(path) if n.split(".")[0] in FRAMEWORKS}
        assert not heavy, f"{path.name} imports {sorted(heavy)}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_nothing_imports_the_repository_or_edits_sys_path(path):
    tops = {n.split(".")[0] for n in imported(path)}
    assert not tops & {"book", "tests", "tools", "conftest"}, sorted(tops)
    assert "sys.path" not in path.read_text()
    assert ".ci/" not in path.read_text()


def test_models_import_no_framework_at_module_level_outside_the_framework_modules():
    """The light half of ``models`` (specs, shapes, catalogue, summary) stays light."""
    framework_modules = {"torch_nets.py", "keras_nets.py", "keras_saving.py", "port.py"}
    for path in (PACKAGE / "models").glob("*.py"):
        if path.name in framework_modules:
            continue
        top_level = [node for node in ast.parse(path.read_text()).body
                     if isinstance(node, (ast.Import, ast.ImportFrom))]
        names = {alias.name for node in top_level if isinstance(node, ast.Import)
                 for alias in node.names}
        names |= {node.module for node in top_level
                  if isinstance(node, ast.ImportFrom) and node.module}
        assert not {n.split(".")[0] for n in names} & FRAMEWORKS, path.name


@pytest.mark.parametrize("module", ["cnnbook", "cnnbook.ops", "cnnbook.models",
                                    "cnnbook.models.catalogue", "cnnbook.plots",
                                    "cnnbook.datasets", "cnnbook.cli", "cnnbook.benchmarks.runner",
                                    "cnnbook.explain", "cnnbook.explain.patches",
                                    "cnnbook.explain.sanity", "cnnbook.explain.perturbation",
                                    "cnnbook.explain.features",
                                    "cnnbook.metrics", "cnnbook.metrics.segmentation",
                                    "cnnbook.datasets.scenes", "cnnbook.metrics.detection",
                                    "cnnbook.detection", "cnnbook.detection.targets",
                                    "cnnbook.artefacts"])
def test_light_packages_load_no_framework(module):
    code = (f"import sys, {module}\n"
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(FRAMEWORKS)!r}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"{module} imported {result.stdout.strip()}"


def test_every_folder_is_described_in_architecture_md():
    text = (PACKAGE.parent / "ARCHITECTURE.md").read_text()
    for folder in sorted(p.name for p in PACKAGE.iterdir()
                         if p.is_dir() and not p.name.startswith("__")):
        assert f"`cnnbook/{folder}/`" in text, folder
