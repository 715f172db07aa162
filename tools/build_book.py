"""Build the book executing every chapter, even after one fails, and end with one summary.

    python -m tools.build_book --profile full     # what `make book` runs

First the build step of ``tools/artefacts.py`` finds or builds what pages need (trained weights)
in ``_build/artefacts/`` and installs it where the pages read it, and the execution cache forgets a
page that described another artefact; the chapters then load those artefacts
(``CNNBOOK_ARTEFACTS_DIR``) instead of training them.

Jupyter Book stops at the first notebook that raises when ``nb_execution_raise_on_error`` is on,
so one failing chapter used to hide every chapter after it. Here that setting is off: each failure
becomes a warning, the build goes on (``-W --keep-going``) and builds the pages of the chapters that
passed, and Sphinx still exits non-zero at the end. Then this script reads the execution cache
(jupyter-cache) and prints one summary: each chapter's execution time or failure, the failing cell's
last traceback line (for a hidden check, the ``AssertionError`` message), and a report path.

Written under ``<root>/_build/``:

- ``reports/<chapter>.log``: the traceback of each chapter that failed;
- ``reports/execution.json``: per chapter, ``"passed"``/``"failed"`` and seconds of execution, and
  per artefact its key, whether this build made it and how long that took;
- ``artefacts/<recipe>/<key>/``: each artefact, with its manifest (tools/artefacts.py);
- ``reports/edition.json``: the edition card, also written into the first page (tools/edition.py);
- the failed chapter's page carries a banner that says its outputs are not this build's.

Exit status: 0 when the build and every chapter passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from cnnbook.artefacts import Recipe
from tools import artefacts, edition
from tools.book_config import derived_config
from tools.toc import toc_pages

ROOT = Path(__file__).resolve().parents[1]
JB_FLAGS = ["-W", "-n", "--keep-going"]
BANNER = (
    '<div class="admonition danger" role="alert"><p class="admonition-title">This chapter failed '
    "to execute in this build</p><p>The outputs below are the ones stored in the repository, not "
    "this build's. The build's report: <code>{report}</code>.</p></div>"
)


@dataclass
class Chapter:
    """One executed notebook: its path relative to the book's root, and how it went."""

    path: str
    passed: bool
    seconds: float | None
    message: str = ""
    report: str = ""


def chapter_name(path: str) -> str:
    return path.removesuffix(".ipynb").replace("/", "__")


