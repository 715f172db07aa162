"""The concept pages' live figures (``book/_static/cnnbook_widgets.js``) in Chromium.

For each figure: a scripted interaction gives what ``cnnbook`` computes in Python for the same
input; a keyboard-only interaction (the control reached with Tab); a tap (or a drag) with touch
emulation at 375 px, where the page must not scroll sideways; the fallback text with JavaScript
off; ARIA roles and labels; no console errors and no request to another host (the recorder of
tests/test_browser.py); screenshots at 375 px and 1280 px in ``_build/screenshots``; and the time
of one update, measured (median of 50) and reported in ``_build/reports/live_figures.json``, not
asserted.

Needs `_build/html` with the build step's ``_static/models/cnnbook_widget_data.js`` (``make
test`` runs ``python -m tools.artefacts`` before it builds the book).
"""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest
from test_browser import (  # noqa: F401  (base_url and browser are fixtures)
    HTML,
    ROOT,
    SCREENSHOTS,
    PageRecorder,
    _missing,
    base_url,
    browser,
)

from cnnbook.models import catalogue
from cnnbook.ops import avg_pool2d, conv2d, conv_output_size, max_pool2d, relu

pytestmark = pytest.mark.browser

PAGES = {"conv": "book/convolution", "geometry": "book/padding_stride_dilation",
         "field": "book/hierarchy", "shift": "book/pooling"}
LABELS = {"conv": "Convolution playground", "geometry": "Padding, stride and dilation",
          "field": "Receptive fields", "shift": "Pooling and shifts"}
DATA = HTML / "_static" / "models" / "cnnbook_widget_data.js"
WEIGHTS = HTML / "_static" / "models" / "post_tensorflow.js"
TIMINGS = ROOT / "_build" / "reports" / "live_figures.json"
TOLERANCE = 1e-5


class FigurePage(PageRecorder):
    """One live figure's page, opened and ready."""

    def __init__(self, browser, base_url: str, kind: str, **options):  # noqa: F811
        super().__init__(browser, base_url, **options)
        self.kind = kind
        if not DATA.is_file():
            _missing(f"no widget data at {DATA}: run python -m tools.artefacts, then build the "
                     "book (make test does both)")
        response = self.page.goto(f"{base_url}/{PAGES[kind]}.html", wait_until="load")
        assert response is not None and response.ok
        if options.get("javascript", True):
            self.page.wait_for_function("() => window.cnnbookWidgets && cnnbookWidgets.list.length")
        self.root = self.page.locator(f'.cnnbook-widget[data-widget="{kind}"]')

    def state(self) -> dict:
        return self.page.evaluate("() => JSON.parse(JSON.stringify(cnnbookWidgets.list[0].state))")

    def set(self, **options) -> dict:
        return self.page.evaluate(
            "o => { const w = cnnbookWidgets.list[0]; w.set(o); "
            "return JSON.parse(JSON.stringify(w.state)); }", options)

    def shoot(self, name: str) -> None:
        """The figure as a reader sees it, without the theme's sticky header (which an element
        shot would otherwise have over its top): ``_build/screenshots/<page>__live_<kind>_<name>``.
        """
        self.page.add_style_tag(content=".bd-header, .bd-header-article, .skip-link "
                                       "{ visibility: hidden !important; }")
        self.page.evaluate("() => document.fonts.ready")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.root.screenshot(path=str(SCREENSHOTS / f"{PAGES[self.kind].replace('/', '__')}"
                                                    f"__live_{self.kind}_{name}.png"))

    def check_clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.blocked == [], f"requests to other hosts: {self.blocked}"


def _open(browser, base_url, kind, **options):  # noqa: F811
    return FigurePage(browser, base_url, kind, **options)


@pytest.fixture(scope="module")
def opened(browser, base_url):  # noqa: F811
    """One page per figure at 1280 px, opened when first asked for and shared by the tests that
    do not need a fresh context (each page load costs seconds); errors checked at the end."""
    pages: dict[str, FigurePage] = {}

    def get(kind: str) -> FigurePage:
        if kind not in pages:
            pages[kind] = _open(browser, base_url, kind)
        return pages[kind]

    yield get
    for rec in pages.values():
        rec.check_clean()
        rec.close()


@pytest.fixture
def figure(opened, request):
    rec = opened(request.param)
    yield rec
    rec.check_clean()


def _digits() -> list[dict]:
    """The data file's digits: ``index``, ``label``, ``pixels`` uint8 (28, 28)."""
    text = DATA.read_text()
    doc = json.loads(re.search(r"window\.cnnbookWidgetData = (\{.*\});", text, re.S).group(1))
    return [{"index": d["index"], "label": d["label"],
             "pixels": np.frombuffer(base64.b64decode(d["pixels"]), np.uint8).reshape(28, 28)}
            for d in doc["digits"]]


