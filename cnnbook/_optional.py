"""Import optional frameworks with an error that says which extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

_EXTRA = {"torch": "torch", "safetensors": "torch", "tensorflow": "tf", "keras": "tf",
          "sklearn": "book", "skimage": "book"}


def require(module: str) -> ModuleType:
    """Import ``module`` or raise an ImportError naming the ``cnnbook`` extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        top = module.split(".")[0]
        extra = _EXTRA.get(top, "all")
        raise ImportError(
            f"{module!r} is needed for this feature: pip install 'cnnbook[{extra}]'"
        ) from err
