"""Build what the book's pages need before the chapters run: `python -m tools.artefacts`.

    python -m tools.artefacts --profile quick   # make test, before nbval executes the chapters
    # make book: tools/build_book.py calls build() and stale_pages() before Jupyter Book

For each recipe of ``cnnbook.artefacts.RECIPES`` (the draw-a-digit page's trained weights, for
now), in the profile given and ``CNNBOOK_SEED``'s seed: find it in ``<root>/_build/artefacts/``
under its key, or build it there; then install its files where the pages read them
(``book/_static/models/``), so that Sphinx ships them even when the execution cache serves the
page without running it. The chapters find the same store through ``CNNBOOK_ARTEFACTS_DIR`` and
load the artefact instead of training it again.

A page that uses an artefact prints the ``sha256`` its manifest records. :func:`stale_pages`
removes from the execution cache a page whose cached outputs do not print the ``sha256`` of the
artefact the build now ships (after a change to the package, the data or a recipe) and touches
the page's file, so that Sphinx reads it again and it executes again, describing the model it
serves.

Exit status: 0 when every recipe was found or built, 1 otherwise (each failure on one line).
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Iterable, Mapping
from pathlib import Path

from cnnbook import artefacts, get_profile, get_seed
from cnnbook.artefacts import Built, Recipe

ROOT = Path(__file__).resolve().parents[1]


def store(root: Path) -> Path:
    """``<root>/_build/artefacts``: the build's store (``CNNBOOK_ARTEFACTS_DIR`` for chapters)."""
    return root / "_build" / "artefacts"


def build(root: Path, profile: str, recipes: Iterable[Recipe] | None = None,
          ) -> tuple[dict[str, Built], list[str]]:
    """Find or build each recipe in ``root``'s store and install its files under ``root``.

    Returns:
        The artefacts by recipe name, and one line per recipe that failed (its error).
    """
    built: dict[str, Built] = {}
    failures = []
    seed = get_seed()
    for recipe in (recipes if recipes is not None else artefacts.RECIPES.values()):
        print(f"== artefact {recipe.name} ({profile} profile, seed {seed})", flush=True)
        try:
            done = artefacts.ensure(recipe, profile=get_profile(profile), seed=seed,
                                    store=store(root))
            installed = artefacts.install(done, root / recipe.install)
        except Exception as err:  # every recipe is tried; the build reports each failure
            traceback.print_exc()
            failures.append(f"== FAILED artefact {recipe.name}: {type(err).__name__}: {err}")
            print(failures[-1], flush=True)
            continue
        built[recipe.name] = done
        where = ", ".join(str(path.relative_to(root)) for path in installed)
        print(f"   {done.describe()}; sha256 {done.sha256[:16]}; installed {where}", flush=True)
    return built, failures


def _outputs_text(notebook: Mapping) -> str:
    return "".join(json.dumps(cell.get("outputs", [])) for cell in notebook.get("cells", []))


def stale_pages(root: Path, cache_dir: Path, built: Mapping[str, Built],
                recipes: Iterable[Recipe] | None = None) -> list[str]:
    """Remove from the execution cache ``cache_dir`` every page of a recipe whose cached outputs
    do not show the ``sha256`` of the artefact just built; return those pages."""
    import nbformat
    from jupyter_cache import get_cache

    if not cache_dir.exists():
        return []
    cache = get_cache(str(cache_dir))
    stale = []
    for recipe in (recipes if recipes is not None else artefacts.RECIPES.values()):
        if recipe.name not in built:
            continue
        for page in recipe.pages:
            try:
                record = cache.match_cache_notebook(nbformat.read(root / page, as_version=4))
            except KeyError:  # not cached: it executes anyway
                continue
            if built[recipe.name].sha256 not in _outputs_text(cache.get_cache_bundle(record.pk).nb):
                cache.remove_cache(record.pk)
                (root / page).touch()  # Sphinx re-reads only the sources changed since its read
                stale.append(page)
                print(f"== {page}: its cached outputs describe another {recipe.name}; it "
                      "executes again", flush=True)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default=None, choices=["quick", "full"],
                        help="default: CNNBOOK_PROFILE, else full")
    parser.add_argument("--root", type=Path, default=ROOT, help="the book's root folder")
    args = parser.parse_args(argv)
    profile = args.profile or get_profile().name
    _, failures = build(args.root.resolve(), profile)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
