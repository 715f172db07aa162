"""Check that every dataset mirror answers with the registry's size, and the book's external links.

    python -m tools.linkcheck                  # what `make linkcheck` runs (needs the network)
    python -m tools.linkcheck --no-mirrors --html _build/html

**Mirrors.** Each URL of each :class:`~cnnbook.datasets.spec.RemoteFile` in the registry gets a
``HEAD`` request, redirects followed; its ``Content-Length`` must equal the file's ``size``. When
``HEAD`` is refused (any HTTP error but 404 and 410) or states no length, one ``GET`` with
``Range: bytes=0-0`` decides, from ``Content-Range``'s total (or ``Content-Length`` when the
server ignores the range); the body is never read. A byte count is not a hash: downloads are
still checked against the SHA-256 (``cnnbook.datasets.download``).

**Links.** Every ``href`` and ``src`` with an http(s) URL in the built book (``_build/html``),
without fragments and de-duplicated, gets the same request. Without built HTML the links come from
the sources instead: the markdown of the TOC's pages and notebooks, and ``_config.yml``'s
repository; the theme's launch buttons and MathJax's CDN are then not checked. Hosts in
:data:`SKIP_HOSTS` are listed with their reason and not requested.

Prints a table, writes ``_build/reports/links.json`` and exits 1 when something is broken (wrong
size, an HTTP error, unreachable), so the scheduled workflow (``.github/workflows/links.yml``)
shows red. ``make test`` never runs it: the main CI stays off the network. It lives in ``tools/``
and not in ``cnnbook data``: it checks the project's mirrors and pages for maintainers, while
readers' downloads already report each failing mirror.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import yaml

from cnnbook.datasets.registry import REGISTRY
from cnnbook.datasets.spec import Dataset
from tools.toc import toc_pages

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 20.0
WORKERS = 8
USER_AGENT = "cnnbook-linkcheck/1 (+https://github.com/cnnbook/cnnbook)"
GONE = (404, 410)  # definite answers: no ranged GET after these

SKIP_HOSTS: Mapping[str, str] = {
    "localhost": "a reader's own machine",
    "127.0.0.1": "a reader's own machine",
    "mybinder.org": "a request starts a Binder build on a shared service",
    "colab.research.google.com": "a JavaScript app that answers 200 for any notebook path",
    "example.com": "reserved for examples (RFC 2606)",
    "example.org": "reserved for examples (RFC 2606)",
    "invalid": "reserved, never resolves (RFC 2606)",
}
"""Hosts (and their sub-domains) that are listed but never requested, each with the reason."""

BROKEN = ("WRONG SIZE", "HTTP", "UNREACHABLE")  # status prefixes that fail the check


@dataclass
class Result:
    """One checked URL: ``status`` is OK, WRONG SIZE, NO SIZE, HTTP <code>, UNREACHABLE or
    SKIPPED; ``size`` is what the server stated, ``expected`` the registry's size (mirrors)."""

    kind: str  # "mirror" or "link"
    url: str
    status: str = ""
    code: int | None = None
    size: int | None = None
    expected: int | None = None
    method: str = ""
    final_url: str = ""
    detail: str = ""
    where: list[str] = field(default_factory=list)

    @property
    def broken(self) -> bool:
        return self.status.startswith(BROKEN)


# --- requests --------------------------------------------------------------------------------

class _KeepMethod(urllib.request.HTTPRedirectHandler):
    """Follow redirects with the same method: urllib turns a redirected HEAD into a GET."""

    def redirect_request(self, req: urllib.request.Request, fp, code: int, msg: str, headers,
                         newurl: str) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None:
            new.method = req.get_method()
        return new


_OPENER = urllib.request.build_opener(_KeepMethod)


def _ask(url: str, method: str, timeout: float) -> tuple[int, str, http.client.HTTPMessage]:
    """Status, final URL and headers of one request; the body is never read."""
    headers = {"User-Agent": USER_AGENT}
    if method == "GET":
        headers["Range"] = "bytes=0-0"
    request = urllib.request.Request(url, headers=headers, method=method)
    with _OPENER.open(request, timeout=timeout) as response:
        return response.status, response.url, response.headers


