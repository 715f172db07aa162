"""A stand-in for ``myst_nb.glue`` where myst-nb is not installed (the GPU runner's offline set).

The chapters call ``from myst_nb import glue`` to hand values to the page's prose. Under nbval
only the cell's outputs matter, and this shim displays exactly what myst-nb 1.x's ``glue`` does
(``myst_nb/ext/glue/__init__.py``): the value's display data, under the MIME prefix
``application/papermill.record/`` when ``display=False``, with ``scrapbook`` metadata naming it.
So a run with it gives the same outputs as one with myst-nb, without carrying Sphinx and the rest
of the book-building stack. ``.ci/gpu_notebooks.sh`` puts the folder above this package on
``PYTHONPATH`` only when ``myst_nb`` is not importable; it is never installed.
"""

from __future__ import annotations

from typing import Any

GLUE_PREFIX = "application/papermill.record/"


def glue(name: str, variable: Any, display: bool = True) -> None:
    """Display ``variable`` as myst-nb's glue does, so that a page could refer to ``name``."""
    from IPython.core.formatters import format_display_data
    from IPython.display import display as ipy_display

    mimebundle, metadata = format_display_data(variable)
    prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    ipy_display({prefix + k: v for k, v in mimebundle.items()}, raw=True, metadata=metadata)
