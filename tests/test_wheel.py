"""The package as its users get it: a wheel and an sdist that twine accepts, and the wheel
installed into a fresh virtual environment outside the repository, where ``cnnbook`` works.

The build reads a copy of the working tree's files (tracked, or new and not ignored), as a
clean checkout would have them, so it never writes into the repository. The fresh environment
gets the wheel with its ``torch`` extra and the torch build this environment runs (the CPU one
in CI), through pip's usual sources and cache; ``--no-compile`` keeps it quick.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _sources() -> list[str]:
    """The files of a checkout of this working tree, relative to the root."""
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                         cwd=ROOT, capture_output=True, check=True)
    return [name for name in out.stdout.decode().split("\0") if name]


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    pytest.importorskip("build", reason="pip install build")
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to know which files a clean checkout has")
    src, out = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("dist")
    for name in _sources():
        if (ROOT / name).is_file():  # deleted but still tracked files are skipped
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    done = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out),
                           str(src)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


def _wheel(dist: Path) -> Path:
    (wheel,) = dist.glob("cnnbook-*-py3-none-any.whl")
    return wheel


@pytest.mark.slow
def test_build_makes_a_wheel_and_an_sdist_that_twine_accepts(dist):
    pytest.importorskip("twine", reason="pip install twine")
    files = sorted(p.name for p in dist.iterdir())
    assert len(files) == 2 and files[0].endswith(".whl") and files[1].endswith(".tar.gz")
    done = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str,
                          dist.iterdir())], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.count("PASSED") == 2, done.stdout + done.stderr


@pytest.mark.slow
def test_the_wheel_holds_the_package_and_nothing_else(dist):
    with zipfile.ZipFile(_wheel(dist)) as wheel:
        names = wheel.namelist()
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = wheel.read(meta).decode()
        entry_points = wheel.read(meta.replace("METADATA", "entry_points.txt")).decode()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"cnnbook", meta.split("/")[0]}, tops  # no book/, tests/, tools/, data
    assert not [n for n in names if n.endswith((".ipynb", ".gz", ".safetensors", ".png", ".md"))]
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "cnnbook").rglob("*.py")
               if str(p.relative_to(ROOT)) in set(_sources())}
    assert modules == {n for n in names if n.endswith(".py")}
    assert "cnnbook = cnnbook.cli:main" in entry_points
    assert "Provides-Extra: torch" in metadata and "Requires-Dist: numpy" in metadata
    assert {"cnnbook/py.typed", "cnnbook/floors.toml"} <= set(names)  # typed; the book's floors
    for line in ("Classifier: Framework :: Jupyter", "Classifier: Intended Audience :: Education",
                 "Classifier: Programming Language :: Python :: 3.13",
                 "Project-URL: Documentation, ", "Project-URL: Issues, "):
        assert line in metadata, line


def _run(venv: Path, cwd: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run([str(venv / "bin" / args[0]), *args[1:]], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done.stdout


@pytest.mark.slow
def test_the_wheel_installed_in_a_fresh_environment_runs_the_command(dist, tmp_path,
                                                                    shared_data):
    torch = pytest.importorskip("torch", reason="needs the torch extra")
    from PIL import Image

    from cnnbook.datasets import load_mnist
    from cnnbook.datasets.images import read_image, to_model_input
    from cnnbook.models import catalogue
    from cnnbook.seeding import seed_everything
    from cnnbook.training import predict, save_checkpoint

    began = time.perf_counter()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "--quiet", "--no-compile", f"{_wheel(dist)}[torch]", f"torch=={torch.__version__}"],
        capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stderr[-3000:]
    installed = time.perf_counter() - began

    where = _run(venv, tmp_path, "python", "-c", "import cnnbook; print(cnnbook.__file__)")
    assert Path(where.strip()).is_relative_to(venv)  # the wheel's copy, not the repository's
    assert "{data,models,doctor,train,evaluate,predict}" in _run(venv, tmp_path, "cnnbook",
                                                                  "--help")
    import cnnbook

    assert _run(venv, tmp_path, "cnnbook", "--version") == f"cnnbook {cnnbook.__version__}\n"
    models = _run(venv, tmp_path, "cnnbook", "models", "--framework", "torch", "--check")
    row = next(line for line in models.splitlines() if line.startswith("post_keras "))
    assert row.split()[:5] == [
        "post_keras", "classification", "mnist", "torch,keras,numpy", "225,034"]
    assert "built post_keras         torch 225,034 ok" in models
    assert "mnist (MNIST): read from offline" in _run(venv, tmp_path, "cnnbook", "data", "list")

    seed_everything(0)  # a checkpoint made here, by the repository's code
    model = catalogue.get("post_tensorflow").build("torch")
    save_checkpoint(tmp_path / "ckpt", model, name="post_tensorflow", epoch=0, dataset="mnist",
                    class_names=[str(i) for i in range(10)], normalisation=([0.13], [0.31]))
    Image.fromarray(255 - load_mnist(limit=1, test_limit=1)[1][0][0]).save(tmp_path / "d.png")
    found = json.loads(_run(venv, tmp_path, "cnnbook", "predict", "ckpt", "d.png", "--json"))
    x, _ = to_model_input(read_image(tmp_path / "d.png"), (1, 28, 28), dataset="mnist",
                          normalisation=([0.13], [0.31]))
    here = predict(model, x, device="cpu")[0]  # (10,)
    top = found["predictions"][0]["top"]
    assert [t["label"] for t in top] == list(np.argsort(-here, kind="stable")[:3])
    np.testing.assert_allclose([t["probability"] for t in top], np.sort(here)[::-1][:3],
                               atol=1e-5)
    print(f"fresh environment: installed in {installed:.0f} s, "
          f"whole test {time.perf_counter() - began:.0f} s")


def _readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(f"\n{title}\n")
    return text[start:text.index("\n## ", start + 1)]


def test_readme_says_what_the_wheel_provides():
    """The install lines name the repository of _config.yml, real extras and this version; the
    Python example imports; every command line shown parses."""
    import tomllib

    import cnnbook
    from cnnbook.cli import SUBCOMMANDS, build_parser

    section = _readme_section("## Using the package in your own project")
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    for extra, url in re.findall(r'"cnnbook\[(\w+)\] @ (\S+)"', section):
        assert extra in extras and url == f"git+{repo['url']}@{repo['branch']}"
    for extra in re.findall(r"`(\w+)`\s+\(", section.split("The extras add:")[1].split(".")[0]):
        assert extra in extras, extra
    assert f"cnnbook-{cnnbook.__version__}-py3-none-any.whl" in section
    for line in re.findall(r"^from cnnbook\S* import .+$", section, re.MULTILINE):
        exec(line, {})  # the example's imports exist
    listed = re.search(r"subcommands (.+?):\n", section)[1]
    assert re.findall(r"`(\w+)`", listed) == list(SUBCOMMANDS)
    parser = build_parser()
    commands = [shlex.split(line.split("#")[0]) for line in section.splitlines()
                if line.startswith("cnnbook ")]
    assert {argv[1] for argv in commands} >= set(SUBCOMMANDS) - {"doctor"}
    for argv in commands:
        parser.parse_args(argv[1:])  # exits (fails the test) on an unknown option


# --- the core on newer Pythons -----------------------------------------------------------------

# Tests of the framework-free core (NumPy, matplotlib, Pillow, pooch, tqdm): loaders, formats,
# splits, the NumPy ops, image plots, detection metrics, feature statistics.
CORE_TESTS = ("test_datasets_formats.py", "test_datasets_images.py", "test_datasets_splits.py",
              "test_datasets_fetch.py", "test_ops_conv.py", "test_plots_images.py",
              "test_metrics_detection.py", "test_explain_features.py")


def _interpreter(version: str) -> str | None:
    """A working ``python3.X``: on PATH, or one of pyenv's installs."""
    candidates = [shutil.which(f"python{version}")]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += sorted(str(p) for p in pyenv.glob(f"{version}.*/bin/python{version}"))
    for candidate in candidates:
        if candidate and subprocess.run([candidate, "-c", "import sys"],
                                        capture_output=True).returncode == 0:
            return candidate
    return None


