"""The HTML of the live figures (cnnbook.plots.live): what the page loads, in which order, and
the fallback text; tests/test_browser_widgets.py runs the figures in Chromium."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cnnbook.plots.live import LIVE_FIGURES, live_figure


@pytest.mark.parametrize("kind", list(LIVE_FIGURES))
def test_live_figure_html(kind):
    html = live_figure(kind)._repr_html_()
    assert f'data-widget="{kind}"' in html and 'role="group"' in html
    assert html.index("cnnbook_widget_data.js") < html.index("cnnbook_ops.js") \
        < html.index("cnnbook_widgets.js")  # data, then the ops, then the figures
    assert ("post_tensorflow.js" in html) == (kind == "conv")
    assert "http" not in html  # nothing from another host
    assert '<p class="cw-fallback">Live figure:' in html


def test_live_figure_names_the_kinds_on_a_typo():
    with pytest.raises(ValueError, match="no live figure 'convolution'; known: conv, geometry"):
        live_figure("convolution")


def test_live_figures_import_no_plotting_library():
    code = ("import sys; from cnnbook.plots import live_figure; live_figure('conv')._repr_html_(); "
            "print(sorted(m for m in ('matplotlib', 'torch', 'tensorflow', 'keras') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
