"""`make linkcheck` (tools/linkcheck.py) against a loopback server, and its scheduled workflow."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from cnnbook.datasets.registry import MNIST
from cnnbook.datasets.spec import Dataset, RemoteFile
from tools import linkcheck

ROOT = Path(__file__).resolve().parents[1]
SIZE = 1234  # the "expected" size of the served file
SHA = "ab" * 32


class Handler(BaseHTTPRequestHandler):
    """Paths: /good.bin (SIZE bytes), /short.bin (SIZE - 1), /missing (404), /moved (302 to
    /good.bin), /nohead.bin (HEAD 405, ranged GET 206), /norange.bin (HEAD 405, GET ignores the
    range), /nolength.bin (no Content-Length), /slow (answers after the client's timeout).
    Every request is logged as (method, path, Range header)."""

    log: list[tuple[str, str, str | None]] = []

    def _answer(self, head: bool) -> None:
        self.log.append((self.command, self.path, self.headers.get("Range")))
        ranged = self.headers.get("Range") == "bytes=0-0"
        if self.path == "/missing":
            self.send_error(404)
        elif self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/good.bin")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path in ("/nohead.bin", "/norange.bin") and head:
            self.send_error(405)
        elif self.path == "/nohead.bin" and ranged:
            self.send_response(206)
            self.send_header("Content-Range", f"bytes 0-0/{SIZE}")
            self.send_header("Content-Length", "1")
            self.end_headers()
            self.wfile.write(b"\0")
        elif self.path == "/slow":
            threading.Event().wait(1.0)
            self.send_error(500)
        elif self.path in ("/good.bin", "/short.bin", "/norange.bin", "/nohead.bin",
                           "/nolength.bin"):
            size = SIZE - 1 if self.path == "/short.bin" else SIZE
            self.send_response(200)
            if self.path != "/nolength.bin":
                self.send_header("Content-Length", str(size))
            self.end_headers()
            if not head:
                self.wfile.write(b"\0" * size)
        else:
            self.send_error(404)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_GET(self) -> None:
        self._answer(head=False)

    def log_message(self, *args: object) -> None:  # keep pytest's output clean
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Handler.log = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("path, status, method", [
    ("/good.bin", "OK", "HEAD"),
    ("/short.bin", "WRONG SIZE", "HEAD"),
    ("/missing", "HTTP 404", "HEAD"),
    ("/moved", "OK", "HEAD"),
    ("/nohead.bin", "OK", "GET"),
    ("/norange.bin", "OK", "GET"),
    ("/nolength.bin", "NO SIZE", "GET"),
])
def test_a_mirror_is_classified_by_its_answer(server, path, status, method):
    result = linkcheck.check_url(server + path, kind="mirror", expected=SIZE, timeout=5)
    assert (result.status, result.method) == (status, method), result
    assert result.broken == (status in ("WRONG SIZE", "HTTP 404"))
    if status == "WRONG SIZE":
        assert result.detail == f"{SIZE - 1:,} B, expected {SIZE:,} B"


def test_a_refused_head_falls_back_to_one_ranged_get_and_a_404_does_not(server):
    linkcheck.check_url(server + "/nohead.bin", expected=SIZE, timeout=5)
    linkcheck.check_url(server + "/missing", expected=SIZE, timeout=5)
    assert Handler.log == [("HEAD", "/nohead.bin", None), ("GET", "/nohead.bin", "bytes=0-0"),
                           ("HEAD", "/missing", None)]


def test_a_redirect_is_followed_with_the_same_method(server):
    result = linkcheck.check_url(server + "/moved", expected=SIZE, timeout=5)
    assert [m for m, _, _ in Handler.log] == ["HEAD", "HEAD"]  # urllib alone would GET it
    assert result.final_url == server + "/good.bin"
    assert result.detail == f"redirected to {server}/good.bin" and result.size == SIZE


def test_unreachable_and_timed_out_are_one_line_each(server):
    closed = linkcheck.check_url(f"http://127.0.0.1:{_closed_port()}/x", timeout=5)
    slow = linkcheck.check_url(server + "/slow", timeout=0.2)
    for result in (closed, slow):
        assert result.status == "UNREACHABLE" and result.broken, result
        assert result.detail and "\n" not in result.detail
    assert "refused" in closed.detail.lower() and "timed out" in slow.detail.lower()


def test_a_link_needs_no_size_and_skipped_hosts_are_never_requested(server):
    jobs = [linkcheck.Result(kind="link", url=server + "/nolength.bin", where=["a.html"]),
            linkcheck.Result(kind="link", url="https://mybinder.org/v2/gh/x/y/main"),
            linkcheck.Result(kind="link", url="https://sub.example.invalid/z")]
    loopback_allowed = {h: r for h, r in linkcheck.SKIP_HOSTS.items() if h != "127.0.0.1"}
    ok, binder, invalid = linkcheck.check_all(jobs, timeout=5, skip=loopback_allowed)
    assert (ok.status, ok.where) == ("OK", ["a.html"])
    assert binder.status == invalid.status == "SKIPPED"
    assert "Binder build" in binder.detail and "RFC 2606" in invalid.detail
    assert linkcheck.skip_reason("http://localhost:8888/tree") == "a reader's own machine"
    assert linkcheck.skip_reason(server) == "a reader's own machine"  # by default
    assert linkcheck.skip_reason("https://notexample.com/") is None


HTML = """<!DOCTYPE html><html><head>
<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>
<link rel="stylesheet" href="_static/styles/theme.css">
</head><body>
<a class="reference external" href="https://arxiv.org/abs/2404.00498#section&amp;2">paper</a>
<a href="https://arxiv.org/abs/2404.00498">again, without the fragment</a>
<a href="chapter.html#top">a local page</a><a href="mailto:someone@example.org">mail</a>
<img src="http://images.example.org/a.png" alt="">
<script>var notALink = '<a href="https://in.a.script/">';</script>
</body></html>"""


def test_links_are_read_from_the_built_html(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "index.html").write_text(HTML)
    (tmp_path / "book" / "page.html").write_text('<a href="https://arxiv.org/abs/2404.00498">')
    assert linkcheck.links_from_html(tmp_path) == {
        "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js": ["index.html"],
        "https://arxiv.org/abs/2404.00498": ["book/page.html", "index.html"],
        "http://images.example.org/a.png": ["index.html"],
    }


def test_without_built_html_the_links_come_from_the_sources(tmp_path):
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n- file: ch\n")
    (tmp_path / "_config.yml").write_text("repository:\n  url: https://github.com/o/r\n")
    (tmp_path / "intro.md").write_text(
        "See [the paper](https://arxiv.org/abs/1.2).\n\n```bash\npip install "
        "'p @ git+https://github.com/o/r@main'\n```\n\nor `git clone https://github.com/o/r.git`\n")
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["<https://a.org/x>, then ",
                                                                 "https://b.org/y."]},
             {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": "!pip install git+https://github.com/o/r@main"}]
    (tmp_path / "ch.ipynb").write_text(json.dumps({"cells": cells}))
    assert linkcheck.links_from_sources(tmp_path) == {
        "https://arxiv.org/abs/1.2": ["intro.md"], "https://a.org/x": ["ch.ipynb"],
        "https://b.org/y": ["ch.ipynb"], "https://github.com/o/r": ["_config.yml"]}


def test_every_mirror_of_the_registry_is_a_job():
    jobs = linkcheck.mirror_jobs()
    assert len(jobs) == sum(len(f.urls) for d in linkcheck.REGISTRY.values() for f in d.files)
    first = MNIST.files[0]
    assert (jobs[0].url, jobs[0].expected, jobs[0].where) == (
        first.urls[0], first.size, ["mnist/train-images-idx3-ubyte.gz"])


def test_main_prints_a_table_writes_the_report_and_fails_on_a_broken_mirror(server, tmp_path,
                                                                            capsys):
    html = tmp_path / "html"
    html.mkdir()
    (html / "index.html").write_text('<a href="https://mybinder.org/v2/gh/o/r/main">launch</a>')
    report = tmp_path / "reports" / "links.json"
    args = ["--html", str(html), "--report", str(report), "--timeout", "5"]

    def toy(*paths: str) -> dict[str, Dataset]:
        """MNIST's format and classes; each of its four files served from ``paths``."""
        files = tuple(RemoteFile(name, SIZE, SHA, tuple(server + p for p in paths))
                      for name in MNIST.format.files)
        return {"toy": Dataset("toy", "Toy", 10, MNIST.class_names, (28, 28), files,
                               MNIST.format)}

    assert linkcheck.main(args, registry=toy("/good.bin", "/short.bin", "/missing")) == 1
    out = capsys.readouterr().out
    assert re.search(r"^WRONG SIZE\s+mirror\s+\S+/short.bin  \(toy/", out, re.M)
    assert re.search(r"^HTTP 404\s+mirror\s+\S+/missing", out, re.M)
    assert re.search(r"^SKIPPED\s+link\s+https://mybinder.org/\S+  \(index.html; ", out, re.M)
    data = json.loads(report.read_text())
    assert data["links_from"].startswith("built HTML")
    assert (data["checked"], data["ok"], data["broken"], data["skipped"]) == (13, 4, 8, 1)
    assert {r["status"] for r in data["results"] if r["broken"]} == {"WRONG SIZE", "HTTP 404"}

    assert linkcheck.main(args, registry=toy("/good.bin", "/nohead.bin", "/moved")) == 0
    assert "12 OK, 0 broken, 1 skipped" in capsys.readouterr().out


# --- the workflow and the Makefile -----------------------------------------------------------

def test_the_link_check_is_scheduled_and_never_runs_in_the_main_ci():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "links.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    assert re.fullmatch(r"[\d*]+ [\d*]+ \* \* [0-6]", triggers["schedule"][0]["cron"])
    steps = [s.get("run", "") for job in workflow["jobs"].values() for s in job["steps"]]
    assert "make linkcheck" in steps
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^\.PHONY:.* linkcheck\b", makefile, re.M)
    assert "make linkcheck" in makefile and "make linkcheck" in (ROOT / "README.md").read_text()
    test_targets = re.search(r"^test: (.*)$", makefile, re.M).group(1).split()
    assert "linkcheck" not in test_targets
    for path in (".ci/run", ".github/workflows/ci.yml", ".github/workflows/pages.yml"):
        assert "linkcheck" not in (ROOT / path).read_text(), path