def _stated_size(code: int, headers: http.client.HTTPMessage) -> int | None:
    """The whole file's size: Content-Range's total for a 206, else Content-Length."""
    if code == 206:
        match = re.search(r"/(\d+)\s*$", headers.get("Content-Range", ""))
        return int(match.group(1)) if match else None
    length = headers.get("Content-Length", "")
    return int(length) if length.strip().isdigit() else None


def _one_line(err: BaseException) -> str:
    reason = getattr(err, "reason", None) or err
    text = str(reason).splitlines()[0] if str(reason) else type(reason).__name__
    return text[:160]


def check_url(url: str, *, kind: str = "link", expected: int | None = None,
              timeout: float = TIMEOUT_S) -> Result:
    """Request ``url`` (HEAD, then a ranged GET if needed) and classify the answer."""
    result = Result(kind=kind, url=url, expected=expected)
    for method in ("HEAD", "GET"):
        result.method = method
        try:
            result.code, result.final_url, headers = _ask(url, method, timeout)
        except urllib.error.HTTPError as err:
            err.close()  # the error page's body is never read either
            result.code, result.status = err.code, f"HTTP {err.code}"
            result.detail = _one_line(err)
            if method == "HEAD" and err.code not in GONE:
                continue  # HEAD refused: let a ranged GET decide
            return result
        except (OSError, http.client.HTTPException, ValueError) as err:
            result.status, result.detail = "UNREACHABLE", _one_line(err)
            return result
        result.size = _stated_size(result.code, headers)
        if result.size is None and method == "HEAD" and expected is not None:
            continue  # no length: a ranged GET may state the total
        break
    result.detail = f"redirected to {result.final_url}" if result.final_url != url else ""
    if expected is None:
        result.status = "OK"
    elif result.size is None:
        result.status, result.detail = "NO SIZE", "the server states no length"
    elif result.size != expected:
        result.status = "WRONG SIZE"
        result.detail = f"{result.size:,} B, expected {expected:,} B"
    else:
        result.status = "OK"
    return result


def skip_reason(url: str, skip: Mapping[str, str] = SKIP_HOSTS) -> str | None:
    """Why ``url`` is not requested, or None: its host or a parent domain is in ``skip``."""
    host = (urlsplit(url).hostname or "").lower()
    for name, reason in skip.items():
        if host == name or host.endswith("." + name):
            return reason
    return None


def check_all(jobs: Iterable[Result], *, timeout: float = TIMEOUT_S,
              skip: Mapping[str, str] = SKIP_HOSTS) -> list[Result]:
    """Check each job (kind, url, expected and where filled in), in parallel, in input order.
    Links on a skipped host come back SKIPPED; mirrors are always requested."""
    jobs = list(jobs)

    def run(job: Result) -> Result:
        reason = skip_reason(job.url, skip) if job.kind == "link" else None
        if reason:
            job.status, job.detail = "SKIPPED", reason
            return job
        done = check_url(job.url, kind=job.kind, expected=job.expected, timeout=timeout)
        done.where = job.where
        return done

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(run, jobs))


# --- what to check ---------------------------------------------------------------------------

def mirror_jobs(registry: Mapping[str, Dataset] = REGISTRY) -> list[Result]:
    """One job per mirror URL of every file in ``registry``, with the file's size expected."""
    return [Result(kind="mirror", url=url, expected=file.size, where=[f"{name}/{file.name}"])
            for name, dataset in registry.items() for file in dataset.files for url in file.urls]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value and value.startswith(("http://", "https://")):
                self.urls.append(value.strip())


def _collect(found: dict[str, list[str]], urls: Iterable[str], where: str) -> None:
    for url in urls:
        url = urldefrag(url).url
        if where not in found.setdefault(url, []):
            found[url].append(where)


def links_from_html(html_dir: Path) -> dict[str, list[str]]:
    """Every http(s) ``href``/``src`` under ``html_dir`` (``**/*.html``), without fragments:
    URL -> the pages (relative paths) that hold it, in sorted page order."""
    found: dict[str, list[str]] = {}
    for page in sorted(html_dir.rglob("*.html")):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        _collect(found, parser.urls, page.relative_to(html_dir).as_posix())
    return found


