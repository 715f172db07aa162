"""The one guard for framework imports (cnnbook._optional.needs) and what it says when one is
missing."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cnnbook import _optional
from cnnbook._optional import EXTRA, install_hint, needs, require

PACKAGE = Path(_optional.__file__).parent
FRAMEWORKS = {"torch", "keras", "tensorflow"}


def _module(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)


def _guarded_modules() -> dict[str, set[str]]:
    """Module -> the frameworks it imports inside ``with needs(...)`` at module level."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.With) and any(
                    isinstance(item.context_expr, ast.Call) and
                    getattr(item.context_expr.func, "id", "") == "needs" for item in node.items):
                names = {alias.name.split(".")[0] for sub in node.body
                         if isinstance(sub, ast.Import) for alias in sub.names}
                names |= {sub.module.split(".")[0] for sub in node.body
                          if isinstance(sub, ast.ImportFrom) and sub.module}
                found.setdefault(_module(path), set()).update(names & FRAMEWORKS)
    return found


GUARDED = _guarded_modules()


def test_a_missing_package_inside_the_block_names_its_extra():
    with pytest.raises(ImportError) as caught, needs("torch"):
        raise ModuleNotFoundError("No module named 'torch'", name="torch")
    assert str(caught.value) == f"'torch' is needed for this feature: {install_hint('torch')}"
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)


def test_the_missing_dependency_is_named_rather_than_the_guarded_one():
    # Keras 3 without its TensorFlow backend: the extra is tf's either way, the name tensorflow.
    with pytest.raises(ImportError, match=r"^'tensorflow' is needed .*cnnbook\[tf\]"), \
            needs("keras"):
        raise ModuleNotFoundError("No module named 'tensorflow'", name="tensorflow")
    # A failure without a known name (a broken install) names the guarded package.
    with pytest.raises(ImportError, match=r"^'torch' is needed .*cnnbook\[torch\]"), \
            needs("torch"):
        raise ImportError("libtorch_cpu.so: cannot open shared object file")


def test_other_errors_pass_through_unchanged():
    with pytest.raises(ZeroDivisionError), needs("torch"):
        _ = 1 / 0
    with needs("torch"):
        pass  # nothing raised, nothing changed


def test_require_and_needs_say_the_same():
    with pytest.raises(ImportError) as by_require:
        require("no_such_package_for_cnnbook")
    with pytest.raises(ImportError) as by_needs, needs("no_such_package_for_cnnbook"):
        raise ModuleNotFoundError(name="no_such_package_for_cnnbook")
    assert str(by_require.value) == str(by_needs.value)
    assert "cnnbook[all]" in str(by_needs.value)


def test_every_framework_import_at_module_level_is_guarded():
    """No module imports a framework at module level outside ``with needs(...)``, and none needs
    a suppression of E402 to do so."""
    loose, suppressed = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        suppressed += [f"{path.name}:{n}" for n, line in enumerate(text.splitlines(), 1)
                       if "noqa: E402" in line]
        for node in ast.parse(text).body:
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            loose += [f"{_module(path)} imports {n}" for n in names
                      if n.split(".")[0] in FRAMEWORKS]
    assert not loose, loose
    assert not suppressed, suppressed
    assert len(GUARDED) >= 25, sorted(GUARDED)  # the guard is found where it is used


def test_each_guarded_module_without_its_framework_says_which_extra_to_install():
    """Every module with a guard, imported in a process where its framework cannot be imported:
    an ImportError whose message is the install command, not a ModuleNotFoundError."""
    code = f"""
import importlib, json, sys
results = {{}}
for module, frameworks in {json.dumps({m: sorted(f) for m, f in GUARDED.items()})}.items():
    for name in [n for n in list(sys.modules) if n.split(".")[0] in
                 ("cnnbook", "torch", "keras", "tensorflow")]:
        del sys.modules[name]
    for framework in frameworks:
        sys.modules[framework] = None  # "import torch" now fails as if it were not installed
    try:
        importlib.import_module(module)
        results[module] = "imported"
    except ImportError as error:
        results[module] = type(error).__name__ + ": " + str(error)
    for framework in frameworks:
        del sys.modules[framework]
print(json.dumps(results))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=True)
    results = json.loads(done.stdout.splitlines()[-1])
    assert results.keys() == GUARDED.keys()
    for module, message in results.items():
        extras = {install_hint(EXTRA[f]) for f in GUARDED[module]}
        assert message.startswith("ImportError: '") and \
            any(message.endswith(f"is needed for this feature: {hint}") for hint in extras), \
            f"{module}: {message}"
