"""The "draw a digit" page in a real browser: the JavaScript network against PyTorch, drawn strokes
against ``mnist_style``, the forward pass timed, a phone-width screenshot, keyboard and touch.

Needs `_build/html` with the page's exported weights (the build step, ``python -m tools.artefacts``,
trains them once and installs them into book/_static/models before the chapters run; ``make test``
then runs the notebook under nbval, which loads them, and builds the book). The first test reads
files only: the site ships the weights its page says it used. Uses the browser, the loopback
server and the request recorder of tests/test_browser.py: requests to any other host are aborted
and recorded, and console errors fail the tests.
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
    TIMEOUT_MS,
    PageRecorder,
    _missing,
    base_url,
    browser,
)

from cnnbook import artefacts, get_profile, get_seed
from cnnbook.datasets.images import mnist_style, to_grey, to_model_input
from cnnbook.saving.browser import read_export

pytestmark = pytest.mark.browser

PAGE = "book/draw_a_digit"
MODEL = "post_tensorflow"
WEIGHTS = HTML / "_static" / "models" / f"{MODEL}.js"
PAD = 280  # the drawing canvas's pixels (cnnbook_draw.js: PAD)
N_IMAGES, TOLERANCE = 20, 1e-4
ONE = [(140, 45), (141, 235)]  # a "1": one vertical stroke, in canvas pixels
ZERO = [(140 + 60 * np.sin(t), 140 - 90 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 40)]


class DrawRecorder(PageRecorder):
    """The page recorder of test_browser.py, at a chosen viewport, with touch when asked."""

    def __init__(self, browser, base_url: str, width: int = 1280, touch: bool = False):  # noqa: F811
        super().__init__(browser, base_url, width=width, touch=touch)

    def open(self, base_url: str):  # noqa: F811
        if not WEIGHTS.is_file():
            _missing(f"no exported weights at {WEIGHTS}: run the notebook {PAGE}.ipynb "
                     "(make test runs it under nbval), then build the book")
        response = self.page.goto(f"{base_url}/{PAGE}.html", wait_until="load")
        assert response is not None and response.ok
        self.page.wait_for_function("() => window.cnnbookDraw && cnnbookDraw.widgets.length")
        return self.page


@pytest.fixture
def desk(browser, base_url):  # noqa: F811
    rec = DrawRecorder(browser, base_url)
    rec.open(base_url)
    yield rec
    assert rec.errors == [], rec.errors
    assert rec.blocked == [], f"requests to other hosts: {rec.blocked}"
    rec.close()


def test_the_site_ships_the_weights_the_page_says_it_used():
    """After ``make book``, the page prints the SHA-256 of the weights its chapter used, and the
    site must ship those (a cached page once shipped no model at all). After ``make test``'s
    build, which shows the stored outputs, the shipped weights must be the build step's
    artefact for this commit, the one the chapter loaded under nbval."""
    page = HTML / f"{PAGE}.html"
    if not (page.is_file() and WEIGHTS.is_file()):
        pytest.skip(f"no built page with its weights under {HTML}: run make book or make test")
    shipped = read_export(WEIGHTS).sha256
    report = ROOT / "_build" / "reports" / "edition.json"
    card = json.loads(report.read_text()) if report.is_file() else {"executed": False}
    if card["executed"]:
        printed = re.search(r"SHA-256 of the weights: ([0-9a-f]{64})", page.read_text())
        assert printed, "the page does not print the SHA-256 of its weights"
        assert printed.group(1) == shipped
        return
    recipe = artefacts.get(MODEL)
    inputs = artefacts.key_inputs(recipe, get_profile(), get_seed())
    built = artefacts.find(recipe, artefacts.artefact_key(inputs), ROOT / "_build" / "artefacts")
    assert built is not None, "no artefact for this commit: run python -m tools.artefacts"
    assert built.sha256 == shipped


def _settled(page) -> None:
    """Wait two animation frames: the page redraws on the next frame after a stroke."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def _draw(page, points) -> None:
    """Mouse down at the first point, through the others, up at the last (canvas pixels)."""
    page.locator(".cd-canvas").scroll_into_view_if_needed()
    box = page.locator(".cd-canvas").bounding_box()
    scale = box["width"] / PAD

    def at(p):
        return box["x"] + p[0] * scale, box["y"] + p[1] * scale

    page.mouse.move(*at(points[0]))
    page.mouse.down()
    for p in points[1:]:
        page.mouse.move(*at(p), steps=5)
    page.mouse.up()
    _settled(page)


