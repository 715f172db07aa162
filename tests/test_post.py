"""The blog post, quoted exactly: every fenced Python block of ``../shared/post/post.md`` appears
character for character in a book cell tagged ``post-verbatim``, and every line of a runnable copy
(tag ``post-runnable``) is either the post's own line or marked ``# added`` / ``# changed: why``.

The post lives beside the repository (it is not ours to commit). ``CNNBOOK_POST`` overrides its
path. Where it is absent the test skips, except when ``CNNBOOK_REQUIRE_POST=1`` (set by
``.ci/run``): in CI a missing post is a failure.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tools.toc import toc_notebooks

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
MARKED = re.compile(r"#\s*(added\b|changed: \S)")


def post_path() -> Path:
    return Path(os.environ.get("CNNBOOK_POST", ROOT.parent / "shared" / "post" / "post.md"))


@pytest.fixture(scope="module")
def post_blocks() -> list[str]:
    path = post_path()
    if not path.is_file():
        message = f"the post is not at {path} (set CNNBOOK_POST)"
        if os.environ.get("CNNBOOK_REQUIRE_POST") == "1":
            pytest.fail(message)
        pytest.skip(message)
    blocks = [normalise(b) for b in FENCE.findall(path.read_text(encoding="utf-8"))]
    assert len(blocks) == 7, "the post has 7 Python blocks: 1 TensorFlow, 3 Keras, 3 PyTorch"
    return blocks


def normalise(code: str) -> str:
    """Trailing whitespace is the only thing the comparison forgives."""
    return "\n".join(line.rstrip() for line in code.strip("\n").splitlines())


def tagged_cells(tag: str) -> list[tuple[str, int, str]]:
    """``(notebook, cell index, source)`` of every code cell tagged ``tag`` in the TOC."""
    found = []
    for path in toc_notebooks(ROOT):
        cells = json.loads((ROOT / path).read_text())["cells"]
        for index, cell in enumerate(cells):
            if cell["cell_type"] == "code" and tag in cell.get("metadata", {}).get("tags", []):
                found.append((str(path), index, "".join(cell["source"])))
    return found


def test_every_block_of_the_post_is_quoted_character_for_character(post_blocks):
    quoted = [normalise(source) for _, _, source in tagged_cells("post-verbatim")]
    missing = [block.splitlines()[0] for block in post_blocks if block not in quoted]
    assert not missing, f"post blocks with no identical post-verbatim cell: {missing}"


def test_every_verbatim_cell_is_a_block_of_the_post(post_blocks):
    strays = [(nb, i) for nb, i, source in tagged_cells("post-verbatim")
              if normalise(source) not in post_blocks]
    assert not strays, f"post-verbatim cells that are not the post's code: {strays}"


def test_runnable_copies_change_nothing_silently(post_blocks):
    post_lines = {line for block in post_blocks for line in block.splitlines()}
    cells = tagged_cells("post-runnable")
    assert len({nb for nb, _, _ in cells}) == 3, "one runnable copy per example (TF, Keras, torch)"
    for notebook, index, source in cells:
        for line in source.splitlines():
            if line.strip() and not MARKED.search(line):
                assert line.rstrip() in post_lines, (
                    f"{notebook} cell {index}: {line!r} is not the post's line; "
                    "mark it `# added` or `# changed: why`")


def test_verbatim_cells_that_cannot_run_are_not_executed():
    """A verbatim cell either runs, or carries both skip tags and has no outputs."""
    for path in toc_notebooks(ROOT):
        for index, cell in enumerate(json.loads((ROOT / path).read_text())["cells"]):
            tags = set(cell.get("metadata", {}).get("tags", []))
            if "post-verbatim" in tags and "skip-execution" in tags:
                assert "nbval-skip" in tags, f"{path} cell {index}: add nbval-skip"
                assert not cell["outputs"], f"{path} cell {index}: stored outputs"