def test_the_data_file_holds_mnist_test_digits_picked_by_index():
    from cnnbook.artefacts.widgets import DIGITS, model_geometry
    from cnnbook.datasets import load

    if not DATA.is_file():
        _missing(f"no widget data at {DATA}: run python -m tools.artefacts and build the book")
    _, (x_test, y_test) = load("mnist")
    digits = _digits()
    assert {d["index"]: d["label"] for d in digits} == dict(DIGITS)
    for d in digits:
        np.testing.assert_array_equal(d["pixels"], x_test[d["index"]])
        assert y_test[d["index"]] == d["label"]
    doc = json.loads(re.search(r"= (\{.*\});", DATA.read_text(), re.S).group(1))
    assert doc["models"] == {name: model_geometry(name)
                             for name in ("post_tensorflow", "post_keras", "post_pytorch")}


# ---------- scripted interactions against Python ----------

@pytest.mark.parametrize("figure", ["conv"], indirect=True)
def test_convolution_playground_equals_cnnbook_ops(figure):
    from cnnbook.saving.browser import read_export

    digits = _digits()
    rng = np.random.default_rng(0)
    cases = [{"digit": 0, "preset": "sobel_x"}, {"digit": 3, "size": 5, "preset": "sharpen"},
             {"digit": 5, "size": 5, "preset": "blur"},
             {"digit": 7, "size": 3, "preset": "identity"},
             {"digit": 8, "kernel": rng.normal(size=9).round(2).tolist()},
             {"digit": 9, "size": 5, "kernel": rng.normal(size=25).round(2).tolist()},
             {"digit": 2, "preset": "learned_0"}, {"digit": 4, "preset": "learned_31"}]
    learned = read_export(WEIGHTS).tensors["conv1.weight"].astype(np.float64)  # (32, 1, 3, 3)
    for case in cases:
        state = figure.set(**case)
        k = state["size"]
        kernel = np.asarray(state["kernel"]).reshape(1, 1, k, k)
        if "kernel" in case:
            np.testing.assert_array_equal(kernel.ravel(), case["kernel"])
        if case.get("preset", "").startswith("learned_"):
            np.testing.assert_array_equal(kernel[0, 0], learned[int(case["preset"][8:]), 0])
        pixels = digits[case["digit"]]["pixels"].astype(np.float64) / 255
        expected = conv2d(pixels[None, None], kernel)[0, 0]  # (28 - k + 1) square
        got = np.asarray(state["output"]).reshape(state["shape"])
        assert got.shape == expected.shape == (29 - k, 29 - k)
        assert np.abs(got - expected).max() <= TOLERANCE, case
        r, c = (int(v) for v in rng.integers(0, 29 - k, 2))
        picked = figure.set(select=[r, c])
        window = pixels[r:r + k, c:c + k]
        np.testing.assert_allclose(np.asarray(picked["window"]).reshape(k, k), window, atol=1e-12)
        assert abs(picked["sum"] - expected[r, c]) <= TOLERANCE
        assert picked["selected"] == [r, c]
    text = figure.root.locator(".cw-readout").inner_text()
    assert f"row {r}, column {c}" in text and "window" in text


@pytest.mark.parametrize("figure", ["geometry"], indirect=True)
def test_padding_stride_dilation_equal_cnnbook_ops(figure):
    """The output size for every setting against ``conv_output_size``, and the drawn window of
    random outputs against the inputs that ``conv2d`` reads for them (the support of one-hot
    inputs through a kernel of ones)."""
    settings = [(n, k, p, s, d) for n in range(4, 13) for k in range(1, 6) for p in range(4)
                for s in range(1, 4) for d in range(1, 4)]
    sizes = figure.page.evaluate("""settings => settings.map(([n, k, p, s, d]) => {
        const w = cnnbookWidgets.list[0]; w.set({n, k, p, s, d}); return w.state.out; })""",
                                 settings)
    for (n, k, p, s, d), got in zip(settings, sizes, strict=True):
        try:
            assert got == conv_output_size(n, k, s, p, d)
        except ValueError:
            assert got == 0
    rng = np.random.default_rng(1)
    fitting = [st for st, size in zip(settings, sizes, strict=True) if size]
    for i in rng.choice(len(fitting), 40, replace=False):
        n, k, p, s, d = fitting[i]
        out = conv_output_size(n, k, s, p, d)
        r, c = (int(v) for v in rng.integers(0, out, 2))
        state = figure.set(n=n, k=k, p=p, s=s, d=d, select=[r, c])
        taps = {tuple(t) for t in state["taps"]}
        assert len(taps) == k * k
        inside = {t for t in taps if 0 <= t[0] < n and 0 <= t[1] < n}
        basis = np.eye(n * n).reshape(n * n, 1, n, n)  # one image per input pixel
        reads = conv2d(basis, np.ones((1, 1, k, k)), stride=s, padding=p, dilation=d)
        support = {divmod(int(j), n) for j in np.flatnonzero(reads[:, 0, r, c])}
        assert inside == support, (n, k, p, s, d, r, c)
        assert str(out) in state["formula"]


