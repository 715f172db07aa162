"""The one lazy-export mechanism of the package faces: a name loads its module on first use.

A package's ``__init__`` writes what it exports once, as imports under ``if TYPE_CHECKING:``
(what type checkers and editors read), and hands its own file to :func:`attach`, which reads that
block (``ast``, as scikit-image's ``lazy_loader`` reads a stub) and returns the module's
``__getattr__``, ``__dir__`` and ``__all__``::

    from typing import TYPE_CHECKING

    from cnnbook import _lazy

    if TYPE_CHECKING:
        from cnnbook.metrics.detection import box_iou, nms

    __getattr__, __dir__, __all__ = _lazy.attach(__name__, __file__)

So ``import cnnbook.metrics`` imports nothing of its submodules, ``cnnbook.metrics.box_iou``
imports ``cnnbook.metrics.detection``, and ``from cnnbook.plots import style`` (the package
itself as the source) exports the submodule ``style``.
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any


def table(path: str | Path) -> dict[str, str]:
    """``{name: module}`` of the imports under ``if TYPE_CHECKING:`` in the file at ``path``
    (``module`` is absolute; a submodule exported by name maps to itself)."""
    found: dict[str, str] = {}
    for node in ast.parse(Path(path).read_text(encoding="utf-8")).body:
        if not (isinstance(node, ast.If) and isinstance(node.test, ast.Name)
                and node.test.id == "TYPE_CHECKING"):
            continue
        for sub in node.body:
            if not (isinstance(sub, ast.ImportFrom) and sub.module and sub.level == 0):
                raise ValueError(f"{path}: only 'from cnnbook.x import y' lines belong under "
                                 f"TYPE_CHECKING (line {sub.lineno})")
            for alias in sub.names:
                found[alias.asname or alias.name] = f"{sub.module}:{alias.name}"
    if not found:
        raise ValueError(f"{path}: no imports under 'if TYPE_CHECKING:' to export")
    return found


def attach(package: str, path: str | Path, *, submodules: Iterable[str] = ()
           ) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` for ``package`` (its ``__name__``), from the
    ``TYPE_CHECKING`` imports of its ``__init__`` at ``path`` (its ``__file__``).

    Args:
        package: the package's dotted name.
        path: its ``__init__.py``.
        submodules: submodules reachable as attributes (``cnnbook.plots.images``) that are not
            exported by ``from package import *``.
    """
    where = table(path)
    extra = tuple(submodules)

    def __getattr__(name: str) -> Any:
        if name in where:
            module, _, attr = where[name].partition(":")
            if module == package:  # ``from cnnbook.plots import style``: a submodule
                return importlib.import_module(f"{package}.{attr}")
            return getattr(importlib.import_module(module), attr)
        if name in extra:
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where, *extra})

    return __getattr__, __dir__, sorted(where)