_URL = re.compile(r"https?://[^\s<>()\[\]\"'`]+")
_CODE = re.compile(r"^(`{3,}|~{3,}).*?^\1|`[^`\n]*`", re.M | re.S)  # fenced blocks, inline code


def links_from_sources(root: Path = ROOT) -> dict[str, list[str]]:
    """The links a reader sees, read from the sources: URLs in the markdown of the TOC's pages
    (``.md`` files, notebooks' markdown cells) outside code, and ``_config.yml``'s repository."""
    found: dict[str, list[str]] = {}
    for page in toc_pages(root):
        for path in (root / f"{page}.md", root / f"{page}.ipynb"):
            if path.suffix == ".md" and path.is_file():
                text = path.read_text(encoding="utf-8")
            elif path.is_file():
                cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
                text = "\n".join("".join(c["source"]) for c in cells
                                 if c["cell_type"] == "markdown")
            else:
                continue
            urls = (u.rstrip(".,;:!?") for u in _URL.findall(_CODE.sub("", text)))
            _collect(found, urls, path.relative_to(root).as_posix())
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    repository = (config.get("repository") or {}).get("url")
    if repository:
        _collect(found, [repository], "_config.yml")
    return found


# --- report ----------------------------------------------------------------------------------

def table(results: list[Result]) -> str:
    """One line per URL: status, kind, URL, then (where it was found; detail)."""
    lines = [f"{'STATUS':<12} {'KIND':<6} URL"]
    for r in results:
        where = ", ".join(r.where[:2]) + (f" and {len(r.where) - 2} more" if len(r.where) > 2
                                          else "")
        notes = "; ".join(x for x in (where, r.detail) if x)
        lines.append(f"{r.status:<12} {r.kind:<6} {r.url}" + (f"  ({notes})" if notes else ""))
    return "\n".join(lines)


def summary(results: list[Result]) -> dict[str, int]:
    """How many URLs were checked, OK, broken, skipped, and answered without a size."""
    counts = {"checked": len(results), "ok": 0, "broken": 0, "skipped": 0, "no_size": 0}
    for r in results:
        key = ("broken" if r.broken else "skipped" if r.status == "SKIPPED"
               else "no_size" if r.status == "NO SIZE" else "ok")
        counts[key] += 1
    return counts


def main(argv: list[str] | None = None, *, registry: Mapping[str, Dataset] = REGISTRY,
         root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.linkcheck",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=root / "_build" / "html",
                        help="the built book (default: _build/html; without it, the sources)")
    parser.add_argument("--report", type=Path, default=root / "_build" / "reports" / "links.json")
    parser.add_argument("--timeout", type=float, default=TIMEOUT_S, help="seconds per request")
    parser.add_argument("--no-mirrors", action="store_true", help="skip the dataset mirrors")
    parser.add_argument("--no-links", action="store_true", help="skip the book's links")
    args = parser.parse_args(argv)

    jobs = [] if args.no_mirrors else mirror_jobs(registry)
    source = "none"
    if not args.no_links:
        if args.html.is_dir() and any(args.html.rglob("*.html")):
            links, source = links_from_html(args.html), f"built HTML ({args.html})"
        else:
            links, source = links_from_sources(root), "sources (no built HTML)"
        jobs += [Result(kind="link", url=url, where=pages) for url, pages in links.items()]
    print(f"Checking {len(jobs)} URLs (book links from {source}), {args.timeout:g} s timeout",
          flush=True)
    start = time.monotonic()
    results = check_all(jobs, timeout=args.timeout)
    counts = summary(results)
    print(table(results))
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(
        {"links_from": source, "seconds": round(time.monotonic() - start, 1), **counts,
         "results": [asdict(r) | {"broken": r.broken} for r in results]}, indent=1) + "\n")
    print(f"{counts['ok']} OK, {counts['broken']} broken, {counts['skipped']} skipped, "
          f"{counts['no_size']} without a stated size; report: {args.report}")
    return 1 if counts["broken"] else 0


if __name__ == "__main__":
    sys.exit(main())
