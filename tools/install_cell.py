"""(Re)write each chapter's install cell: cnnbook from the book's repository, where it is missing.

    python -m tools.install_cell                        # every notebook in _toc.yml
    python -m tools.install_cell book/data.ipynb ...    # only these

A reader who opens a chapter on Colab or Binder, or in a fresh Jupyter, runs its first code cell,
which installs ``cnnbook`` with the extras the chapter imports (``torch``, ``tf``) plus the
other packages it imports that cnnbook does not bring (``myst-nb``, ``scikit-image`` ...), from
``git+<repository.url>@<repository.branch>`` of ``_config.yml``: the one place the repository is
named, and never the package index, where the name cnnbook is not this project's. Where cnnbook
is importable (``make book``, nbval, the GPU runner, Binder) the cell does nothing and prints
nothing, so it stores no output. On Colab it also says how to attach a GPU when none is.

The cell is found by its tag (``install-cnnbook``) and its source rewritten in place (its id,
execution count and metadata stay); a notebook without one gets it just before its first code
cell. Running the tool twice changes nothing. Notebooks are written as ``json.dump(nb,
indent=1, ensure_ascii=False)`` plus a newline, which round-trips the book's files byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from tools.toc import toc_notebooks

ROOT = Path(__file__).resolve().parents[1]
TAG = "install-cnnbook"
TAGS = [TAG, "hide-input"]
IMPORT = re.compile(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", re.MULTILINE)
EXTRAS = {"torch": "torch", "safetensors": "torch", "tensorflow": "tf", "keras": "tf"}
CORE = {"cnnbook", "numpy", "matplotlib", "pooch", "tqdm", "PIL"}  # cnnbook's own dependencies
# Modules chapters import that cnnbook's core and extras do not install, by their pip name.
PIP_NAMES = {"myst_nb": "myst-nb", "skimage": "scikit-image", "sklearn": "scikit-learn",
             "scipy": "scipy", "IPython": "ipython"}
GPU_HINT = [  # printed on Colab when no GPU is attached (wrapped for 80 columns)
    '    print("No GPU attached: this chapter runs on the CPU, more slowly. "',
    '          "For a GPU: Runtime > Change runtime type > T4 GPU, then run "',
    '          "the notebook again.")',
]


def repository(root: Path = ROOT) -> tuple[str, str]:
    """``(url, branch)`` of ``repository:`` in ``_config.yml``."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    repo = config.get("repository") or {}
    if not repo.get("url") or not repo.get("branch"):
        raise ValueError(f"{root / '_config.yml'}: repository.url and repository.branch are needed")
    return str(repo["url"]).rstrip("/"), str(repo["branch"])


def source(cell: dict[str, Any]) -> str:
    text = cell.get("source", "")
    return text if isinstance(text, str) else "".join(text)


def is_install_cell(cell: dict[str, Any]) -> bool:
    return TAG in cell.get("metadata", {}).get("tags", [])


def needs(nb: dict[str, Any]) -> tuple[list[str], list[str]]:
    """``(extras, packages)`` the notebook imports: cnnbook extras, and other pip packages."""
    code = "\n".join(source(c) for c in nb["cells"]
                     if c["cell_type"] == "code" and not is_install_cell(c))
    declared = nb["metadata"].get("cnnbook", {}).get("requires", [])
    modules = set(IMPORT.findall(code)) | set(declared)
    modules -= set(sys.stdlib_module_names) | CORE
    extras = sorted({EXTRAS[m] for m in modules if m in EXTRAS})
    unknown = sorted(m for m in modules if m not in EXTRAS and m not in PIP_NAMES)
    if unknown:
        raise ValueError(f"no pip name for {', '.join(unknown)}: add it to PIP_NAMES in {__name__}")
    return extras, sorted(PIP_NAMES[m] for m in modules if m in PIP_NAMES)


def cell_source(extras: list[str], packages: list[str], url: str, branch: str,
                gpu_hint: bool) -> str:
    """The install cell's code, at most 80 columns wide."""
    requirement = f"cnnbook[{','.join(extras)}] @ {{REPO}}" if extras else "cnnbook @ {REPO}"
    lines = [
        "# Colab, Binder or a fresh Jupyter: install cnnbook from the book's",
        "# repository, with what this chapter needs. Where cnnbook is installed",
        "# already (as when the book is built), this cell does nothing.",
        "import importlib",
        "import importlib.util",
        *(["import shutil"] if gpu_hint else []),
        "import subprocess",
        "import sys",
        "",
        f'REPO = "git+{url}@{branch}"',
        'if importlib.util.find_spec("cnnbook") is None:',
        "    packages = [",
        f'        f"{requirement}",',
        *(f'        "{package}",' for package in packages),
        "    ]",
        '    pip = [sys.executable, "-m", "pip", "install", "--quiet"]',
        "    subprocess.run([*pip, *packages], check=True)",
        "    importlib.invalidate_caches()",
    ]
    if gpu_hint:
        lines += ['if "google.colab" in sys.modules and shutil.which("nvidia-smi") is None:',
                  *GPU_HINT]
    return "\n".join(lines)


def install_cell(nb: dict[str, Any], path: Path, root: Path = ROOT) -> dict[str, Any]:
    """The install cell for ``nb`` (with an id derived from the notebook's file name)."""
    url, branch = repository(root)
    extras, packages = needs(nb)
    text = cell_source(extras, packages, url, branch, gpu_hint=bool(extras))
    return {"cell_type": "code", "execution_count": None,
            "id": hashlib.sha256(f"{path.name}:{TAG}".encode()).hexdigest()[:8],
            "metadata": {"tags": list(TAGS)}, "outputs": [],
            "source": text.splitlines(keepends=True)}


def update(path: Path, root: Path = ROOT) -> bool:
    """Write or refresh the install cell of the notebook at ``path``; True when it changed."""
    raw = path.read_text()
    nb = json.loads(raw)
    cell = install_cell(nb, path, root)
    cells = nb["cells"]
    found = [i for i, c in enumerate(cells) if is_install_cell(c)]
    if len(found) > 1:
        raise ValueError(f"{path}: {len(found)} cells tagged {TAG}; keep one")
    if found:  # in place: its id, execution count and other metadata stay
        old = cells[found[0]]
        old["source"], old["outputs"] = cell["source"], []
        tags = old.setdefault("metadata", {}).setdefault("tags", [])
        tags += [tag for tag in TAGS if tag not in tags]
    else:
        first = next((i for i, c in enumerate(cells) if c["cell_type"] == "code"), len(cells))
        if any(c.get("id") == cell["id"] for c in cells):
            raise ValueError(f"{path}: a cell already has the id {cell['id']}")
        cells.insert(first, cell)
    text = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    if text == raw:
        return False
    path.write_text(text)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to update (default: every notebook in _toc.yml)")
    args = parser.parse_args(argv)
    paths = args.notebooks or [ROOT / p for p in toc_notebooks()]
    for path in paths:
        try:
            changed = update(path)
        except (OSError, ValueError, KeyError) as err:
            print(f"install_cell: {path}: {err}", file=sys.stderr)
            return 1
        print(f"{path}: {'updated' if changed else 'unchanged'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
