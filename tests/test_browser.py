"""The built book in a real browser: Playwright driving Debian's Chromium.

Needs `_build/html` (``make test-book`` builds it first). The pages are served on 127.0.0.1 by a
loopback HTTP server; every request to any other host is aborted, so the test also proves that the
book renders (math included) without internet. On a machine without Chromium the tests skip with
install instructions, unless ``CNNBOOK_REQUIRE_BROWSER=1`` (set by ``.ci/run``), where a missing
browser is a failure.
"""

from __future__ import annotations

import functools
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tools.toc import toc_pages

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = os.environ.get("CNNBOOK_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("CNNBOOK_REQUIRE_BROWSER", "") == "1"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TIMEOUT_MS = 30_000
PAGES = toc_pages()  # reading order: "book/intro", "book/convolution", ...


def _missing(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (CNNBOOK_REQUIRE_BROWSER=1 makes this a failure)")
    pytest.skip(f"{reason}; install it with `sudo apt-get install chromium` "
                "and `make test-browser`")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def base_url():
    if not (HTML / "index.html").is_file():
        _missing("no built book in _build/html: run `make test-book` first")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        _missing(f"Chromium not found at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, timeout=TIMEOUT_MS)
        yield browser
        browser.close()


class PageRecorder:
    """A page whose requests leave only for 127.0.0.1, recording errors from local resources."""

    def __init__(self, browser, base_url: str, *, width: int = 1280, touch: bool = False,
                 javascript: bool = True):
        self.context = browser.new_context(viewport={"width": width, "height": 900},
                                           has_touch=touch, java_script_enabled=javascript)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.page.on("requestfailed", self._failed)

    def _route(self, route):
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def _console(self, msg):
        source = (msg.location or {}).get("url", "")
        if (msg.type == "error" and urlparse(source).hostname in (None, "127.0.0.1")
                and not any(url in msg.text for url in self.blocked)):
                self.errors.append(f"console: {msg.text} ({source})")

    def _failed(self, request):
        if urlparse(request.url).hostname == "127.0.0.1":
            self.errors.append(f"failed request: {request.url}")

    def close(self):
        self.context.close()


@pytest.fixture
def recorder(browser, base_url):
    rec = PageRecorder(browser, base_url)
    yield rec
    rec.close()


def _href_target(page, selector: str) -> str | None:
    link = page.query_selector(selector)
    if link is None:
        return None
    path = urlparse(link.evaluate("a => a.href")).path
    return path.lstrip("/").removesuffix(".html")


@pytest.mark.parametrize("index", range(len(PAGES)), ids=PAGES)
def test_page_renders(recorder, base_url, index):
    name = PAGES[index]
    page = recorder.page
    response = page.goto(f"{base_url}/{name}.html", wait_until="load")
    assert response is not None and response.ok, f"{name}: HTTP {response and response.status}"

    heading = page.locator("article.bd-article h1").first
    assert heading.is_visible() and heading.inner_text().strip(), f"{name}: no visible title"
    assert page.title().strip(), f"{name}: empty <title>"

    broken = page.evaluate(
        "() => Array.from(document.images)"
        ".filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.src)"
    )
    assert broken == [], f"{name}: images that did not load: {broken}"

    if page.locator(".math").count():
        page.wait_for_selector("mjx-container", state="attached", timeout=TIMEOUT_MS)
        assert page.locator("mjx-container").count() >= 1, f"{name}: math not typeset"

    expected_prev = PAGES[index - 1] if index > 0 else None
    expected_next = PAGES[index + 1] if index + 1 < len(PAGES) else None
    assert _href_target(page, "a.left-prev") == expected_prev, f"{name}: previous link"
    assert _href_target(page, "a.right-next") == expected_next, f"{name}: next link"

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name.replace('/', '__')}.png"), full_page=True)
    assert recorder.errors == [], f"{name}: errors from local resources: {recorder.errors}"


def test_math_is_typeset_somewhere(recorder, base_url):
    """At least one page carries math, and MathJax (served locally when fetched) typesets it."""
    with_math = []
    for name in PAGES:
        recorder.page.goto(f"{base_url}/{name}.html", wait_until="load")
        if recorder.page.locator(".math").count():
            recorder.page.wait_for_selector("mjx-container", state="attached")
            with_math.append(name)
    assert with_math, "no page in the TOC has math"


def test_search_finds_convolution(recorder, base_url):
    page = recorder.page
    page.goto(f"{base_url}/search.html?q=convolution", wait_until="load")
    page.wait_for_selector("#search-results ul.search li", timeout=TIMEOUT_MS)
    hits = page.locator("#search-results ul.search li").count()
    assert hits >= 1, "the search page found nothing for 'convolution'"
    assert recorder.errors == [], recorder.errors
