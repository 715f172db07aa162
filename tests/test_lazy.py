"""The one lazy-export mechanism (cnnbook._lazy): every package face uses it, each exported name
resolves to its module's object on first use, and importing a package loads none of them."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cnnbook import _lazy

PACKAGE = Path(_lazy.__file__).parent
FACES = ["cnnbook.detection", "cnnbook.explain", "cnnbook.metrics", "cnnbook.plots",
         "cnnbook.saving", "cnnbook.training"]


def _init(package: str) -> Path:
    return PACKAGE.parent.joinpath(*package.split(".")) / "__init__.py"


def test_no_package_writes_its_own_lazy_table():
    """A module-level ``__getattr__`` is written only by ``_lazy.attach`` (the deprecation
    ``__getattr__`` of a module that is not a package face is another matter)."""
    hand_written = []
    for init in PACKAGE.rglob("__init__.py"):
        tree = ast.parse(init.read_text())
        if any(isinstance(node, ast.FunctionDef) and node.name in ("__getattr__", "__dir__")
               for node in tree.body) or "_WHERE" in init.read_text():
            hand_written.append(str(init.relative_to(PACKAGE.parent)))
    assert not hand_written
    faces = sorted(".".join(p.parent.relative_to(PACKAGE.parent).parts)
                   for p in PACKAGE.rglob("__init__.py") if "_lazy.attach(" in p.read_text())
    assert faces == FACES


@pytest.mark.parametrize("package", FACES)
def test_each_exported_name_is_its_modules_object(package):
    module = importlib.import_module(package)
    table = _lazy.table(_init(package))
    for name, source in table.items():
        where, _, attr = source.partition(":")
        if package == "cnnbook.training" and name in ("Checkpoint", "load_checkpoint",
                                                     "save_checkpoint"):
            pytest.importorskip("safetensors")
        if package == "cnnbook.explain" and where.endswith("keras_explain"):
            pytest.importorskip("keras")
        expected = (importlib.import_module(f"{package}.{attr}") if where == package
                    else getattr(importlib.import_module(where), attr))
        assert getattr(module, name) is expected, name
        assert name in module.__all__ and name in dir(module)
    with pytest.raises(AttributeError, match=rf"module '{package}' has no attribute 'nope'"):
        _ = module.nope


@pytest.mark.parametrize("package", FACES)
def test_importing_a_package_loads_none_of_its_lazy_modules(package):
    lazy = sorted({source.partition(":")[0] for source in _lazy.table(_init(package)).values()}
                  - {package})
    code = (f"import json, sys, {package}\n"
            f"print(json.dumps([m for m in {lazy!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert json.loads(out.stdout.splitlines()[-1]) == []


def test_the_table_is_the_type_checking_block(tmp_path):
    init = tmp_path / "__init__.py"
    init.write_text("from typing import TYPE_CHECKING\n"
                    "if TYPE_CHECKING:\n"
                    "    from pkg.a import f as f, g as g\n"
                    "    from pkg import sub as sub\n"
                    "x = 1\n")
    assert _lazy.table(init) == {"f": "pkg.a:f", "g": "pkg.a:g", "sub": "pkg:sub"}
    init.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.a\n")
    with pytest.raises(ValueError, match=r"only 'from cnnbook.x import y' lines .* \(line 3\)"):
        _lazy.table(init)
    init.write_text("x = 1\n")
    with pytest.raises(ValueError, match="no imports under 'if TYPE_CHECKING:'"):
        _lazy.table(init)


def test_a_submodule_is_reachable_but_not_star_exported():
    import cnnbook.plots as plots

    assert plots.images is importlib.import_module("cnnbook.plots.images")
    assert "images" not in plots.__all__ and "images" in dir(plots)
    assert plots.style is importlib.import_module("cnnbook.plots.style")
    assert "style" in plots.__all__
