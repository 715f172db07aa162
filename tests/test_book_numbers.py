"""No run-dependent number is written by hand in the book's prose.

A percentage, a duration or a speed ratio in a Markdown cell depends on a run, so it must come from
the run: a myst-nb ``{glue:text}`` role or printed output. This test flags digits followed by
``%``, a time unit, or ``×``/``x`` used as a ratio ("3× faster"), outside glue roles, inline code
and math. Sizes such as ``28×28`` or ``3 x 3`` are not ratios and pass. Deterministic facts that
match anyway are listed in ``ALLOWED`` with the reason, per page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tools.toc import toc_pages

ROOT = Path(__file__).resolve().parents[1]

NUMBER = r"\d[\d,]*(?:\.\d+)?"
RUN_DEPENDENT = re.compile(
    rf"{NUMBER}\s?%"  # percentages: accuracies, shares
    rf"|{NUMBER}\s?(?:s|ms|sec|seconds?|minutes?|min|h|hours?)\b"  # durations
    rf"|{NUMBER}\s?[×x](?!\s?\d)"  # ratios: "3×", "2x faster" (not "28×28", "3 x 3")
)
# Removed before matching: glue roles, inline code, math, link targets, HTML comments.
IGNORED = re.compile(r"\{glue:?[a-z]*\}`[^`]*`|`[^`]*`|\$\$.*?\$\$|\$[^$\n]*\$|\]\([^)]*\)"
                     r"|<!--.*?-->", re.DOTALL)

# page -> {matched text: why it is a deterministic fact}
ALLOWED: dict[str, dict[str, str]] = {}


def markdown(page: str) -> list[tuple[str, str]]:
    """``(where, text)`` of each Markdown cell of a notebook page, or of a Markdown page."""
    notebook, md = ROOT / f"{page}.ipynb", ROOT / f"{page}.md"
    if notebook.exists():
        cells = json.loads(notebook.read_text())["cells"]
        return [(f"cell {i}", "".join(c["source"])) for i, c in enumerate(cells)
                if c["cell_type"] == "markdown"]
    return [("page", md.read_text())]


def flagged(text: str) -> list[str]:
    return [m.group(0).strip() for m in RUN_DEPENDENT.finditer(IGNORED.sub(" ", text))]


@pytest.mark.parametrize("page", toc_pages(ROOT))
def test_no_hand_written_run_dependent_numbers(page):
    allowed = ALLOWED.get(page, {})
    found = [(where, hit) for where, text in markdown(page) for hit in flagged(text)
             if hit not in allowed]
    assert not found, f"{page}: compute these with glue or print them: {found}"


@pytest.mark.parametrize(("text", "hits"), [
    ("reaches 97.5 % on the test set", ["97.5 %"]),
    ("an epoch takes 12 s on this machine", ["12 s"]),
    ("it is 3× faster, or 2x faster", ["3×", "2x"]),
    ("a 28×28 image, a 3 x 3 kernel, 0x0803, 5 steps, 10 classes", []),
    ("glued: {glue:text}`acc:.1%` and `x = 50 %` and $p = 50\\%$", []),
])
def test_the_pattern_itself(text, hits):
    assert flagged(text) == hits


@pytest.mark.parametrize("page", [p for p in toc_pages(ROOT) if (ROOT / f"{p}.ipynb").exists()])
def test_glued_numbers_are_plain_python_values(page):
    """myst-nb formats ``{glue:text}`key:.1%``` by parsing the stored text as a number; a NumPy
    scalar's repr (``np.float64(0.5)``) fails that, and the strict build stops. Glue floats."""
    for index, cell in enumerate(json.loads((ROOT / f"{page}.ipynb").read_text())["cells"]):
        for output in cell.get("outputs", []):
            if "scrapbook" in output.get("metadata", {}):
                text = "".join(next((v for k, v in output["data"].items()
                                     if k.endswith("text/plain")), ""))
                assert not text.startswith(("np.", "array(")), (
                    f"{page} cell {index}: glue {output['metadata']['scrapbook']['name']!r} "
                    f"stores {text[:40]!r}; pass float(...) or int(...)")
