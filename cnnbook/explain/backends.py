"""Keras 3 Grad-CAM of a trained torch model, on each Keras backend, one worker process each.

Keras fixes its backend once per process, when it is first imported, so a chapter that compares
backends cannot do it in its own kernel (which may hold no Keras at all, or Keras on the wrong
backend). :func:`keras_grad_cams` writes the torch model's weights (NumPy ``.npz``, no pickle),
the inputs and the targets to a temporary folder, starts ``python -m cnnbook.explain.backends``
once per backend with ``KERAS_BACKEND`` set, all at once, and reads back each worker's map. A
worker builds the catalogue model's Keras twin, copies the weights into it with
:func:`cnnbook.models.port.torch_to_keras` and runs :func:`cnnbook.explain.keras_grad_cam`.

:func:`available_backends` says which backends can run here (TensorFlow is absent on the GPU
machine), so the caller prints which ones ran. Inputs are NCHW ``(N, C, H, W)`` as for torch;
the workers transpose them to NHWC; maps come back ``(N, h, w)`` float32, like
:func:`cnnbook.explain.grad_cam`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cnnbook._optional import needs

with needs("torch"):
    from torch import nn

from cnnbook.arrays import as_numpy
from cnnbook.explain._checks import Target, as_targets

__all__ = ["BACKENDS", "available_backends", "keras_grad_cams", "main"]

BACKENDS = ("tensorflow", "torch")
NEEDS = {"tensorflow": ("keras", "tensorflow"), "torch": ("keras", "torch"),
         "jax": ("keras", "jax")}


def available_backends(backends: Sequence[str] = BACKENDS) -> tuple[list[str], dict[str, str]]:
    """``(runnable, skipped)``: the Keras backends installed here, and why the others are not."""
    runnable, skipped = [], {}
    for backend in backends:
        if backend not in NEEDS:
            raise ValueError(f"unknown Keras backend {backend!r}; choose from "
                             f"{', '.join(NEEDS)}")
        missing = [m for m in NEEDS[backend] if importlib.util.find_spec(m) is None]
        if missing:
            skipped[backend] = f"not installed: {', '.join(missing)}"
        else:
            runnable.append(backend)
    return runnable, skipped


def keras_grad_cams(net: nn.Module, model: str, x: Any, layer: str, target: Target, *,
                    backends: Sequence[str] | None = None, pre_activation: bool = False,
                    timeout: float = 600) -> dict[str, np.ndarray]:
    """Keras Grad-CAM of ``net``'s weights on each backend: ``{backend: (N, h, w)}`` float32.

    Args:
        net: a trained torch model of the catalogue model ``model`` (e.g. ``"post_keras"``).
        x: inputs ``(N, C, H, W)`` (NumPy or tensor), as ``net`` takes them.
        layer: the Keras layer's name (the catalogue's labels, e.g. ``"conv2"``).
        target: class index, one for all inputs or one per input.
        backends: the Keras backends to run (default: every one of :data:`BACKENDS` installed).
        pre_activation: the layer's maps before its own activation (the torch twins apply
            ``F.relu`` after the convolution that a hook sees; see
            :func:`cnnbook.explain.keras_grad_cam`).
        timeout: seconds each worker may take.
    """
    backends = list(backends) if backends is not None else available_backends()[0]
    if not backends:
        raise ValueError("no Keras backend to run: install keras with tensorflow or torch")
    values = np.asarray(as_numpy(x))
    targets = as_targets(target, len(values))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
           "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"), "CNNBOOK_PROGRESS": "0"}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        np.savez(root / "weights.npz", **{k: v.detach().cpu().numpy()
                                          for k, v in net.state_dict().items()})
        np.save(root / "x.npy", np.asarray(values, dtype=np.float32))
        np.save(root / "targets.npy", targets)
        workers = {}
        for backend in backends:
            out = root / backend
            out.mkdir()
            workers[backend] = subprocess.Popen(
                [sys.executable, "-m", "cnnbook.explain.backends", "--model", model,
                 "--layer", layer, "--folder", str(root), "--out", str(out),
                 *(["--pre-activation"] if pre_activation else [])],
                env={**env, "KERAS_BACKEND": backend}, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True)
        maps = {}
        for backend, process in workers.items():
            _, err = process.communicate(timeout=timeout)
            if process.returncode != 0:
                tail = "\n".join(err.strip().splitlines()[-5:])
                raise RuntimeError(f"Keras {backend} worker exited ({process.returncode}): "
                                   f"{tail}")
            ran = json.loads((root / backend / "backend.json").read_text())["backend"]
            if ran != backend:
                raise RuntimeError(f"asked for Keras on {backend}, the worker ran {ran}")
            maps[backend] = np.load(root / backend / "cam.npy")
    return maps


def _work(model: str, layer: str, folder: Path, out: Path, pre_activation: bool) -> None:
    """In the worker: torch weights -> Keras twin -> Grad-CAM, written to ``out``."""
    import keras
    import torch

    from cnnbook.explain.keras_explain import keras_grad_cam
    from cnnbook.models import catalogue
    from cnnbook.models.port import torch_to_keras

    entry = catalogue.get(model)
    net = entry.build("torch")
    with np.load(folder / "weights.npz") as weights:
        net.load_state_dict({k: torch.from_numpy(weights[k]) for k in weights.files})
    twin = torch_to_keras(net.eval(), entry.build("keras"))
    x = np.load(folder / "x.npy").transpose(0, 2, 3, 1)  # NCHW -> NHWC
    cam = keras_grad_cam(twin, x, layer, np.load(folder / "targets.npy"),
                         pre_activation=pre_activation)
    np.save(out / "cam.npy", cam)
    (out / "backend.json").write_text(json.dumps({"backend": keras.backend.backend(),
                                                  "keras": keras.__version__}))


def main(argv: list[str] | None = None) -> None:
    """``python -m cnnbook.explain.backends``: one worker of :func:`keras_grad_cams`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--layer", required=True)
    parser.add_argument("--folder", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--pre-activation", action="store_true")
    args = parser.parse_args(argv)
    _work(args.model, args.layer, args.folder, args.out, args.pre_activation)


if __name__ == "__main__":
    main()