@pytest.mark.parametrize("figure", ["field"], indirect=True)
def test_receptive_fields_equal_cnnbook_models(figure):
    rng = np.random.default_rng(2)
    for name in ("post_tensorflow", "post_keras", "post_pytorch"):
        spec = catalogue.get(name).spec
        fields = {f.name: f for f in spec.receptive_field(axis=0)}
        fields_w = {f.name: f for f in spec.receptive_field(axis=1)}
        shapes = dict(zip([f.name for f in spec.receptive_field()], spec.output_shapes(),
                          strict=False))
        for layer, f in fields.items():
            h, w = shapes[layer][1:]
            r, c = int(rng.integers(0, h)), int(rng.integers(0, w))
            state = figure.set(model=name, layer=layer, unit=[r, c])
            g = fields_w[layer]
            assert state["size"] == [f.size, g.size] and state["jump"] == [f.jump, g.jump]
            half, half_w = (f.size - 1) / 2, (g.size - 1) / 2
            assert state["box"] == [f.start + r * f.jump - half, f.start + r * f.jump + half,
                                    g.start + c * g.jump - half_w, g.start + c * g.jump + half_w]
            assert state["shape"] == list(shapes[layer])
    assert "sees input rows" in figure.root.locator(".cw-readout").inner_text()


def _shift_measures(pixels: np.ndarray, dx: int, dy: int) -> tuple[list[float], list[float]]:
    """The pooling chapter's comparison, with cnnbook.ops: (changed shares, relative changes)
    for no pooling, average 2x2, max 2x2, max 2x2 twice."""
    sobel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64)
    edges = np.stack([sobel, sobel.T])[:, None]  # (2, 1, 3, 3)
    x = pixels.astype(np.float64)[None, None] / 255
    before = relu(conv2d(x, edges))
    after = relu(conv2d(np.roll(x, (dy, dx), axis=(2, 3)), edges))
    poolings = [lambda m: m, lambda m: avg_pool2d(m, 2), lambda m: max_pool2d(m, 2),
                lambda m: max_pool2d(max_pool2d(m, 2), 2)]
    changed, relative = [], []
    for pool in poolings:
        a, b = pool(before), pool(after)
        active = (a > 0.05) | (b > 0.05)
        changed.append(float((~np.isclose(a, b, rtol=0, atol=1e-6))[active].mean()))
        relative.append(float(np.linalg.norm(a - b) / np.linalg.norm(a)))
    return changed, relative


@pytest.mark.parametrize("figure", ["shift"], indirect=True)
def test_pooling_and_shifts_equal_the_chapters_measure(figure):
    digits = _digits()
    for i, (dx, dy) in enumerate([(1, 0), (0, 1), (2, 0), (-3, 2), (4, -4), (0, 0)]):
        state = figure.set(digit=i, dx=dx, dy=dy)
        changed, relative = _shift_measures(digits[i]["pixels"], dx, dy)
        assert state["dx"] == dx and state["dy"] == dy and state["digit"] == digits[i]["index"]
        np.testing.assert_allclose(state["changed"], changed, atol=1e-12)
        np.testing.assert_allclose(state["relative"], relative, atol=TOLERANCE)
    assert state["changed"] == [0, 0, 0, 0]  # no shift, no change
    figure.set(digit=0, dx=1, dy=0)
    share = _shift_measures(digits[0]["pixels"], 1, 0)[0][0]  # no pooling, as the table's row 1
    assert f"{round(100 * share)} %" in figure.root.locator(".cw-table tbody tr").first.inner_text()


# ---------- keyboard, touch, phone width, no JavaScript, labels ----------

START = {"conv": {"select": [5, 5]}, "geometry": {"s": 1},  # a state the key can move from
         "field": {"model": "post_keras", "layer": "pool2", "unit": [2, 2]},
         "shift": {"dx": 0, "dy": 0}}
KEYBOARD = {  # the element reached with Tab, the key, what the state must show afterwards
    "conv": ("canvas.cw-pick", "ArrowRight", lambda before, after:
             after["selected"] == [before["selected"][0], before["selected"][1] + 1]),
    "geometry": ("input[type=range] >> nth=3", "ArrowRight", lambda before, after:
                 after["s"] == before["s"] + 1),
    "field": ("canvas.cw-pick", "ArrowLeft", lambda before, after:
              after["unit"] == [before["unit"][0], before["unit"][1] - 1]),
    "shift": ("canvas.cw-drag", "ArrowRight", lambda before, after:
              after["dx"] == before["dx"] + 1),
}


