"""The edition card on the book's first page: which build made the pages a reader sees.

    python -m tools.edition --stored      # `make test`'s strict build, which executes nothing

`make book` (tools/build_book.py) writes the card of an executed build after Sphinx has finished:
the profile, the date, the commit, each dataset's source (the canonical files downloaded into the
cache, or a local folder) with the counts read from it, the CPU or GPU and core count, and the total
execution time. `make test` builds the pages from the outputs stored in the repository, which nbval
has just verified, so its card names the stored profile and the commit, and says that this build
executed nothing.

The card replaces the placeholder ``<div id="edition-card"></div>`` of the root page (intro.md), and
is also written to ``_build/reports/edition.json``. A root page without the placeholder is an error.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import platform
import re
import sys
import time
from pathlib import Path
from typing import Any

from cnnbook.config import DATA_DIR_VAR
from tools.toc import ROOT, git, toc_cells, toc_pages

PLACEHOLDER = '<div id="edition-card"></div>'
SOURCES = {"offline": f"a local folder (${DATA_DIR_VAR})",
           "cache": "the canonical files, downloaded and checked by SHA-256",
           "download": "not read by this build"}
_PROFILE_LINE = re.compile(r"^profile: (quick|full)\b", re.MULTILINE)


def commit(root: Path) -> str:
    """``git describe``-style short commit of ``root``, ``+changes`` when the tree is dirty."""
    def ask(*args: str) -> str:
        done = git(*args, root=root)
        return done.stdout.strip() if done.returncode == 0 else ""

    head = ask("rev-parse", "--short=10", "HEAD")
    if not head:
        return "not a git checkout"
    return head + (" + uncommitted changes" if ask("status", "--porcelain", "--untracked-files=no")
                   else "")


def hardware() -> str:
    """``"2 CPU cores (x86_64)"``, plus the GPU when torch sees one."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    text = f"{cores} CPU cores ({platform.machine() or 'unknown'})"
    try:
        import torch
    except ImportError:
        return text
    if torch.cuda.is_available():
        return f"{text}, GPU: {torch.cuda.get_device_name(0)}"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return f"{text}, GPU: Apple MPS"
    return text


def datasets() -> list[dict[str, Any]]:
    """Each registered dataset: where it is read from and its train/test counts.

    Reads what is already there (the local folder or the cache) and downloads nothing: a dataset
    that no chapter fetched is reported as not read.
    """
    from cnnbook.datasets import locate
    from cnnbook.datasets.loaders import read_available
    from cnnbook.datasets.registry import REGISTRY

    rows = []
    for name in REGISTRY:
        where = locate(name)
        row: dict[str, Any] = {"name": name, "kind": where.kind, "source": SOURCES[where.kind]}
        if where.kind != "download":
            (x_train, _), (x_test, _) = read_available(name)
            row |= {"train": len(x_train), "test": len(x_test)}
        rows.append(row)
    return rows


def stored_profiles(root: Path) -> list[str]:
    """The profiles named by the ``profile: ...`` lines in the notebooks' stored outputs."""
    found = set()
    for _, _, cell in toc_cells(root):
        for output in cell.get("outputs", []):
            text = output.get("text", "")
            found.update(_PROFILE_LINE.findall(text if isinstance(text, str) else "".join(text)))
    return sorted(found)


def executed_card(root: Path, profile: str, seconds: float, chapters: int,
                  failed: int = 0) -> dict[str, Any]:
    """The card of a build that executed its ``chapters`` (``failed`` of them raised)."""
    return {"executed": True, "profile": profile, "date": time.strftime("%Y-%m-%d %H:%M %Z"),
            "commit": commit(root), "datasets": datasets(), "hardware": hardware(),
            "execution_seconds": round(seconds), "chapters": chapters, "failed": failed}


def stored_card(root: Path) -> dict[str, Any]:
    """The card of a build from the outputs stored in the repository (it executes nothing)."""
    return {"executed": False, "profile": " and ".join(stored_profiles(root)) or "unknown",
            "date": time.strftime("%Y-%m-%d %H:%M %Z"), "commit": commit(root)}




def render(card: dict[str, Any]) -> str:
    """The card as an HTML admonition (every value escaped)."""
    esc = html.escape
    items = [f"<li><strong>Profile:</strong> {esc(card['profile'])}</li>",
             f"<li><strong>Commit:</strong> <code>{esc(card['commit'])}</code></li>",
             f"<li><strong>Built:</strong> {esc(card['date'])}</li>"]
    if card["executed"]:
        for row in card["datasets"]:
            counts = (f": {row['train']:,} training and {row['test']:,} test images"
                      if "train" in row else "")
            items.append(f"<li><strong>{esc(row['name'])}</strong> from {esc(row['source'])}"
                         f"{counts}</li>")
        minutes = card["execution_seconds"] / 60
        items += [f"<li><strong>Machine:</strong> {esc(card['hardware'])}</li>",
                  f"<li><strong>Execution:</strong> {card['chapters']} chapters in "
                  f"{minutes:.0f} min</li>"]
        note = "Every output on these pages comes from executing its chapter at this commit."
        if card["failed"]:
            note = (f"{card['failed']} of {card['chapters']} chapters failed to execute in this "
                    "build: their pages say so and show the outputs stored in the repository. "
                    "Every other output comes from executing its chapter at this commit.")
    else:
        note = ("This build executed nothing: the pages show the outputs stored in the "
                "repository at this commit, which the test run checked by executing every chapter "
                "again (nbval).")
    return ('<div class="admonition note" id="edition-card"><p class="admonition-title">'
            f"This edition</p><p>{note}</p><ul>{''.join(items)}</ul></div>")


_CARD = re.compile(r'<div class="admonition note" id="edition-card">.*?</ul></div>', re.DOTALL)


def root_page(html_dir: Path, root: Path) -> Path:
    return html_dir / f"{toc_pages(root)[0]}.html"


def insert(html_dir: Path, root: Path, card: dict[str, Any]) -> Path:
    """Replace the root page's placeholder, or the card an earlier build wrote into a page that
    Sphinx did not write again (nothing changed), with ``card``; write
    ``_build/reports/edition.json``."""
    page = root_page(html_dir, root)
    text = page.read_text(encoding="utf-8")
    if PLACEHOLDER in text:
        text = text.replace(PLACEHOLDER, render(card), 1)
    elif _CARD.search(text):
        text = _CARD.sub(lambda _: render(card), text, count=1)
    else:
        raise SystemExit(f"{page}: no {PLACEHOLDER} to replace with the edition card")
    page.write_text(text, encoding="utf-8")
    reports = root / "_build" / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "edition.json").write_text(json.dumps(card, indent=1) + "\n")
    return page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", action="store_true", required=True,
                        help="the card of a build from stored outputs (make test)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the book's root folder")
    args = parser.parse_args(argv)
    page = insert(args.root / "_build" / "html", args.root, stored_card(args.root))
    print(f"edition card (stored outputs) written into {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
