"""Import optional frameworks with an error that says which extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

_EXTRA = {"torch": "torch", "safetensors": "torch", "tensorflow": "tf", "keras": "tf",
          "sklearn": "book", "skimage": "book"}
# cnnbook is installed from its repository: the name on the package index is another project's.
REPOSITORY = "https://github.com/cnnbook/cnnbook"


def install_hint(extra: str) -> str:
    """The command that installs cnnbook with ``extra``, from the repository."""
    return f"pip install 'cnnbook[{extra}] @ git+{REPOSITORY}@main'"


def require(module: str) -> ModuleType:
    """Import ``module`` or raise an ImportError naming the ``cnnbook`` extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        top = module.split(".")[0]
        extra = _EXTRA.get(top, "all")
        raise ImportError(
            f"{module!r} is needed for this feature: {install_hint(extra)}"
        ) from err