def _core_requirements(wheel: Path) -> list[str]:
    """The wheel's own requirements without extras (``numpy>=1.26`` ...)."""
    with zipfile.ZipFile(wheel) as archive:
        meta = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        lines = archive.read(meta).decode().splitlines()
    return [line.split(": ", 1)[1] for line in lines
            if line.startswith("Requires-Dist: ") and "extra ==" not in line]


@pytest.mark.slow
@pytest.mark.parametrize("version, resolution", [("3.12", "highest"), ("3.12", "lowest-direct"),
                                                 ("3.13", "highest")])
def test_the_core_installs_and_passes_on_other_pythons(dist, tmp_path, version, resolution):
    """The wheel without extras on Python 3.12 and 3.13; on 3.12 also with the lowest versions its
    requirements allow (``requires-python`` and the lower bounds are true)."""
    python = _interpreter(version)
    if python is None:
        if os.environ.get("CNNBOOK_REQUIRE_INDEX", "").strip() == "1":
            pytest.fail(f"python{version} not found, and CI must test the core on it")
        pytest.skip(f"python{version} is not installed here")
    uv = Path(sys.executable).with_name("uv")
    if not uv.exists():
        pytest.skip("uv is not installed (make setup installs it)")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "UV_", "VIRTUAL_ENV", "PYTEST_")) and k != "PYTHONPATH"}
    env["UV_NO_CONFIG"] = "1"

    def run(*args: str, cwd: Path = tmp_path) -> str:
        done = subprocess.run([*args], cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, f"{args}: {done.stdout[-3000:]}{done.stderr[-3000:]}"
        return done.stdout

    venv = tmp_path / "venv"
    run(str(uv), "venv", "--quiet", "--python", python, str(venv))
    target = str(venv / "bin" / "python")
    wheel = _wheel(dist)
    run(str(uv), "pip", "install", "--quiet", "--python", target, "--resolution", resolution,
        str(wheel), *_core_requirements(wheel))
    run(str(uv), "pip", "install", "--quiet", "--python", target, "pytest", "hypothesis")
    versions = run(target, "-c", "import cnnbook, numpy, matplotlib, sys; print(sys.version_info"
                   "[:2], cnnbook.__version__, numpy.__version__, matplotlib.__version__, "
                   "cnnbook.__file__)")
    assert f"({version.replace('.', ', ')})" in versions and str(venv) in versions, versions
    if resolution == "lowest-direct":  # numpy's lower bound, not a newer one
        bound = next(r for r in _core_requirements(wheel) if r.startswith("numpy"))
        assert f" {bound.split('>=')[1]}" in versions, (bound, versions)
    assert run(str(venv / "bin" / "cnnbook"), "--version").startswith("cnnbook ")
    # the repository's tests, copied so that the repository's cnnbook cannot shadow the wheel's
    tests = tmp_path / "suite"
    shutil.copytree(ROOT / "tests", tests / "tests",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (tests / "pytest.ini").write_text("[pytest]\npythonpath = .\naddopts = -p no:cacheprovider\n")
    out = run(target, "-m", "pytest", "-q", *(f"tests/{name}" for name in CORE_TESTS), cwd=tests)
    assert " passed" in out and " failed" not in out, out[-2000:]
    print(f"python {version} ({resolution}): {versions.strip()}; {out.strip().splitlines()[-1]}")
