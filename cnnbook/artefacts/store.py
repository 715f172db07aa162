"""Artefacts built once and reused: a recipe, its key, and a store of finished builds.

    built = ensure(recipe, profile=get_profile(), seed=get_seed())  # found, or made now
    built.path / "post_tensorflow.js"   # the recipe's files, finished and checked
    built.sha256                        # what the recipe made (for a model: its weights' hash)
    install(built, Path("_static/models"))

A :class:`Recipe` makes files (trained weights, widget data) from parameters, datasets and the
package's code. Its **key** is the SHA-256 of all three: the recipe's name and parameters (which
include the profile and seed), the source of every file of the installed ``cnnbook`` package
(:func:`package_digest`), and the bytes of the dataset files it reads (:func:`data_digest`). A
change to any of them gives another key, so a stale artefact is never found; nothing else is
checked.

The store holds ``<store>/<recipe>/<key>/``: the recipe's files and ``manifest.json`` (the key,
what went in, each file's SHA-256, the recipe's own facts such as a training history, the seconds
it took). A build goes into a temporary folder next to it, whose manifest is written last, and is
renamed into place only when complete: a build that fails or is interrupted leaves no folder that
:func:`find` accepts. The store is ``$CNNBOOK_ARTEFACTS_DIR`` (the book's build step sets it to
``_build/artefacts``), else ``<cache>/artefacts`` (:func:`cnnbook.config.artefacts_dir`).

Light: NumPy-free and framework-free; a recipe imports what it needs when it runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cnnbook
from cnnbook import config
from cnnbook.config import Profile
from cnnbook.saving.atomic import fsync_dir, write_atomic

__all__ = ["MANIFEST", "ArtefactError", "Built", "Recipe", "artefact_key", "data_digest",
           "ensure", "file_sha256", "find", "install", "key_inputs", "package_digest"]

MANIFEST = "manifest.json"
FORMAT = "cnnbook-artefact"


class ArtefactError(RuntimeError):
    """A recipe that did not make what it promised; one line naming the recipe."""


@dataclass(frozen=True)
class Recipe:
    """How to make one artefact.

    Attributes:
        name: the artefact's name (for a model, its catalogue name).
        files: the file names ``make`` writes into its folder.
        install: where pages read those files, relative to the book's root folder.
        datasets: registry names of the datasets it reads (their bytes are part of the key).
        params: ``(profile, seed) -> {name: value}``, JSON values: every setting of the run.
        make: ``(folder, params) -> facts``: writes ``files`` into ``folder`` and returns JSON
            facts, among them ``"sha256"``, the hash a page prints to say what it used.
        pages: the notebooks (relative to the root) that print that ``sha256``.
    """

    name: str
    files: tuple[str, ...]
    install: str
    datasets: tuple[str, ...]
    params: Callable[[Profile, int], dict[str, Any]]
    make: Callable[[Path, Mapping[str, Any]], Mapping[str, Any]]
    pages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Built:
    """A finished artefact in the store.

    Attributes:
        path: ``<store>/<recipe>/<key>``, holding the files and ``manifest.json``.
        manifest: the manifest as read (see the module docstring).
        fresh: made by this call (``False``: found in the store).
    """

    path: Path
    manifest: dict[str, Any]
    fresh: bool

    @property
    def name(self) -> str:
        return str(self.manifest["name"])

    @property
    def key(self) -> str:
        return str(self.manifest["key"])

    @property
    def sha256(self) -> str:
        """What the recipe says identifies its output (for a model: the weights' SHA-256)."""
        return str(self.manifest["facts"]["sha256"])

    @property
    def facts(self) -> dict[str, Any]:
        return dict(self.manifest["facts"])

    def describe(self) -> str:
        """One line: how this artefact came to be here, without absolute paths."""
        how = "made by this call" if self.fresh else "found in the store"
        return (f"{self.name}: {how}, built {self.manifest['built']} in "
                f"{self.manifest['seconds']:.0f} s; key {self.key[:16]}")


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _tree_digest(root: Path) -> str:
    """SHA-256 over the relative paths and contents of the files under ``root`` (or of the file
    ``root``), skipping hidden names and byte-code caches."""
    if root.is_file():
        return file_sha256(root)
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root)
        if any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
            continue
        if path.suffix == ".pyc":
            continue
        digest.update(f"{relative.as_posix()}\0{file_sha256(path)}\n".encode())
    return digest.hexdigest()


