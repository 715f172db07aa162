"""Deprecated aliases of moved modules: the old import path keeps working for one minor version.

A module that moved leaves a two-line module at its old path::

    from cnnbook._moved import alias

    __getattr__, __dir__ = alias(__name__, "cnnbook.saving.manifest", moved="0.3.0", gone="0.4.0")

Each name read from the old module (``from cnnbook.models.manifest import check_fit``, or an
attribute) is the new module's, after a ``DeprecationWarning`` attributed to the line that read
it (so that Python shows it in ``__main__`` and in notebooks) which names the new path. The old
module imports nothing until a name is read. Nothing inside cnnbook imports an alias
(``tests/test_architecture.py``).
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["alias"]


def alias(old: str, new: str, *, moved: str, gone: str) -> tuple[Callable[[str], Any],
                                                                  Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for the module ``old``, which moved to ``new`` in version
    ``moved`` and will be removed in version ``gone``."""

    def __getattr__(name: str) -> Any:
        if name.startswith("__") and name != "__all__":
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        warnings.warn(f"{old} moved to {new} in cnnbook {moved}, and the old path goes in {gone}: "
                      f"import {name} from {new}", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(new), name)

    def __dir__() -> list[str]:
        return sorted(getattr(importlib.import_module(new), "__all__", ()))

    return __getattr__, __dir__