@pytest.mark.parametrize("kind", list(PAGES))
def test_keyboard_only(opened, kind):
    rec = opened(kind)
    rec.set(**START[kind])
    selector, key, moved = KEYBOARD[kind]
    target = rec.root.locator(selector)
    rec.root.locator("select, input").first.focus()  # the figure's first control
    for _ in range(40):  # Tab on until the target has the focus: it is in the tab order
        if target.evaluate("e => e === document.activeElement"):
            break
        rec.page.keyboard.press("Tab")
    assert target.evaluate("e => e === document.activeElement"), f"Tab never reached {selector}"
    before = rec.state()
    rec.page.keyboard.press(key)
    after = rec.state()
    assert moved(before, after), (before, after)
    rec.check_clean()


def _touch(rec, points) -> None:
    """A finger: touch start at the first point, through the others, lift (page pixels)."""
    cdp = rec.context.new_cdp_session(rec.page)
    for i, (x, y) in enumerate(points):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart" if i == 0 else "touchMove",
                                              "touchPoints": [{"x": float(x), "y": float(y)}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


@pytest.mark.parametrize("kind", list(PAGES))
def test_touch_at_phone_width(browser, base_url, kind):  # noqa: F811
    rec = _open(browser, base_url, kind, width=375, touch=True)
    try:
        page = rec.page
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
        rec.root.scroll_into_view_if_needed()
        box = rec.root.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, box
        before = rec.state()
        if kind == "shift":  # drag the digit two pixels to the right with a finger
            canvas = rec.root.locator("canvas.cw-drag")
            canvas.scroll_into_view_if_needed()
            b = canvas.bounding_box()
            pixel = b["width"] / 28
            start = (b["x"] + b["width"] / 2, b["y"] + b["height"] / 2)
            _touch(rec, [(start[0] + pixel * t, start[1]) for t in np.linspace(0, 2, 9)])
            after = rec.state()
            assert after["dx"] == min(before["dx"] + 2, 4), (before, after)
        else:  # tap the bottom-left cell of the output (a unit, for the field)
            canvas = rec.root.locator("canvas.cw-pick")
            canvas.scroll_into_view_if_needed()
            b = canvas.bounding_box()
            rows, cols = {"conv": lambda s: s["shape"], "geometry": lambda s: [s["out"]] * 2,
                          "field": lambda s: s["shape"][1:]}[kind](before)
            canvas.tap(position={"x": b["width"] * 0.5 / cols,
                                 "y": b["height"] * (rows - 0.5) / rows})
            after = rec.state()
            picked = after["unit"] if kind == "field" else after["selected"]
            assert picked == [rows - 1, 0], (kind, picked)
        rec.shoot("375px")
        rec.check_clean()
    finally:
        rec.close()


@pytest.mark.parametrize("kind", list(PAGES))
def test_fallback_text_without_javascript(browser, base_url, kind):  # noqa: F811
    rec = _open(browser, base_url, kind, javascript=False)
    try:
        text = rec.root.inner_text()
        assert text.startswith("Live figure:") and "JavaScript" in text
        assert rec.root.locator(".cw-fallback").is_visible()
    finally:
        rec.close()


@pytest.mark.parametrize("kind", list(PAGES))
def test_roles_labels_screenshot_and_update_time(opened, kind):
    rec = opened(kind)
    page = rec.page
    group = page.get_by_role("group", name=LABELS[kind])
    assert group.count() == 1
    unlabelled = rec.root.evaluate("""root => Array.from(root.querySelectorAll(
        'input, select, canvas')).filter(e => !(e.labels && e.labels.length)
        && !e.getAttribute('aria-label')).map(e => e.outerHTML.slice(0, 80))""")
    assert unlabelled == []
    assert rec.root.get_by_role("img").count() >= 2
    assert rec.root.locator("[aria-live]").count() >= 1 or kind == "shift"
    if kind == "shift":
        assert rec.root.get_by_role("table").count() == 1
    rec.shoot("1280px")
    ms = page.evaluate("""() => {
        const w = cnnbookWidgets.list[0], times = [];
        for (let i = 0; i < 50; i++) {
            const t = performance.now(); w.update(); times.push(performance.now() - t);
        }
        return times.sort((p, q) => p - q)[25];
    }""")
    print(f"\n{kind}: one update, median of 50 in headless Chromium: {ms:.2f} ms")
    TIMINGS.parent.mkdir(parents=True, exist_ok=True)
    report = json.loads(TIMINGS.read_text()) if TIMINGS.is_file() else {}
    report[kind] = {"page": PAGES[kind], "median_update_ms": round(ms, 3), "repeats": 50}
    TIMINGS.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    assert ms > 0
    rec.check_clean()
