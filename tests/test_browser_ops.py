"""The shared JavaScript ops (``book/_static/cnnbook_ops.js``) against ``cnnbook.ops`` and
``cnnbook.models``, in Chromium, on random cases: every kernel size, stride, padding and dilation
that the live figures allow, several channels, every shift of the pooling figure, and the
receptive fields of every layer of the post's three models.

Runs in the built book's convolution page, which loads the file as every live figure does; uses
the browser, the loopback server and the request recorder of tests/test_browser.py.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from test_browser import (  # noqa: F401  (base_url and browser are fixtures)
    HTML,
    PageRecorder,
    _missing,
    base_url,
    browser,
)

from cnnbook.models import catalogue
from cnnbook.ops import avg_pool2d, conv2d, conv_output_size, max_pool2d, relu

pytestmark = pytest.mark.browser

PAGE = "book/convolution"
TOLERANCE = 1e-5
# the live figures' ranges (cnnbook_widgets.js: GeometryWidget, ConvWidget, ShiftWidget)
SIZES, KERNELS, PADDINGS, STRIDES, DILATIONS = range(4, 13), range(1, 6), range(4), range(1, 4), \
    range(1, 4)
SHIFTS = range(-4, 5)


@pytest.fixture(scope="module")
def ops_page(browser, base_url):  # noqa: F811
    if not (HTML / f"{PAGE}.html").is_file():
        _missing(f"no built page {PAGE}.html under {HTML}: run make test-book")
    rec = PageRecorder(browser, base_url)
    response = rec.page.goto(f"{base_url}/{PAGE}.html", wait_until="load")
    assert response is not None and response.ok
    rec.page.wait_for_function("() => window.cnnbookOps !== undefined")
    yield rec.page
    assert rec.errors == [], rec.errors
    assert rec.blocked == [], f"requests to other hosts: {rec.blocked}"
    rec.close()


def _js(page, name: str, *args):
    """Call ``cnnbookOps[name]`` on tensors given as (array) and return the result as an array."""
    return page.evaluate("""([name, args]) => {
        const t = a => (a && a.shape) ? {shape: a.shape, data: Float64Array.from(a.data)} : a;
        const out = cnnbookOps[name](...args.map(t));
        return out && out.data ? {shape: out.shape, data: Array.from(out.data)} : out;
    }""", [name, [_tensor(a) for a in args]])


def _tensor(value):
    if isinstance(value, np.ndarray):
        return {"shape": list(value.shape), "data": value.ravel().tolist()}
    return value


def _array(result) -> np.ndarray:
    return np.asarray(result["data"]).reshape(result["shape"])


def test_output_size_equals_cnnbooks_for_every_setting_the_figure_allows(ops_page):
    settings = list(itertools.product(SIZES, KERNELS, STRIDES, PADDINGS, DILATIONS))
    got = ops_page.evaluate(
        "s => s.map(([n, k, st, p, d]) => cnnbookOps.convOutputSize(n, k, st, p, d))", settings)
    expected = []
    for n, k, s, p, d in settings:
        try:
            expected.append(conv_output_size(n, k, s, p, d))
        except ValueError:  # the kernel does not fit: the page shows 0 and says so
            expected.append(0)
    assert got == expected
    assert 0 in expected and max(expected) == 18  # both kinds of case were covered


def test_conv2d_equals_cnnbooks_on_random_cases(ops_page):
    rng = np.random.default_rng(0)
    cases, expected = [], []
    for n, k, s, p, d in itertools.product(SIZES[::2], KERNELS, STRIDES, PADDINGS, DILATIONS):
        if d * (k - 1) + 1 > n + 2 * p:
            continue
        c_in, c_out = (1, 1) if len(cases) % 3 else (2, 3)
        x = rng.normal(size=(c_in, n, n))
        w = rng.normal(size=(c_out, c_in, k, k))
        b = rng.normal(size=(c_out,))
        cases.append([_tensor(x), _tensor(w), _tensor(b), [s, s], [p, p], [d, d]])
        expected.append(conv2d(x[None], w, b, stride=s, padding=p, dilation=d)[0])
    for k in (3, 5):  # the playground: a 28x28 digit, no padding, stride 1
        x, w = rng.random((1, 28, 28)), rng.normal(size=(1, 1, k, k))
        cases.append([_tensor(x), _tensor(w), None, 1, 0, 1])
        expected.append(conv2d(x[None], w)[0])
    got = ops_page.evaluate("""cases => cases.map(([x, w, b, s, p, d]) => {
        const t = a => a && {shape: a.shape, data: Float64Array.from(a.data)};
        const out = cnnbookOps.conv2d(t(x), t(w), t(b), s, p, d);
        return {shape: out.shape, data: Array.from(out.data)};
    })""", cases)  # one round trip for every case
    worst = 0.0
    for result, ref in zip(got, expected, strict=True):
        assert _array(result).shape == ref.shape
        worst = max(worst, float(np.abs(_array(result) - ref).max()))
    print(f"\nconv2d, JavaScript vs cnnbook.ops on {len(cases)} cases: max |difference| "
          f"{worst:.1e}")
    assert len(cases) >= 200 and worst <= TOLERANCE


def test_pooling_relu_and_roll_equal_cnnbooks_and_numpys(ops_page):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 26, 26))
    for name, ref in (("maxPool2d", max_pool2d), ("avgPool2d", avg_pool2d)):
        for size in (26, 13, 7):
            got = _array(_js(ops_page, name, x[:, :size, :size], 2, 2))
            np.testing.assert_allclose(got, ref(x[None, :, :size, :size], 2)[0], rtol=0,
                                       atol=TOLERANCE)
    np.testing.assert_array_equal(_array(_js(ops_page, "relu", x)), relu(x))
    digit = rng.random((1, 28, 28))
    for dy, dx in itertools.product(SHIFTS, SHIFTS):
        got = _array(_js(ops_page, "roll", digit, dy, dx))
        np.testing.assert_array_equal(got, np.roll(digit, (dy, dx), axis=(1, 2)))


@pytest.mark.parametrize("name", ["post_tensorflow", "post_keras", "post_pytorch",
                                  "cifar_small"])
def test_receptive_fields_equal_cnnbook_models(ops_page, name):
    """Every layer, both axes: size, jump and start of the page's recurrence equal
    ``Architecture.receptive_field``'s (cifar_small adds padding to the post's models)."""
    from cnnbook.artefacts.widgets import model_geometry

    layers = model_geometry(name)["layers"]
    spec = catalogue.get(name).spec
    for axis in (0, 1):
        got = ops_page.evaluate("([l, a]) => cnnbookOps.receptiveFields(l, a)", [layers, axis])
        expected = [{"name": f.name, "size": f.size, "jump": f.jump, "start": f.start}
                    for f in spec.receptive_field(axis=axis)]
        assert got == expected
