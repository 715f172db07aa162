"""Serve MathJax from a local copy when one was fetched, so math renders without internet.

``make`` fetches the npm package ``mathjax@3`` into ``_vendor/mathjax`` when npm is available.
This extension then points Sphinx's ``mathjax_path`` at that copy and adds ``_vendor`` to
``html_static_path`` (so it is served from ``_static/mathjax``). Without the copy, Sphinx keeps its
CDN default. The copy lives outside a root ``_static/`` folder on purpose: Jupyter Book 1.x adds a
``<script>`` tag for every ``.js`` file there.
"""

from __future__ import annotations

from pathlib import Path

VENDOR = "_vendor"
ENTRY = "mathjax/tex-mml-chtml.js"


def _use_local_copy(app, config) -> None:
    vendor = Path(app.srcdir) / VENDOR
    if (vendor / ENTRY).is_file():
        config.mathjax_path = ENTRY
        config.html_static_path = [*config.html_static_path, str(vendor)]


def setup(app):
    app.connect("config-inited", _use_local_copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
