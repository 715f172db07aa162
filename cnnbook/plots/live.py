"""Live figures: the HTML that puts one of the concept pages' browser figures on a page.

    live_figure("conv")   # in a notebook cell: shown as HTML (``_repr_html_``)

The figure runs in the reader's browser (``book/_static/cnnbook_widgets.js``, computing with
``cnnbook_ops.js``, the arithmetic of :mod:`cnnbook.ops`, tested against it in Chromium) on the
data the book's build step installs (``_static/models/cnnbook_widget_data.js``:
:mod:`cnnbook.artefacts.widgets`). The HTML refers to those files relative to a chapter of the
built book; in Jupyter, or with JavaScript off, the figure's fallback text shows instead.
Unlike the rest of :mod:`cnnbook.plots` it draws nothing in Python: no matplotlib import.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

__all__ = ["LIVE_FIGURES", "LiveFigure", "live_figure"]

LIVE_FIGURES: dict[str, str] = {
    "conv": "Convolution playground: pick an MNIST test digit and a kernel (or type its weights), "
            "and see the output map; tap an output pixel to see its window and sum",
    "geometry": "Padding, stride and dilation: change each and see the output size formula and "
                "the window of any output drawn on the padded input",
    "field": "Receptive fields: pick a layer and a unit of one of the post's models and see the "
             "input pixels it depends on",
    "shift": "Pooling and shifts: move an MNIST test digit by whole pixels and see how much of "
             "its edge maps changes before and after pooling",
}
"""Each live figure's kind (``data-widget``) and what it lets a reader do (its ARIA label)."""

_FALLBACK = ("Live figure: {what}. It runs in your browser in the book's web edition, which needs "
             "JavaScript and the files that <code>make book</code> builds; the figures and "
             "numbers above show the same computation.")


@dataclass(frozen=True)
class LiveFigure:
    """HTML for one live figure; Jupyter and the book show it through ``_repr_html_``."""

    kind: str
    static: str = "../_static"  # the book's static folder, relative to the page

    def _repr_html_(self) -> str:
        what = LIVE_FIGURES[self.kind]
        label = html.escape(what.split(":")[0], quote=True)
        scripts = ["models/cnnbook_widget_data.js"]
        if self.kind == "conv":  # the draw-a-digit network's first-layer filters, as presets
            scripts.append("models/post_tensorflow.js")
        scripts += ["cnnbook_ops.js", "cnnbook_widgets.js"]
        lines = [f'<link rel="stylesheet" href="{self.static}/cnnbook_widgets.css">',
                 f'<div class="cnnbook-widget" data-widget="{self.kind}" role="group" '
                 f'aria-label="{label}">',
                 f'  <p class="cw-fallback">{_FALLBACK.format(what=html.escape(what))}</p>',
                 "</div>"]
        lines += [f'<script src="{self.static}/{name}"></script>' for name in scripts]
        return "\n".join(lines) + "\n"


def live_figure(kind: str) -> LiveFigure:
    """The live figure ``kind`` (a key of :data:`LIVE_FIGURES`); ``ValueError`` naming the kinds
    for any other."""
    if kind not in LIVE_FIGURES:
        raise ValueError(f"no live figure {kind!r}; known: {', '.join(LIVE_FIGURES)}")
    return LiveFigure(kind)