def package_digest(package: Path | None = None) -> str:
    """SHA-256 of the source of the ``cnnbook`` package in use (or of the folder ``package``)."""
    return _tree_digest(package if package is not None else Path(cnnbook.__file__).parent)


def data_digest(name: str) -> str:
    """SHA-256 of the files that the loaders read for dataset ``name``, where they read them
    (the offline folder, or the verified cache, downloading first unless offline)."""
    from cnnbook.datasets.fetch import resolve

    return _tree_digest(resolve(name).path)


def key_inputs(recipe: Recipe, profile: Profile, seed: int, *,
               package: Path | None = None) -> dict[str, Any]:
    """Everything the key is made of: recipe name and parameters, package and data digests."""
    return {"recipe": recipe.name, "params": recipe.params(profile, seed),
            "cnnbook": package_digest(package),
            "data": {name: data_digest(name) for name in recipe.datasets}}


def artefact_key(inputs: Mapping[str, Any]) -> str:
    """The SHA-256 of :func:`key_inputs`' result, as canonical JSON."""
    text = json.dumps(inputs, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _read(folder: Path, recipe: Recipe) -> dict[str, Any] | None:
    """The manifest in ``folder`` when it is complete and every file matches it, else None."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"]
        intact = (manifest.get("format") == FORMAT and manifest["key"] == folder.name
                  and set(files) == set(recipe.files)
                  and all(file_sha256(folder / name) == files[name] for name in recipe.files))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return manifest if intact else None


def find(recipe: Recipe, key: str, store: Path | None = None) -> Built | None:
    """The finished artefact of ``recipe`` with ``key`` in ``store``, or None."""
    folder = (store if store is not None else config.artefacts_dir()) / recipe.name / key
    manifest = _read(folder, recipe)
    return None if manifest is None else Built(folder, manifest, fresh=False)


def ensure(recipe: Recipe, *, profile: Profile | None = None, seed: int | None = None,
           store: Path | None = None, package: Path | None = None) -> Built:
    """The artefact of ``recipe`` for this profile, seed, package and data: found in ``store``,
    or made now (and then stored for the next caller).

    Args:
        profile, seed: default to ``CNNBOOK_PROFILE`` and ``CNNBOOK_SEED``.
        store: default :func:`cnnbook.config.artefacts_dir`.
        package: the package folder the key hashes; default the ``cnnbook`` in use.

    Raises:
        ArtefactError: the recipe did not write its files or returned no ``sha256`` fact.
        Whatever the recipe raises; no folder is left behind in the store.
    """
    profile = profile if profile is not None else config.get_profile()
    seed = seed if seed is not None else config.get_seed()
    store = store if store is not None else config.artefacts_dir()
    inputs = key_inputs(recipe, profile, seed, package=package)
    key = artefact_key(inputs)
    if (found := find(recipe, key, store)) is not None:
        return found
    parent = store / recipe.name
    parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=parent, prefix=f".{key[:16]}.", suffix=".tmp"))
    try:
        start = time.perf_counter()
        facts = dict(recipe.make(work, inputs["params"]))
        seconds = time.perf_counter() - start
        missing = [name for name in recipe.files if not (work / name).is_file()]
        if missing or not isinstance(facts.get("sha256"), str):
            raise ArtefactError(f"recipe {recipe.name}: wrote no {missing} file(s)" if missing
                                else f"recipe {recipe.name}: its facts have no 'sha256'")
        manifest = {"format": FORMAT, "name": recipe.name, "key": key, "inputs": inputs,
                    "files": {name: file_sha256(work / name) for name in recipe.files},
                    "facts": facts, "seconds": round(seconds, 1),
                    "built": time.strftime("%Y-%m-%d %H:%M %Z"), "cnnbook": cnnbook.__version__}
        write_atomic(work / MANIFEST, (json.dumps(manifest, indent=1) + "\n").encode())
        folder = parent / key
        if (found := find(recipe, key, store)) is not None:  # another process finished first
            shutil.rmtree(work)
            return found
        if folder.exists():  # an incomplete or damaged earlier folder: find() refused it
            shutil.rmtree(folder)
        os.replace(work, folder)
        fsync_dir(parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(work)
        raise
    return Built(folder, manifest, fresh=True)


def install(built: Built, folder: Path) -> list[Path]:
    """Copy the artefact's files into ``folder`` (atomically, only when they differ); return the
    installed paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, sha256 in built.manifest["files"].items():
        target = folder / name
        if not (target.is_file() and file_sha256(target) == sha256):
            write_atomic(target, (built.path / name).read_bytes())
        paths.append(target)
    return paths
