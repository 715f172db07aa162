"""Fingerprints of the catalogue's models: the weights ``build`` gives for a seed, to the bit.

For every catalogue model and framework, the tensors a fresh model holds (names, shapes, dtypes)
and a SHA-256 of their bytes in that order; for torch also a summary of the eval-mode output on a
fixed input (its shape, sums and values at fixed positions), which the test compares to a relative
1e-4: the weights are the same bits on every machine, a forward pass is not (float32 kernels differ
between CPUs in the order they add). A refactoring of the builders must leave them all unchanged,
because the book's stored outputs were computed from these initial weights.
``tests/test_models_fingerprints.py`` compares the models built now with
``tests/model_fingerprints.json``; after a change that is meant to change initial weights, write
the file again (and say why in the commit):

    python -m tools.model_fingerprints tests/model_fingerprints.json [--framework torch]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from cnnbook.models import catalogue

SEED = 0
DEFAULT = Path(__file__).resolve().parents[1] / "tests" / "model_fingerprints.json"


def fixed_input(shape: tuple[int, ...]) -> np.ndarray:
    """Two inputs of ``shape`` (without the batch axis) in [0, 1), float32, the same every run."""
    return np.random.default_rng(SEED).random((2, *shape), dtype=np.float32)


def _digest(arrays: list[np.ndarray]) -> str:
    sha = hashlib.sha256()
    for array in arrays:
        sha.update(np.ascontiguousarray(array).tobytes())
    return sha.hexdigest()


PROBES = 16
"""How many output values, evenly spaced in the flattened output, a fingerprint keeps."""


def output_summary(output: np.ndarray) -> list[float]:
    """The sum, the sum of absolute values, and :data:`PROBES` values evenly spaced in the
    flattened ``output``, as float64 Python floats (compared with a tolerance, not to the bit)."""
    flat = np.asarray(output, dtype=np.float64).ravel()
    picks = np.linspace(0, flat.size - 1, num=min(PROBES, flat.size)).round().astype(int)
    return [float(flat.sum()), float(np.abs(flat).sum()), *(float(v) for v in flat[picks])]


def torch_fingerprint(name: str, seed: int = SEED) -> dict[str, Any]:
    """``name``'s torch model as ``build("torch")`` makes it after ``torch.manual_seed(seed)``:
    its state_dict (keys, shapes, dtypes, SHA-256 in key order) and :func:`output_summary` of its
    eval-mode logits on :func:`fixed_input` ``(2, C, H, W)``."""
    import torch

    entry = catalogue.get(name)
    torch.manual_seed(seed)
    model = entry.build("torch")
    state = model.state_dict()
    model.eval()
    with torch.no_grad():
        output = model(torch.from_numpy(fixed_input(entry.input_shape("torch"))))
    return {
        "tensors": [f"{key} {tuple(value.shape)} {str(value.dtype).removeprefix('torch.')}"
                    for key, value in state.items()],
        "sha256": _digest([value.detach().cpu().numpy() for value in state.values()]),
        "output_shape": str(tuple(output.shape)),
        "output": output_summary(output.numpy()),
    }


def keras_fingerprint(name: str, seed: int = SEED) -> dict[str, Any]:
    """``name``'s Keras model as ``build("keras")`` makes it after
    ``keras.utils.set_random_seed(seed)``: its weights (paths, shapes, dtypes, SHA-256 in the
    model's order, moving statistics included)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    import keras

    entry = catalogue.get(name)
    keras.utils.set_random_seed(seed)
    model = entry.build("keras", input_shape=entry.input_shape("keras"))
    weights = model.weights
    values = [keras.ops.convert_to_numpy(w.value) for w in weights]
    return {
        "model_name": model.name,
        # the input layer's name counts the inputs made so far in the process: left out
        "layers": [layer.name for layer in model.layers
                   if not isinstance(layer, keras.layers.InputLayer)],
        "tensors": [f"{w.path} {v.shape} {v.dtype}" for w, v in zip(weights, values, strict=True)],
        "sha256": _digest(values),
    }


def fingerprints(frameworks: tuple[str, ...] = ("torch", "keras")) -> dict[str, dict[str, Any]]:
    """``{framework: {model name: fingerprint}}`` for every catalogue model with a builder."""
    makers = {"torch": torch_fingerprint, "keras": keras_fingerprint}
    return {framework: {entry.name: makers[framework](entry.name)
                        for entry in catalogue.entries(frameworks=(framework,))}  # type: ignore[arg-type]
            for framework in frameworks}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--framework", choices=("torch", "keras"), action="append")
    args = parser.parse_args(argv)
    frameworks = tuple(args.framework or ("torch", "keras"))
    old = json.loads(args.path.read_text()) if args.path.exists() else {}
    new = {**old, "seed": SEED, **fingerprints(frameworks)}
    args.path.write_text(json.dumps(new, indent=1) + "\n")
    print(f"wrote {args.path} ({', '.join(frameworks)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