def last_error_line(traceback: str) -> str:
    """The exception line of a traceback (``AssertionError: ...``), ANSI colours removed."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", traceback)
    lines = [line.strip() for line in plain.splitlines() if line.strip()]
    for line in reversed(lines):
        if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt)\b", line):
            return line
    return lines[-1] if lines else "(no traceback)"


def executed_chapters(cache_dir: Path, root: Path, reports: Path) -> list[Chapter]:
    """What the execution cache says about every notebook of the book, in its own order."""
    from jupyter_cache import get_cache

    cache = get_cache(str(cache_dir))
    chapters = []
    for record in cache.list_project_records():
        path = str(Path(record.uri).resolve().relative_to(root.resolve()))
        if record.traceback:
            report = reports / f"{chapter_name(path)}.log"
            report.write_text(record.traceback)
            chapters.append(Chapter(path, False, None, last_error_line(record.traceback),
                                    str(report)))
            continue
        cached = cache.get_cached_project_nb(record.uri)
        seconds = cached.data.get("execution_seconds") if cached is not None else None
        chapters.append(Chapter(path, cached is not None, seconds,
                                "" if cached is not None else "not executed"))
    order = {f"{page}.ipynb": i for i, page in enumerate(toc_pages(root))}
    return sorted(chapters, key=lambda c: (order.get(c.path, len(order)), c.path))


def mark_failed_pages(html: Path, chapters: list[Chapter]) -> None:
    """Put a banner on the page of each failed chapter, above its stale stored outputs."""
    for chapter in chapters:
        page = html / Path(chapter.path).with_suffix(".html")
        if chapter.passed or not page.exists():
            continue
        text = page.read_text(encoding="utf-8")
        marker = '<article class="bd-article">'
        if marker in text:
            banner = BANNER.format(report=chapter.report)
            page.write_text(text.replace(marker, marker + banner, 1), encoding="utf-8")


def summary(chapters: list[Chapter], build_code: int, seconds: float,
            artefact_failures: Sequence[str] = ()) -> list[str]:
    failed = [c for c in chapters if not c.passed]
    lines = [f"== book build: {len(chapters) - len(failed)} of {len(chapters)} chapters passed, "
             f"{seconds:.0f} s in all (Sphinx exit {build_code})"]
    for chapter in chapters:
        when = f"{chapter.seconds:7.1f} s" if chapter.seconds is not None else "        "
        lines.append(f"   {'ok  ' if chapter.passed else 'FAIL'} {when}  {chapter.path}")
    for chapter in failed:
        lines.append(f"== FAILED {chapter.path}: {chapter.message}")
        if chapter.report:
            lines.append(f"   report: {chapter.report}")
    lines.extend(artefact_failures)
    if build_code and not failed:
        lines.append("== the build failed outside notebook execution: see Sphinx's warnings above")
    return lines


def build(root: Path, profile: str, recipes: Sequence[Recipe] | None = None) -> int:
    """Build ``root``'s book into ``root/_build/html``; print the summary; 0 only if all passed.

    ``recipes``: the artefacts to build first (default: ``cnnbook.artefacts.RECIPES``).
    """
    build_dir = root / "_build"
    reports = build_dir / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    for old in reports.glob("*.log"):
        old.unlink()
    config = derived_config("cache", profile, root=root)
    config.setdefault("sphinx", {}).setdefault("config", {})["nb_execution_raise_on_error"] = False
    config_path = build_dir / f"_config.book.{profile}.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    start = time.perf_counter()
    built, artefact_failures = artefacts.build(root, profile, recipes)
    artefacts.stale_pages(root, Path(config["execute"]["cache"]), built, recipes)
    env = {**os.environ, "CNNBOOK_PROFILE": profile,
           "CNNBOOK_ARTEFACTS_DIR": str(artefacts.store(root))}
    jb = Path(sys.executable).with_name("jupyter-book")
    code = subprocess.run([str(jb), "build", *JB_FLAGS, "--config", str(config_path),
                           str(root)], env=env).returncode
    seconds = time.perf_counter() - start
    chapters = executed_chapters(Path(config["execute"]["cache"]), root, reports)
    mark_failed_pages(build_dir / "html", chapters)
    (reports / "execution.json").write_text(json.dumps(
        {"profile": profile, "seconds": round(seconds, 1), "sphinx_exit": code,
         "chapters": [{"path": c.path, "passed": c.passed, "seconds": c.seconds,
                       "message": c.message} for c in chapters],
         "artefacts": [{"name": name, "key": done.key, "built_now": done.fresh,
                        "seconds": done.manifest["seconds"]} for name, done in built.items()]},
        indent=1) + "\n")
    page = edition.root_page(build_dir / "html", root)
    if page.exists():
        executed = sum(c.seconds or 0.0 for c in chapters)
        failed = sum(not c.passed for c in chapters)
        edition.insert(build_dir / "html", root,
                       edition.executed_card(root, profile, executed, len(chapters), failed))
    print("\n".join(summary(chapters, code, seconds, artefact_failures)), flush=True)
    passed = code == 0 and all(c.passed for c in chapters) and not artefact_failures
    return 0 if passed else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="full", choices=["quick", "full"])
    parser.add_argument("--root", type=Path, default=ROOT, help="the book's root folder")
    args = parser.parse_args(argv)
    return build(args.root.resolve(), args.profile)


if __name__ == "__main__":
    sys.exit(main())
