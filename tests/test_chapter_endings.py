"""Every chapter ends as a learner's chapter should: a summary of what the reader can now do and
a "Next" that links to the following page of the table of contents, saying why (issue "a
learner's book"). Chapters with exercises have at least three; the chapters still without any
are listed here, so that the list can only shrink."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tools.toc import source, toc_pages

ROOT = Path(__file__).resolve().parents[1]
PAGES = toc_pages(ROOT)  # "book/intro", "book/convolution", ...
CHAPTERS = [p for p in PAGES if p not in ("book/intro", "book/appendix_data")]
NEXT = re.compile(r"^\*\*Next:\*\* \[[^\]]+\]\(([a-z_]+)\.(?:ipynb|md)\)\S* \S", re.MULTILINE)
# Issue "a learner's book", item 2 (exercises with checkers) is not done for these yet.
NO_EXERCISES_YET: set[str] = set()


def _markdown(page: str) -> str:
    path = ROOT / f"{page}.ipynb"
    cells = json.loads(path.read_text())["cells"]
    return "\n\n".join(source(c) for c in cells if c["cell_type"] == "markdown")


@pytest.mark.parametrize("page", CHAPTERS, ids=[p.split("/")[1] for p in CHAPTERS])
def test_every_chapter_ends_with_a_summary_and_the_way_on(page):
    text = _markdown(page)
    headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
    assert "Summary" in headings, f"{page}: no '## Summary'"
    summary = text[text.rindex("## Summary"):]
    bullets = re.findall(r"^- ", summary, re.MULTILINE)
    assert 3 <= len(bullets) <= 8, f"{page}: {len(bullets)} summary bullets"
    links = NEXT.findall(summary)
    assert len(links) == 1, f"{page}: expected one '**Next:** [title](page.ipynb) why' line"
    following = PAGES[PAGES.index(page) + 1]
    assert f"book/{links[0]}" == following, (
        f"{page}: Next goes to {links[0]}, the TOC to {following}")


@pytest.mark.parametrize("page", CHAPTERS, ids=[p.split("/")[1] for p in CHAPTERS])
def test_exercises_come_before_the_summary_and_number_at_least_three(page):
    text = _markdown(page)
    name = page.split("/")[1]
    if "## Exercises" not in text:
        assert name in NO_EXERCISES_YET, f"{page}: no '## Exercises'"
        return
    assert name not in NO_EXERCISES_YET, f"{name} has exercises now: take it off the list"
    exercises = text[text.index("## Exercises"):text.rindex("## Summary")]
    assert len(re.findall(r"^\d+\. ", exercises, re.MULTILINE)) >= 3, page
