"""The notebook lint (tools/lint_notebooks.py) on small notebooks written to tmp_path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tools.lint_notebooks import lint_notebook, names, stub

ROOT = Path(__file__).resolve().parents[1]
LONG_POST_LINE = "print('%s: %d' % ('a post line that the book quotes exactly as written', 1))" + (
    "  # " + "x" * 40
)


def write(tmp_path: Path, *cells: str | tuple[str, list[str]], name: str = "nb.ipynb") -> str:
    """A notebook: a markdown cell first, then one code cell per source (or (source, tags))."""
    title = {"cell_type": "markdown", "id": "md0", "metadata": {}, "source": ["# Title"]}
    items: list[dict[str, Any]] = [title]
    for i, cell in enumerate(cells, 1):
        text, tags = (cell, []) if isinstance(cell, str) else cell
        items.append({"cell_type": "code", "id": f"c{i}", "metadata": {"tags": tags},
                      "execution_count": None, "outputs": [],
                      "source": text.splitlines(keepends=True)})
    notebook = {"cells": items, "metadata": {"language_info": {"name": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / name
    path.write_text(json.dumps(notebook))
    return str(path)


def run(*paths: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tools.lint_notebooks", *paths]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def codes(problems: list[str]) -> list[str]:
    return [line.split(": ")[2].split()[0] for line in problems]


def test_clean_notebook_passes_with_exit_0(tmp_path):
    path = write(tmp_path, "import numpy as np\n\nx = np.zeros(3)\nx", "print(x.sum())\n")
    assert lint_notebook(path) == []
    result = run(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_81_character_line_fails_with_cell_index_and_id(tmp_path):
    ok, wide = "y = 1  # " + "a" * 71, "y = 1  # " + "a" * 72
    assert (len(ok), len(wide)) == (80, 81)
    path = write(tmp_path, ok, f"z = 2\n{wide}\n")
    problems = lint_notebook(path)
    assert problems == [f"{path}: cell 2 (id c2), line 2: E501 Line too long (81 > 80)"]
    result = run(path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == problems


def test_one_word_line_ruff_exempts_is_still_too_wide(tmp_path):
    opted_out = f"print('{'a ' * 40}')  # noqa: E501"  # ruff reports it, the noqa silences it
    path = write(tmp_path, opted_out, f"print('{'a' * 80}')")
    [problem] = lint_notebook(path)
    assert problem.startswith(f"{path}: cell 2 (id c2), line 1: E501 Line too long (89 > 80;")


def test_post_cells_are_skipped(tmp_path):
    post = (
        "class CNN(nn.Module):\n"
        "    def __init__(self):\n"
        "        super(CNN, self).__init__()\n"
        f"{LONG_POST_LINE}\n"
    )
    assert len(LONG_POST_LINE) == 120
    path = write(tmp_path, "from torch import nn", (post, ["post-verbatim"]),
                 (post, ["post-runnable", "nbval-ignore-output"]))
    assert lint_notebook(path) == []
    untagged = write(tmp_path, "from torch import nn", post, name="untagged.ipynb")
    assert {"E501", "UP008", "UP031"} <= set(codes(lint_notebook(untagged)))


def test_name_defined_in_skipped_cell_is_no_f821(tmp_path):
    post = "import numpy as np\ndef train(n):\n    global steps\n    steps = n\nnet = np.eye(2)\n"
    path = write(tmp_path, (post, ["post-runnable"]), "print(net, train(3), steps, np.pi)")
    assert lint_notebook(path) == []
    undefined = write(tmp_path, (post, ["post-runnable"]), "print(nett)", name="typo.ipynb")
    assert lint_notebook(undefined) == [
        f"{undefined}: cell 2 (id c2), line 1: F821 Undefined name `nett`"
    ]


def test_import_used_only_in_skipped_cell_is_no_f401(tmp_path):
    path = write(tmp_path, "import math\nimport os", ("print(math.pi % 1)", ["post-verbatim"]))
    assert codes(lint_notebook(path)) == ["F401"]  # `os`, used nowhere, is still reported
    assert "`os` imported but unused" in lint_notebook(path)[0]


def test_magics_and_shell_lines_parse(tmp_path):
    cells: list[str | tuple[str, list[str]]] = [
        "%timeit sum(range(10))\n!pip --version\nfiles = !ls\nprint(files)",
        "%%time\nx = 1\nprint(x)",
        ("%matplotlib inline\nvalue = 2\n!echo {value}", ["post-verbatim"]),
        "if value:\n    %time print(value)\n",
    ]
    assert lint_notebook(write(tmp_path, *cells)) == []


def test_stub_binds_defined_names_and_reads_used_ones():
    used, bound = names("import os.path as p\n[w := 1 for _ in range(2)]\nfor i in x: pass\n")
    assert {"range", "x"} <= used
    assert bound == {"p", "w", "i"}
    assert stub("print 'python 2'\n").endswith("= None")  # does not parse: every word binds


def test_remove_cell_cells_are_checked(tmp_path):
    path = write(tmp_path, ("assert undefined_thing == 1", ["remove-cell"]))
    assert codes(lint_notebook(path)) == ["F821"]


def test_invalid_json_and_syntax_errors_are_one_line_each(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    syntax = write(tmp_path, "def f(:\n    pass", "print(missing)", name="syntax.ipynb")
    clean = write(tmp_path, "x = 1", name="clean.ipynb")
    result = run(str(broken), syntax, clean)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"{broken}: not a readable notebook")
    assert lines[1].startswith(f"{syntax}: cell 1 (id c1), line 1: syntax error:")
    assert lines[2] == f"{syntax}: cell 2 (id c2), line 1: F821 Undefined name `missing`"


def test_a_cell_without_an_id_or_with_a_repeated_one_is_reported(tmp_path):
    path = write(tmp_path, "x = 1\n", "y = 2\n", "z = 3\n")
    notebook = json.loads(Path(path).read_text())
    del notebook["cells"][1]["id"]
    notebook["cells"][3]["id"] = "md0"
    Path(path).write_text(json.dumps(notebook))
    assert codes(lint_notebook(path)) == ["NB001", "NB002"]
