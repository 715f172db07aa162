"""Small HTML fixes for the book, as a local Sphinx extension (see `sphinx: local_extensions`).

1. **Offline math.** ``make`` fetches the npm package ``mathjax@3`` into ``_vendor/mathjax`` when
   npm is available. Then ``mathjax_path`` points at that copy and ``_vendor`` joins
   ``html_static_path`` (served from ``_static/mathjax``). Without the copy, Sphinx keeps its CDN
   default. The copy stays out of a root ``_static/`` folder on purpose: Jupyter Book 1.x adds a
   ``<script>`` tag for every ``.js`` file there.
2. **No duplicate scripts.** Jupyter Book 1.0.4 registers sphinx-thebe's inline configuration twice,
   and the second copy throws ``Identifier 'THEBE_JS_URL' has already been declared`` on every page.
   Identical script entries are dropped from each page.
3. **First-visit theme mode.** With an empty ``localStorage`` the theme's head script leaves the
   colour mode as ``""`` and pydata-sphinx-theme logs ``Got invalid theme mode`` as a console error
   on a reader's first visit. An empty mode is set to ``auto`` (the theme's own default) first.

The browser test (tests/test_browser.py) fails on any console error, which is how these were found.
"""

from __future__ import annotations

from pathlib import Path

VENDOR = "_vendor"
ENTRY = "mathjax/tex-mml-chtml.js"
EMPTY_MODE_IS_AUTO = (
    "if (!document.documentElement.dataset.mode) { document.documentElement.dataset.mode = 'auto'; }"
)


def _use_local_mathjax(app, config) -> None:
    vendor = Path(app.srcdir) / VENDOR
    if (vendor / ENTRY).is_file():
        config.mathjax_path = ENTRY
        config.html_static_path = [*config.html_static_path, str(vendor)]


def _script_key(script) -> tuple:
    attributes = getattr(script, "attributes", {}) or {}
    filename = getattr(script, "filename", script) or ""  # None and "" both mean an inline body
    return (str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items())))


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique  # in place: later handlers (sphinx.ext.mathjax) append to this list


def setup(app):
    app.connect("config-inited", _use_local_mathjax)
    # Early: html-page-context stops at the first handler that returns a template name.
    app.connect("html-page-context", _drop_duplicate_scripts, priority=100)
    app.add_js_file(None, body=EMPTY_MODE_IS_AUTO, priority=0)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
