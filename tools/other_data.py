"""Derive a second offline data folder from the first, with other counts and another order.

The stored outputs that nbval compares must not depend on which data a build read: the published
edition reads the canonical files, this machine an offline folder. To check that here, this tool
writes a folder in the same formats (MNIST and Fashion-MNIST as gzipped IDX files, CIFAR-10 as
"python version" batches) that keeps a random ``fraction`` of each class of a split, shuffled, and
the notebooks are run against it. It varies what varies between editions: the training splits and
CIFAR-10's test split (the offline folder holds a subset of it). The MNIST and Fashion-MNIST test
splits are the canonical files in every edition (the data chapter asserts MNIST's class counts), so
they are copied whole, in their order:

    python -m tools.other_data ../shared/data /tmp/other-data --fraction 0.9 --seed 1
    CNNBOOK_DATA_DIR=/tmp/other-data .venv/bin/python -m pytest --nbval book

Nothing is written in place: the folder is built beside ``dest`` and renamed at the end, and an
existing ``dest`` is an error.
"""

from __future__ import annotations

import argparse
import pickle
import shutil
import sys
from pathlib import Path

import numpy as np

from cnnbook.datasets.cifar import TEST_BATCH, batch_names, read_batch
from cnnbook.datasets.idx import find_idx, read_idx, write_idx

IDX_SETS = ("mnist", "fashion-mnist")
IDX_SPLITS = (("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
              ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"))
CIFAR = "cifar-10-batches-py"


def keep(labels: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """A shuffled index that keeps ``round(n_c * fraction)`` (at least one) of each class ``c``:
    stratified, so that a split that is balanced (CIFAR-10's test set) stays balanced."""
    parts = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        parts.append(rng.permutation(members)[:max(1, round(len(members) * fraction))])
    return rng.permutation(np.concatenate(parts))


def derive_idx(src: Path, dst: Path, fraction: float, rng: np.random.Generator) -> dict[str, int]:
    """Write each split of one IDX dataset folder (the test split whole); returns the images kept
    per split file."""
    dst.mkdir(parents=True)
    counts = {}
    for images_name, labels_name in IDX_SPLITS:
        images_path, labels_path = find_idx(src, images_name), find_idx(src, labels_name)
        if images_path is None or labels_path is None:
            raise FileNotFoundError(f"{src}: needs {images_name} and {labels_name}")
        images, labels = read_idx(images_path), read_idx(labels_path)
        whole = images_name.startswith("t10k")
        index = np.arange(len(labels)) if whole else keep(labels, fraction, rng)
        write_idx(dst / images_name, images[index])
        write_idx(dst / labels_name, labels[index])
        counts[images_name] = len(index)
    return counts


def derive_cifar(src: Path, dst: Path, fraction: float, rng: np.random.Generator) -> dict[str, int]:
    """Write CIFAR-10 batches: the training batches pooled, cut and dealt into as many batches."""
    dst.mkdir(parents=True)
    names = batch_names(sorted(p.name for p in src.iterdir()))
    parts = [read_batch(src / name) for name in names]
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    index = keep(labels, fraction, rng)
    counts = {}
    for k, chunk in enumerate(np.array_split(index, len(names)), start=1):
        counts[f"data_batch_{k}"] = _write_batch(dst / f"data_batch_{k}", images[chunk],
                                                 labels[chunk])
    test_images, test_labels = read_batch(src / TEST_BATCH)
    index = keep(test_labels, fraction, rng)
    counts[TEST_BATCH] = _write_batch(dst / TEST_BATCH, test_images[index], test_labels[index])
    if (src / "batches.meta").is_file():
        shutil.copy2(src / "batches.meta", dst / "batches.meta")
    return counts


def _write_batch(path: Path, images: np.ndarray, labels: np.ndarray) -> int:
    # (N, 32, 32, 3) back to the file's (N, 3072) rows of three planes, R then G then B
    data = np.ascontiguousarray(images.transpose(0, 3, 1, 2).reshape(len(images), -1))
    batch = {b"batch_label": path.name.encode(), b"labels": [int(v) for v in labels],
             b"data": data, b"filenames": [f"{i}.png".encode() for i in range(len(labels))]}
    path.write_bytes(pickle.dumps(batch, protocol=4))
    return len(labels)


def derive(src: Path, dst: Path, fraction: float, seed: int) -> dict[str, dict[str, int]]:
    """Write the derived folder ``dst`` from ``src`` (only the datasets ``src`` holds)."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    if dst.exists():
        raise FileExistsError(f"{dst} exists; choose a new folder")
    rng = np.random.default_rng(seed)
    partial = dst.with_name(dst.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    counts = {}
    try:
        for name in IDX_SETS:
            if (src / name).is_dir():
                counts[name] = derive_idx(src / name, partial / name, fraction, rng)
        if (src / CIFAR).is_dir():
            counts[CIFAR] = derive_cifar(src / CIFAR, partial / CIFAR, fraction, rng)
        if not counts:
            raise FileNotFoundError(f"{src} holds none of {', '.join((*IDX_SETS, CIFAR))}")
        partial.rename(dst)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path, help="an offline data folder (CNNBOOK_DATA_DIR layout)")
    parser.add_argument("dst", type=Path, help="the new folder (must not exist)")
    parser.add_argument("--fraction", type=float, default=0.9,
                        help="share of every split to keep (default 0.9)")
    parser.add_argument("--seed", type=int, default=1, help="shuffling seed (default 1)")
    args = parser.parse_args(argv)
    try:
        counts = derive(args.src, args.dst, args.fraction, args.seed)
    except (OSError, ValueError) as err:
        print(f"other_data: {err}", file=sys.stderr)
        return 2
    for dataset, files in counts.items():
        print(dataset + ": " + ", ".join(f"{name} {n:,}" for name, n in files.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
