"""Import optional frameworks with an error that says which extra to install.

The one guard for a module that needs a framework (torch, Keras, TensorFlow) at import time::

    from cnnbook._optional import needs

    with needs("torch"):
        import torch
        from torch import nn

and :func:`require` for a function that needs an optional package only when it is called.
Either way a missing package is an ``ImportError`` whose message is the ``pip install`` command of
the ``cnnbook`` extra that provides it (:data:`EXTRA`).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

# The pip extra that provides each optional package (pyproject.toml's optional-dependencies).
EXTRA = {"torch": "torch", "safetensors": "torch", "tensorflow": "tf", "keras": "tf",
          "sklearn": "book", "skimage": "book"}
# cnnbook is installed from its repository: the name on the package index is another project's.
REPOSITORY = "https://github.com/cnnbook/cnnbook"


def install_hint(extra: str) -> str:
    """The command that installs cnnbook with ``extra``, from the repository."""
    return f"pip install 'cnnbook[{extra}] @ git+{REPOSITORY}@main'"


def _missing(module: str) -> ImportError:
    extra = EXTRA.get(module.split(".")[0], "all")
    return ImportError(f"{module!r} is needed for this feature: {install_hint(extra)}")


def require(module: str) -> ModuleType:
    """Import ``module`` or raise an ImportError naming the ``cnnbook`` extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise _missing(module) from err


@contextmanager
def needs(*modules: str) -> Iterator[None]:
    """Guard the framework imports of a module: an ImportError inside the block is re-raised as
    one that names the extra to install.

    Args:
        modules: the packages the block imports (``"torch"``, ``"keras"``, ``"tensorflow"``).
            The error names the one that is missing when it is among them (``import keras``
            without TensorFlow names ``tensorflow``), else the first.
    """
    try:
        yield
    except ImportError as err:
        name = (err.name or "").split(".")[0]
        raise _missing(name if name in EXTRA else modules[0]) from err
