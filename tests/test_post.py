"""The blog post, quoted exactly: every fenced Python block of ``../shared/post/post.md`` appears
character for character in a book cell tagged ``post-verbatim``, and every line of a runnable copy
(tag ``post-runnable``) is either the post's own line or marked ``# added`` / ``# changed: why``.

The post's text is not ours to commit; its fingerprints are: ``tests/post_hashes.json`` holds the
SHA-256 of each block and of each line, so the comparison runs everywhere, with or without the
post. Where the post itself is present (``../shared/post/post.md`` beside the repository, or
``CNNBOOK_POST``), the fingerprints are also checked against it. Where it is absent the post's own
test skips, except when ``CNNBOOK_REQUIRE_POST=1`` (``.ci/run`` sets it unless told otherwise;
GitHub's workflow, whose clone has no post beside it, sets it to 0).
To refresh the fingerprints after the post changes: ``python -m tests.test_post``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pytest

from tools import toc

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
MARKED = re.compile(r"#\s*(added\b|changed: \S)")
HASHES = Path(__file__).with_name("post_hashes.json")


def post_path() -> Path:
    return Path(os.environ.get("CNNBOOK_POST", ROOT.parent / "shared" / "post" / "post.md"))


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprints(text: str) -> dict[str, list[str]]:
    """The SHA-256 of each normalised block of the post, in order, and of each distinct line."""
    blocks = [normalise(b) for b in FENCE.findall(text)]
    lines = sorted({sha(line) for block in blocks for line in block.splitlines() if line.strip()})
    return {"blocks": [sha(b) for b in blocks], "lines": lines}


@pytest.fixture(scope="module")
def committed() -> dict[str, list[str]]:
    data = json.loads(HASHES.read_text())
    assert len(data["blocks"]) == 7, "the post's 7 Python blocks: 1 TensorFlow, 3 Keras, 3 PyTorch"
    return data


@pytest.fixture(scope="module")
def post_text() -> str:
    path = post_path()
    if not path.is_file():
        message = f"the post is not at {path} (set CNNBOOK_POST)"
        if os.environ.get("CNNBOOK_REQUIRE_POST") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path.read_text(encoding="utf-8")


def normalise(code: str) -> str:
    """Trailing whitespace is the only thing the comparison forgives."""
    return "\n".join(line.rstrip() for line in code.strip("\n").splitlines())


def tagged_cells(tag: str) -> list[tuple[str, int, str]]:
    """``(notebook, cell index, source)`` of every code cell tagged ``tag`` in the TOC."""
    return [(str(path), index, toc.source(cell)) for path, index, cell in toc.toc_cells(ROOT)
            if cell["cell_type"] == "code" and tag in toc.tags(cell)]


def test_the_committed_fingerprints_are_the_posts(post_text, committed):
    assert fingerprints(post_text) == committed, (
        "the post changed: check the book's quotes, then run `python -m tests.test_post`")


def test_every_block_of_the_post_is_quoted_character_for_character(committed):
    quoted = {sha(normalise(source)) for _, _, source in tagged_cells("post-verbatim")}
    missing = [i for i, block in enumerate(committed["blocks"]) if block not in quoted]
    assert not missing, f"post blocks (by index) with no identical post-verbatim cell: {missing}"


def test_every_verbatim_cell_is_a_block_of_the_post(committed):
    strays = [(nb, i) for nb, i, source in tagged_cells("post-verbatim")
              if sha(normalise(source)) not in committed["blocks"]]
    assert not strays, f"post-verbatim cells that are not the post's code: {strays}"


def test_runnable_copies_change_nothing_silently(committed):
    post_lines = set(committed["lines"])
    cells = tagged_cells("post-runnable")
    assert len({nb for nb, _, _ in cells}) == 3, "one runnable copy per example (TF, Keras, torch)"
    for notebook, index, source in cells:
        for line in source.splitlines():
            if line.strip() and not MARKED.search(line):
                assert sha(line.rstrip()) in post_lines, (
                    f"{notebook} cell {index}: {line!r} is not the post's line; "
                    "mark it `# added` or `# changed: why`")


def test_verbatim_cells_that_cannot_run_are_not_executed():
    """A verbatim cell either runs, or carries both skip tags and has no outputs."""
    for path, index, cell in toc.toc_cells(ROOT):
        if {"post-verbatim", "skip-execution"} <= toc.tags(cell):
            assert "nbval-skip" in toc.tags(cell), f"{path} cell {index}: add nbval-skip"
            assert not cell["outputs"], f"{path} cell {index}: stored outputs"


def test_github_turns_the_post_requirement_off_and_ci_keeps_it_on():
    import yaml

    run = (ROOT / ".ci" / "run").read_text()
    assert 'export CNNBOOK_REQUIRE_POST="${CNNBOOK_REQUIRE_POST:-1}"' in run
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    step = next(s for s in workflow["jobs"]["test"]["steps"] if s.get("run") == "bash .ci/run")
    assert step["env"]["CNNBOOK_REQUIRE_POST"] == "0"


if __name__ == "__main__":
    HASHES.write_text(json.dumps(fingerprints(post_path().read_text(encoding="utf-8")),
                                 indent=1) + "\n")
    print(f"wrote {HASHES}")