def _canvas_rgb(page) -> np.ndarray:
    """The drawing canvas's pixels as uint8 RGB ``(280, 280, 3)``, read from the page."""
    rgba = page.evaluate("() => Array.from(document.querySelector('.cd-canvas')"
                         ".getContext('2d').getImageData(0, 0, 280, 280).data)")
    pixels = np.asarray(rgba, dtype=np.uint8).reshape(PAD, PAD, 4)
    assert (pixels[..., 3] == 255).all()  # opaque: no alpha to composite
    return pixels[..., :3]


def _shoot(page, name: str) -> None:
    """Save the widget, as a reader sees it, into _build/screenshots (a full-page shot clipped to
    the widget: an element shot would have the theme's sticky header over it)."""
    box = page.locator(".cnnbook-draw").bounding_box()
    scroll = page.evaluate("() => [window.scrollX, window.scrollY]")
    clip = {"x": box["x"] + scroll[0], "y": box["y"] + scroll[1] - 8,
            "width": box["width"], "height": box["height"] + 16}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{PAGE.replace('/', '__')}__{name}.png"),
                    full_page=True, clip=clip)


def _state(page) -> dict:
    return page.evaluate("() => { const s = cnnbookDraw.widgets[0].state; return {empty: s.empty,"
                         " input: s.input, predicted: s.result && s.result.predicted,"
                         " logits: s.result && s.result.logits}; }")


def test_javascript_logits_equal_pytorch_on_mnist_test_digits(desk):
    torch = pytest.importorskip("torch")
    from cnnbook.datasets import load_mnist
    from cnnbook.saving.browser import load_exported, read_export

    exported = read_export(WEIGHTS)  # the file the page loaded
    model = load_exported(WEIGHTS)
    (_, _), (x_test, y_test) = load_mnist(limit=10, seed=0)
    x = x_test[:N_IMAGES].astype(np.float32) / 255  # (20, 28, 28) in [0, 1]
    assert exported.normalisation is None  # the post's preprocessing: [0, 1] only
    with torch.no_grad():
        expected = model(torch.from_numpy(x[:, np.newaxis])).numpy()  # (20, 10)
    got = np.asarray(desk.page.evaluate(
        "xs => xs.map(x => cnnbookDraw.forward(x).logits)", x.reshape(N_IMAGES, -1).tolist()))
    gap = float(np.abs(got - expected).max())
    print(f"\nJavaScript vs PyTorch logits on {N_IMAGES} MNIST test digits: "
          f"max |difference| {gap:.2e}")
    assert gap <= TOLERANCE
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).all()
    shown = desk.page.locator(".cd-model-line").inner_text()
    assert exported.sha256 in shown
    desk.page.wait_for_function(
        "() => /checked in your browser/.test(document.querySelector('.cd-model-line')"
        ".textContent)")


@pytest.mark.parametrize("digit, stroke", [("1", ONE), ("0", ZERO)])
def test_drawn_strokes_are_preprocessed_as_mnist_style(desk, digit, stroke):
    torch = pytest.importorskip("torch")
    from cnnbook.saving.browser import load_exported

    page = desk.page
    _draw(page, stroke)
    state = _state(page)
    assert not state["empty"]
    rgb = _canvas_rgb(page)
    expected, inverted = mnist_style(to_grey(rgb))  # what cnnbook predict does to a picture
    assert inverted  # black ink on white
    seen = np.asarray(state["input"], dtype=np.uint8).reshape(28, 28)
    np.testing.assert_array_equal(seen, expected)
    x, _ = to_model_input(rgb, (1, 28, 28), dataset="mnist")  # (1, 1, 28, 28) float32
    np.testing.assert_array_equal(x[0, 0], seen.astype(np.float32) / np.float32(255))
    with torch.no_grad():
        logits = load_exported(WEIGHTS)(torch.from_numpy(x)).numpy()[0]
    assert np.abs(np.asarray(state["logits"]) - logits).max() <= TOLERANCE
    assert state["predicted"] == int(logits.argmax())
    _shoot(page, f"drawn_{digit}")
    if digit == "1":
        assert state["predicted"] == 1, f"the drawn 1 was read as {state['predicted']}"


