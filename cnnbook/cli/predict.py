"""``cnnbook predict CHECKPOINT IMAGE...``: the top classes of PNG or JPEG pictures.

    cnnbook predict runs/digits my_seven.png           # 7: 0.912, 1: 0.041, 9: 0.020
    cnnbook predict runs/digits a.png b.jpg --json

Each picture becomes one input of the checkpoint's model by
:func:`cnnbook.datasets.images.to_model_input`: grey or RGB as the model takes, transparency on
white, resampled to the model's size; for models of MNIST and Fashion-MNIST, dark ink on light
paper is inverted (the output says so) and the strokes are fitted and centred as MNIST's were
(:func:`~cnnbook.datasets.images.mnist_style`). The checkpoint's normalisation is applied.
The checkpoint is a torch one (:mod:`cnnbook.saving.torch_checkpoint`, safetensors) or a Keras one
(:mod:`cnnbook.saving.keras_checkpoint`, a ``.keras`` file loaded with ``safe_mode=True``).

Every picture is read and checked before anything is printed: a missing file, one that is not a
PNG or JPEG, a truncated one, one over ``--max-pixels`` (a decompression bomb), a blank one, or a
checkpoint that cannot be loaded is a one-line error naming the file, exit status 2.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from cnnbook.cli import BadInput
from cnnbook.cli._common import (
    device as checked_device,
    get_model,
    open_checkpoint,
)
from cnnbook.datasets.images import MAX_PIXELS, ImageError, read_image, to_model_input
from cnnbook.saving import format_of


def _read(paths: list[str], max_pixels: int) -> list[np.ndarray]:
    """Each picture as uint8 RGB ``(H, W, 3)``; a BadInput naming the first bad file."""
    try:
        return [read_image(path, max_pixels=max_pixels) for path in paths]
    except ImageError as err:
        raise BadInput(str(err)) from None


def _inputs(paths: list[str], images: list[np.ndarray], input_shape: tuple[int, int, int],
            dataset: str, normalisation: tuple[tuple[float, ...], tuple[float, ...]] | None,
            ) -> tuple[np.ndarray, list[list[str]]]:
    """``(x, notes)``: float32 ``(N, C, H, W)`` and each picture's notes; BadInput on a bad one."""
    xs, notes = [], []
    for path, image in zip(paths, images, strict=True):
        try:
            x, note = to_model_input(image, input_shape, dataset=dataset,
                                     normalisation=normalisation)
        except ValueError as err:
            raise BadInput(f"{path}: {err}") from None
        xs.append(x)
        notes.append(note)
    return np.concatenate(xs), notes  # (N, C, H, W)


def run(args: argparse.Namespace) -> int:
    """Print (or write as JSON) the ``--top`` classes of each picture."""
    if args.top < 1:
        raise BadInput("--top must be at least 1")
    images = _read(args.images, args.max_pixels)  # before torch: a bad file fails fast

    checkpoint: Any
    keras_file = format_of(args.checkpoint) == "keras"  # read from its manifest alone
    if keras_file:  # a .keras model, loaded with safe_mode=True
        from cnnbook.saving.keras_checkpoint import keras_probabilities

        checkpoint = open_checkpoint(args.checkpoint, framework="keras")
    else:
        from cnnbook.training import predict  # torch from here on

        device = checked_device(args.device)
        checkpoint = open_checkpoint(args.checkpoint, device=device)
    entry = get_model(checkpoint.name)
    spec = entry.spec_for(**checkpoint.model_kwargs)  # the architecture the checkpoint holds
    classes = spec.output_shapes()[-1][0]
    names = checkpoint.class_names or tuple(str(i) for i in range(classes))
    x, notes = _inputs(args.images, images, spec.input_shape, checkpoint.dataset,
                       checkpoint.normalisation)  # (N, C, H, W)
    if keras_file:
        probabilities = keras_probabilities(checkpoint.model, x.transpose(0, 2, 3, 1))  # NHWC
    else:
        probabilities = predict(checkpoint.model, x, device=device)  # (N, K), rows sum to 1
    results = []
    for path, row, note in zip(args.images, probabilities, notes, strict=True):
        best = np.argsort(-row, kind="stable")[:args.top]
        results.append({"image": path, "notes": note,
                        "top": [{"label": int(i), "class": names[i],
                                 "probability": round(float(row[i]), 6)} for i in best]})
    if args.json:
        print(json.dumps({"model": entry.name, "checkpoint": str(Path(args.checkpoint)),
                          "dataset": checkpoint.dataset, "predictions": results}, indent=2))
        return 0
    for result in results:
        top = ", ".join(f"{t['class']}: {t['probability']:.3f}" for t in result["top"])
        print(f"{result['image']}: {top}")
        for note in result["notes"]:
            print(f"  ({note})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``predict``."""
    parser = sub.add_parser("predict", help="classify PNG or JPEG pictures with a checkpoint",
                            description=(__doc__ or "").splitlines()[0].replace("``", ""))
    parser.add_argument("checkpoint", help="a checkpoint folder (or its checkpoint.json)")
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="PNG or JPEG files")
    parser.add_argument("--top", type=int, default=3, help="how many classes (default 3)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of lines")
    parser.add_argument("--device", default="auto", help="auto (cuda, mps, cpu), cpu, cuda, ...")
    parser.add_argument("--max-pixels", type=int, default=MAX_PIXELS,
                        help=f"refuse larger pictures (default {MAX_PIXELS:,}, Pillow's)")
    parser.set_defaults(func=run)
