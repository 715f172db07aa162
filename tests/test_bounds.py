"""The lower bounds in pyproject.toml are true, and no higher than Colab allows.

``FLOORS`` says, for each bound that an API sets, which API (or behaviour) of the package the
code, the tools, the tests or a chapter uses, the first release that has it, and how that was
found. Each extra's lower bound must be the highest floor of its package: a lower bound would let
pip keep a release that fails, a higher one would refuse releases that work. Each entry's pattern
must still match the code, so that an API the code stops using cannot keep a bound up.

``COLAB`` is what Google Colab ships. A chapter's install cell installs only what is missing, but
``pip install 'cnnbook[...]'`` replaces whatever falls below a bound, so no lower bound may exceed
Colab's version (ipykernel is Colab's own kernel: replacing it breaks the runtime).
"""

from __future__ import annotations

import functools
import json
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]

# (distribution, first release, pattern the code matches, what it uses, source)
FLOORS = [
    ("torch", "2.4", r"torch\.amp\.is_autocast_available\(", "torch.amp.is_autocast_available",
     "pytorch/pytorch#124938 (merged April 2024), first released in 2.4"),
    ("safetensors", "0.4", r"safetensors\.torch\.(?:save|load)\(",
     "safetensors.torch.save and safetensors.torch.load (bytes, no file)",
     "test_training_checkpoints.py and test_cli_predict.py pass with safetensors 0.4.0"),
    ("tensorflow", "2.16", r"\btf\.keras\.models\.Sequential\(",
     "tf.keras is Keras 3: tensorflow_example builds with tf.keras, then calls keras.Model and "
     "keras.ops on the model", "TensorFlow 2.16.1 release notes: Keras 3 is the default Keras"),
    ("keras", "3.0", r"keras\.saving\.load_model\(\w+, compile=False, safe_mode=True\)",
     "Keras 3's public API: keras.ops, keras.config, keras.saving.load_model(safe_mode=), "
     "layers.RandomTranslation(fill_mode=, interpolation=, seed=), CosineDecay(warmup_target=)",
     "every keras.* name and keyword the code uses is present in keras 3.0.0; the Keras model, "
     "port, saving and seeding tests pass with it on the torch backend"),
    ("keras", "3.8", r"RandomCrop\(32, 32\)\(padded, training=False\)",
     "layers.RandomCrop returns its input unchanged at inference (training_well asserts it)",
     "measured: keras 3.0.0 to 3.7.0 centre-crop to 32x32, 3.8.0 to 3.15.1 return the 36x36 "
     "input; keras-team/keras#21868 reports the pass-through as a bug"),
]

# Versions in Colab's GPU runtime: googlecolab/backend-info, pip-freeze.gpu.txt at commit
# 03a89033b7dd (2026, Python 3.12; the runtime also upgraded to TensorFlow 2.19 and Keras 3.10 in
# July 2025, googlecolab/colabtools#5489).
COLAB = {
    "torch": "2.11.0", "safetensors": "0.7.0", "tensorflow": "2.20.0", "keras": "3.13.2",
    "numpy": "2.0.2", "matplotlib": "3.10.0", "pillow": "11.3.0", "pooch": "1.9.0",
    "tqdm": "4.67.3", "ipykernel": "6.17.1", "scikit-image": "0.25.2", "scikit-learn": "1.6.1",
    "pytest": "8.4.2", "nbconvert": "7.17.1", "pycocotools": "2.0.11",
}


def _requirements() -> dict[str, list[Requirement]]:
    """``{"core": [...], extra: [...]}`` from pyproject.toml, the ``all`` extra left out."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    groups = {"core": project["dependencies"], **project["optional-dependencies"]}
    return {name: [Requirement(r) for r in reqs] for name, reqs in groups.items()
            if name != "all"}


def _lower_bound(requirement: Requirement) -> Version | None:
    found = [Version(s.version) for s in requirement.specifier if s.operator in (">=", "==")]
    return max(found) if found else None


def _bounds() -> dict[str, Version | None]:
    return {canonicalize_name(r.name): _lower_bound(r)
            for reqs in _requirements().values() for r in reqs}


@functools.cache
def _code() -> str:
    """The package, tools and tests (not this file), and the chapters' code cells."""
    files = [p for d in ("cnnbook", "tools", "tests") for p in sorted((ROOT / d).rglob("*.py"))
             if p.resolve() != Path(__file__).resolve()]
    texts = [p.read_text() for p in files]
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        texts += ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    return "\n".join(texts)


def test_every_requirement_has_a_lower_bound():
    missing = [str(r) for reqs in _requirements().values() for r in reqs
               if _lower_bound(r) is None]
    assert missing == []


def test_each_bound_is_the_first_release_with_the_apis_the_code_uses():
    bounds = _bounds()
    floors: dict[str, Version] = {}
    for name, first, *_ in FLOORS:
        floors[name] = max(floors.get(name, Version("0")), Version(first))
    wrong = {name: (str(bounds.get(name)), str(floor)) for name, floor in floors.items()
             if bounds.get(name) != floor}
    assert wrong == {}, f"package: (pyproject's bound, FLOORS' highest entry): {wrong}"


@pytest.mark.parametrize("name, first, pattern, what, source", FLOORS,
                         ids=[f"{f[0]}-{f[1]}" for f in FLOORS])
def test_each_floor_is_still_used(name, first, pattern, what, source):
    assert re.search(pattern, _code()), (
        f"{name} {first} ({what}): nothing matches {pattern!r} any more; drop the entry, and "
        f"lower the bound if no other entry holds it")


def test_no_bound_is_above_what_colab_ships():
    bounds = _bounds()
    assert set(COLAB) <= set(bounds), set(COLAB) - set(bounds)
    above = {name: (str(bounds[name]), colab) for name, colab in COLAB.items()
             if bounds[name] is not None and bounds[name] > Version(colab)}
    assert above == {}, f"package: (pyproject's bound, Colab's version): {above}"