def test_the_maps_the_page_draws_equal_pytorchs_activations(desk):
    """The conv1 maps (after the ReLU) and the pooled maps that the page paints for a drawn digit
    equal PyTorch's activations for the same 28x28 input, computed from the same weights."""
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    page = desk.page
    _draw(page, ONE)
    got = page.evaluate("""() => {
        const s = cnnbookDraw.widgets[0].state, steps = s.result.steps;
        const pick = kind => steps.filter(t => t.kind === kind)[0].value;
        const maps = pick("relu"), pooled = pick("max_pool2d");
        return {input: s.input, maps: Array.from(maps.data), mapsShape: maps.shape,
                pooled: Array.from(pooled.data), pooledShape: pooled.shape};
    }""")
    tensors = read_export(WEIGHTS).tensors
    x = torch.tensor(np.asarray(got["input"], np.float32).reshape(1, 1, 28, 28) / np.float32(255))
    with torch.no_grad():
        maps = functional.relu(functional.conv2d(x, torch.from_numpy(tensors["conv1.weight"]),
                                                 torch.from_numpy(tensors["conv1.bias"])))
        pooled = functional.max_pool2d(maps, 2)
    assert got["mapsShape"] == list(maps.shape[1:]) == [32, 26, 26]
    assert got["pooledShape"] == list(pooled.shape[1:]) == [32, 13, 13]
    gaps = [float(np.abs(np.asarray(got[key]) - ref.numpy().ravel()).max())
            for key, ref in (("maps", maps), ("pooled", pooled))]
    print(f"\nthe page's maps vs PyTorch's activations: max |difference| conv1 {gaps[0]:.1e}, "
          f"pool1 {gaps[1]:.1e}")
    assert max(gaps) <= 1e-5
    assert float(maps.max()) > 0  # the drawn digit lights some maps up


def _pictures(count: int, seed: int = 0):
    """Seeded RGB pictures of strokes: any size and aspect, dark ink on light paper or light on
    dark, coloured ink, line widths from 1 to 24, some resampled (soft edges)."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    for i in range(count):
        w, h = (int(v) for v in rng.integers(12, 300, 2))
        low, high = (150, 256) if i % 2 else (0, 40)  # light paper, or dark
        paper = tuple(int(v) for v in rng.integers(low, high, 3))
        picture = Image.new("RGB", (w, h), paper)
        pen = ImageDraw.Draw(picture)
        for _ in range(int(rng.integers(1, 4))):
            points = [tuple(int(v) for v in rng.integers(0, [w, h])) for _ in range(3)]
            pen.line(points, fill=tuple(int(v) for v in rng.integers(0, 256, 3)),
                     width=int(rng.integers(1, 25)))
        if i % 3 == 0:
            picture = picture.resize((max(1, w // 2), max(1, h // 2)), Image.BILINEAR)
        yield np.asarray(picture)


def test_the_javascript_preprocessing_is_cnnbooks_bit_for_bit(desk):
    """to_grey and mnist_style in the page equal the package's on 60 varied pictures."""
    checked = 0
    for rgb in _pictures(60):
        h, w = rgb.shape[:2]
        rgba = np.concatenate([rgb, np.full((h, w, 1), 255, np.uint8)], axis=2)
        got = desk.page.evaluate("""([data, h, w]) => {
            const rgba = Uint8Array.from(atob(data), c => c.charCodeAt(0));
            const grey = cnnbookDraw.toGrey(rgba, h, w);
            const fitted = cnnbookDraw.mnistStyle(grey, h, w, 20, 28);
            let text = "";
            for (const v of grey) text += String.fromCharCode(v);
            return {grey: btoa(text), image: fitted && Array.from(fitted.image),
                    inverted: fitted && fitted.inverted};
        }""", [base64.b64encode(rgba.tobytes()).decode("ascii"), h, w])
        page_grey = np.frombuffer(base64.b64decode(got["grey"]), np.uint8).reshape(h, w)
        grey = to_grey(rgb)
        np.testing.assert_array_equal(page_grey, grey)
        try:
            expected, inverted = mnist_style(grey)
        except ValueError:  # no strokes: the page shows nothing
            assert got["image"] is None
            continue
        np.testing.assert_array_equal(np.asarray(got["image"]).reshape(28, 28), expected)
        assert got["inverted"] == inverted
        checked += 1
    assert checked >= 50


def test_forward_pass_time_is_measured(desk):
    """Measured, not asserted: the median of 50 forward passes (and of 50 whole updates:
    canvas read, mnistStyle, forward pass, drawing the maps) with performance.now()."""
    page = desk.page
    _draw(page, ONE)
    times = page.evaluate("""() => {
        const w = cnnbookDraw.widgets[0], x = w.state.input.map(v => v / 255);
        const median = a => a.slice().sort((p, q) => p - q)[a.length >> 1];
        const forward = [], update = [];
        for (let i = 0; i < 50; i++) {
            let t = performance.now(); w.model.forward(x); forward.push(performance.now() - t);
            t = performance.now(); w.update(); update.push(performance.now() - t);
        }
        return {forward: median(forward), update: median(update)};
    }""")
    print(f"\nmedian of 50 in headless Chromium: forward pass {times['forward']:.2f} ms, "
          f"whole update {times['update']:.2f} ms")
    assert times["forward"] > 0


