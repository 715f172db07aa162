"""Artefacts built once (cnnbook.artefacts.store) and the build step that installs them
(tools/artefacts.py): keys that change exactly when an input does, complete manifests, no half
artefact after a failure, and installs that copy only what differs. Toy recipes, no framework."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

import cnnbook
from cnnbook import artefacts, config, get_profile
from cnnbook.artefacts import ArtefactError, Recipe
from cnnbook.datasets.registry import MNIST
from tools import artefacts as build_step

QUICK, FULL = get_profile("quick"), get_profile("full")


def toy(name="toy", *, size=3, datasets=(), calls=None, fail=False, files=("toy.txt",)):
    """A recipe that writes ``size`` seeded numbers to toy.txt (``calls`` counts its runs)."""

    def params(profile, seed):
        return {"size": size, "profile": profile.name, "seed": seed}

    def make(folder: Path, p):
        if calls is not None:
            calls.append(dict(p))
        (folder / "toy.txt").write_text(" ".join(str(p["seed"] * 7 + i) for i in range(p["size"])))
        if fail:
            raise RuntimeError("the recipe broke halfway")
        return {"sha256": hashlib.sha256((folder / "toy.txt").read_bytes()).hexdigest(),
                "lines": 1}

    return Recipe(name=name, files=files, install="static", datasets=datasets, params=params,
                  make=make, pages=())


@pytest.fixture
def package(tmp_path) -> Path:
    """A copy of the cnnbook package's source, to change."""
    copy = tmp_path / "cnnbook"
    shutil.copytree(Path(cnnbook.__file__).parent, copy,
                    ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.fixture
def mnist_dir(tmp_path, monkeypatch) -> Path:
    """An offline folder holding MNIST's four files (their bytes only matter to the key)."""
    root = tmp_path / "data"
    (root / "mnist").mkdir(parents=True)
    for name in MNIST.format.files:
        (root / "mnist" / name).write_bytes(name.encode())
    monkeypatch.setenv("CNNBOOK_DATA_DIR", str(root))
    monkeypatch.setenv("CNNBOOK_OFFLINE", "1")
    return root / "mnist"


def key_of(recipe, profile=QUICK, seed=0, package=None):
    return artefacts.artefact_key(artefacts.key_inputs(recipe, profile, seed, package=package))


def test_the_key_is_stable_and_changes_with_every_input(package, mnist_dir):
    recipe = toy(datasets=("mnist",))
    first = key_of(recipe, package=package)
    assert key_of(recipe, package=package) == first  # the same inputs, the same key
    assert key_of(toy(size=4, datasets=("mnist",)), package=package) != first  # a parameter
    assert key_of(recipe, FULL, package=package) != first  # the profile
    assert key_of(recipe, seed=1, package=package) != first  # the seed
    assert key_of(toy("other", datasets=("mnist",)), package=package) != first  # the recipe

    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    assert key_of(recipe, package=package) == first  # byte-code caches are not source
    source = package / "training" / "fit.py"
    source.write_text(source.read_text() + "\n# a comment\n")
    changed = key_of(recipe, package=package)
    assert changed != first  # any file of the package

    (mnist_dir / "t10k-labels-idx1-ubyte.gz").write_bytes(b"other labels")
    assert key_of(recipe, package=package) != changed  # the data's bytes


def test_the_key_of_the_package_in_use_is_the_installed_source():
    assert artefacts.package_digest() == artefacts.package_digest(
        Path(cnnbook.__file__).parent)


def test_ensure_builds_once_and_then_finds_it(tmp_path):
    calls = []
    recipe = toy(calls=calls)
    built = artefacts.ensure(recipe, profile=QUICK, seed=5, store=tmp_path)
    assert built.fresh and calls == [{"size": 3, "profile": "quick", "seed": 5}]
    assert built.path == tmp_path / "toy" / built.key
    assert (built.path / "toy.txt").read_text() == "35 36 37"
    again = artefacts.ensure(recipe, profile=QUICK, seed=5, store=tmp_path)
    assert not again.fresh and len(calls) == 1 and again.key == built.key
    assert again.sha256 == built.sha256
    assert "found in the store" in again.describe() and built.key[:16] in again.describe()
    # another seed is another artefact, beside the first
    other = artefacts.ensure(recipe, profile=QUICK, seed=6, store=tmp_path)
    assert other.fresh and other.key != built.key and len(calls) == 2
    assert sorted(p.name for p in (tmp_path / "toy").iterdir()) == sorted([built.key, other.key])


def test_the_store_defaults_to_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNBOOK_ARTEFACTS_DIR", str(tmp_path / "store"))
    monkeypatch.setenv("CNNBOOK_PROFILE", "full")
    monkeypatch.setenv("CNNBOOK_SEED", "2")
    built = artefacts.ensure(toy())
    assert built.path.parent.parent == tmp_path / "store"
    assert built.manifest["inputs"]["params"] == {"size": 3, "profile": "full", "seed": 2}
    monkeypatch.delenv("CNNBOOK_ARTEFACTS_DIR")
    monkeypatch.setenv("CNNBOOK_CACHE_DIR", str(tmp_path / "cache"))
    assert cnnbook.config.artefacts_dir() == tmp_path / "cache" / "artefacts"


def test_the_manifest_says_what_went_in_and_what_came_out(tmp_path, mnist_dir):
    built = artefacts.ensure(toy(datasets=("mnist",)), profile=QUICK, seed=0, store=tmp_path)
    manifest = json.loads((built.path / "manifest.json").read_text())
    assert manifest == built.manifest
    assert manifest["format"] == "cnnbook-artefact" and manifest["name"] == "toy"
    assert manifest["key"] == built.path.name == artefacts.artefact_key(manifest["inputs"])
    inputs = manifest["inputs"]
    assert inputs["params"] == {"size": 3, "profile": "quick", "seed": 0}
    assert inputs["cnnbook"] == artefacts.package_digest()
    assert set(inputs["data"]) == {"mnist"} and len(inputs["data"]["mnist"]) == 64
    text = (built.path / "toy.txt").read_bytes()
    assert manifest["files"] == {"toy.txt": hashlib.sha256(text).hexdigest()}
    assert manifest["facts"] == {"sha256": hashlib.sha256(text).hexdigest(), "lines": 1}
    assert manifest["seconds"] >= 0 and manifest["cnnbook"] == cnnbook.__version__


def test_a_failing_recipe_leaves_nothing_in_the_store(tmp_path):
    with pytest.raises(RuntimeError, match="broke halfway"):
        artefacts.ensure(toy(fail=True), profile=QUICK, seed=0, store=tmp_path)
    assert list((tmp_path / "toy").iterdir()) == []  # not even its temporary folder
    # a recipe that does not write what it promised, or says no sha256, is refused the same way
    with pytest.raises(ArtefactError, match="wrote no"):
        artefacts.ensure(toy(files=("toy.txt", "missing.bin")), profile=QUICK, seed=0,
                         store=tmp_path)
    assert list((tmp_path / "toy").iterdir()) == []


def test_a_half_written_or_damaged_artefact_is_never_found(tmp_path):
    calls = []
    recipe = toy(calls=calls)
    built = artefacts.ensure(recipe, profile=QUICK, seed=0, store=tmp_path)
    # an interrupted build: its temporary folder holds files but no manifest
    (tmp_path / "toy" / f".{built.key[:16]}.x.tmp").mkdir()
    assert artefacts.find(recipe, built.key, tmp_path) is not None
    # a damaged file: the manifest's hash no longer matches, so it is built again
    (built.path / "toy.txt").write_text("damaged")
    assert artefacts.find(recipe, built.key, tmp_path) is None
    again = artefacts.ensure(recipe, profile=QUICK, seed=0, store=tmp_path)
    assert again.fresh and len(calls) == 2 and (again.path / "toy.txt").read_text() == "0 1 2"
    # a folder without its manifest (written last) is not an artefact either
    (again.path / "manifest.json").unlink()
    assert artefacts.find(recipe, built.key, tmp_path) is None


def test_install_copies_only_what_differs(tmp_path):
    built = artefacts.ensure(toy(), profile=QUICK, seed=0, store=tmp_path / "store")
    static = tmp_path / "site" / "static"
    (path,) = artefacts.install(built, static)
    assert path == static / "toy.txt" and path.read_text() == "0 1 2"
    stamp = path.stat().st_mtime_ns
    artefacts.install(built, static)
    assert path.stat().st_mtime_ns == stamp  # the same bytes: left alone
    path.write_text("stale")
    artefacts.install(built, static)
    assert path.read_text() == "0 1 2"
    assert [p.name for p in static.iterdir()] == ["toy.txt"]  # no temporary file left


def test_the_book_recipe_is_the_draw_a_digit_training():
    recipe = artefacts.get("post_tensorflow")
    assert recipe is artefacts.POST_TENSORFLOW and recipe.datasets == ("mnist",)
    assert recipe.files == ("post_tensorflow.js",) and recipe.install == "book/_static/models"
    assert recipe.pages == ("book/draw_a_digit.ipynb",)
    assert (Path(__file__).resolve().parents[1] / recipe.pages[0]).is_file()
    quick, full = recipe.params(QUICK, 0), recipe.params(FULL, 3)
    assert quick["epochs"] == 8 and quick["train_limit"] == 2000 and quick["seed"] == 0
    assert full["epochs"] == 10 and full["seed"] == 3
    assert full["train_limit"] == config.FULL_TRAIN_LIMIT
    with pytest.raises(KeyError, match="known: post_tensorflow"):
        artefacts.get("no_such_model")


def test_the_build_step_builds_installs_and_reports_failures(tmp_path, capsys):
    calls = []
    built, failures = build_step.build(tmp_path, "quick", [toy(calls=calls), toy("bad", fail=True)])
    out = capsys.readouterr().out
    assert failures == ["== FAILED artefact bad: RuntimeError: the recipe broke halfway"]
    assert list(built) == ["toy"] and built["toy"].path.parent.parent == tmp_path / "_build" / \
        "artefacts"
    assert (tmp_path / "static" / "toy.txt").read_text() == "0 1 2"
    assert "installed static/toy.txt" in out and failures[0] in out
    (tmp_path / "static" / "toy.txt").unlink()  # a fresh checkout: the installed copy is gone
    again, _ = build_step.build(tmp_path, "quick", [toy(calls=calls)])
    assert not again["toy"].fresh and len(calls) == 1
    assert (tmp_path / "static" / "toy.txt").read_text() == "0 1 2"


def test_make_runs_the_build_step_before_the_chapters():
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    notebooks = makefile[makefile.index("\ntest-notebooks:"):].split("\n\n")[0]
    assert notebooks.index("tools.artefacts") < notebooks.index("--nbval")
    assert "export CNNBOOK_ARTEFACTS_DIR ?= $(abspath _build/artefacts)" in makefile