def test_keyboard_clears_and_the_controls_are_labelled(desk):
    page = desk.page
    _draw(page, ONE)
    assert not _state(page)["empty"]
    canvas = page.locator(".cd-canvas")
    assert "draw one digit" in canvas.get_attribute("aria-label").lower()
    canvas.focus()
    page.keyboard.press("Tab")  # from the drawing area to the Clear button
    assert page.evaluate("() => document.activeElement.textContent") == "Clear"
    page.keyboard.press("Enter")
    _settled(page)
    assert _state(page)["empty"]
    assert (_canvas_rgb(page) == 255).all()
    assert "Draw a digit" in page.locator(".cd-verdict").inner_text()
    _draw(page, ZERO)
    canvas.focus()
    page.keyboard.press("Escape")  # the focused drawing area clears too
    assert _state(page)["empty"]


def test_phone_width_touch_drawing_and_screenshot(browser, base_url):  # noqa: F811
    rec = DrawRecorder(browser, base_url, width=375, touch=True)
    try:
        page = rec.open(base_url)
        page.locator(".cd-canvas").scroll_into_view_if_needed()
        box = page.locator(".cd-canvas").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, box
        assert box["width"] >= 200, f"the drawing area is only {box['width']} px wide"
        widget = page.locator(".cnnbook-draw").bounding_box()
        assert widget["x"] + widget["width"] <= 375, widget
        cdp = rec.context.new_cdp_session(page)  # a finger: touch events, as on a phone
        scale = box["width"] / PAD
        start, end = (np.array([box["x"], box["y"]]) + np.array(p) * scale for p in ONE)
        path = [start + (end - start) * t for t in np.linspace(0, 1, 12)]  # (x, y) points
        for i, (x, y) in enumerate(path):
            kind = "touchStart" if i == 0 else "touchMove"
            cdp.send("Input.dispatchTouchEvent",
                     {"type": kind, "touchPoints": [{"x": float(x), "y": float(y)}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        _settled(page)
        assert not _state(page)["empty"], "a finger did not draw"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{PAGE.replace('/', '__')}__375px.png"),
                        full_page=True)
        _shoot(page, "375px_widget")
        assert rec.errors == [], rec.errors
        assert rec.blocked == [], rec.blocked
    finally:
        rec.close()


def test_the_page_runs_the_post_keras_model_too(desk, tmp_path):
    """The page's JavaScript runs any exported stack of conv, pool and dense layers: the post's
    Keras model (two conv layers; seeded untrained weights) gives PyTorch's logits, and its
    forward time is measured (median of 50), to judge whether the page could offer it."""
    torch = pytest.importorskip("torch")
    from cnnbook.datasets import load_mnist
    from cnnbook.models import catalogue
    from cnnbook.saving.browser import export_model

    torch.manual_seed(0)
    model = catalogue.get("post_keras").build("torch").eval()
    path = tmp_path / "post_keras.json"
    export_model(model, path, name="post_keras", class_names=[str(i) for i in range(10)])
    (_, _), (x_test, _) = load_mnist(limit=10, seed=0)
    x = x_test[:4].astype(np.float32) / 255  # (4, 28, 28)
    with torch.no_grad():
        expected = model(torch.from_numpy(x[:, np.newaxis])).numpy()  # (4, 10)
    result = desk.page.evaluate("""([doc, xs]) => {
        const m = new cnnbookDraw.Model(doc), times = [];
        const logits = xs.map(x => m.forward(Float64Array.from(x)).logits);
        for (let i = 0; i < 50; i++) {
            const t = performance.now(); m.forward(Float64Array.from(xs[0]));
            times.push(performance.now() - t);
        }
        return {logits, ms: times.sort((p, q) => p - q)[25]};
    }""", [json.loads(path.read_text()), x.reshape(4, -1).tolist()])
    gap = float(np.abs(np.asarray(result["logits"]) - expected).max())
    print(f"\npost_keras in the page: max |difference| {gap:.2e}, "
          f"forward pass median of 50 {result['ms']:.2f} ms")
    assert gap <= TOLERANCE
