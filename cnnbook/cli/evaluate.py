"""``cnnbook evaluate CHECKPOINT``: test accuracy, per-class accuracy and a confusion matrix.

    cnnbook evaluate runs/digits              # a folder written by `cnnbook train`

Reads the test split of the dataset the checkpoint names, normalises it with the checkpoint's
per-channel statistics, and predicts in eval mode. Prints the accuracy and one line per class
(its accuracy: the share of its test images predicted as that class), and writes into ``--out``
(default: the checkpoint folder) ``evaluation.json`` (the numbers and the confusion matrix, rows
the true class) and ``confusion_matrix.png`` (:func:`cnnbook.plots.plot_confusion_matrix`, which
needs scikit-learn; without it the PNG is skipped with a note). A file that is not a checkpoint,
or a checkpoint whose model does not fit its dataset, is a one-line error (exit status 2).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from cnnbook.cli import BadInput
from cnnbook.cli._common import (
    check_fit,
    device as checked_device,
    get_data,
    get_model,
    open_checkpoint,
    write_json,
)
from cnnbook.datasets.fetch import locate
from cnnbook.datasets.loaders import load

EVALUATION = "evaluation.json"
CONFUSION = "confusion_matrix.png"


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts ``(K, K)``: row ``i``, column ``j`` = images of class ``i`` predicted as ``j``."""
    y_true, y_pred = np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)
    counts = np.bincount(y_true * num_classes + y_pred, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def run(args: argparse.Namespace) -> int:
    """Evaluate the checkpoint on its dataset's test split."""
    from cnnbook.datasets.torch_data import to_tensors  # torch from here on
    from cnnbook.training import predict

    device = checked_device(args.device)
    checkpoint = open_checkpoint(args.checkpoint, device=device)
    if not checkpoint.dataset:
        raise BadInput(f"{checkpoint.path}: the checkpoint names no dataset to evaluate on")
    entry, dataset = get_model(checkpoint.name), get_data(checkpoint.dataset)
    check_fit(entry, dataset, entry.spec_for(**checkpoint.model_kwargs))
    names = checkpoint.class_names or dataset.class_names
    if len(names) != dataset.num_classes:
        raise BadInput(f"{checkpoint.path}: {len(names)} class names for {dataset.num_classes} "
                       f"classes of {dataset.name}")
    _, (x_test, y_test) = load(dataset.name, limit=1, test_limit=args.limit, seed=0)
    mean, std = checkpoint.normalisation or (None, None)
    x, _ = to_tensors(x_test, y_test, mean, std)  # float32 (N, C, H, W)
    y_pred = predict(checkpoint.model, x, device=device).argmax(1).cpu().numpy()  # (N,)
    matrix = confusion_matrix(y_test, y_pred, dataset.num_classes)  # (K, K)
    per_class = np.diag(matrix) / np.maximum(matrix.sum(axis=1), 1)  # (K,)
    accuracy = float(np.trace(matrix) / matrix.sum())

    print(f"{entry.name} (epoch {checkpoint.epoch}) on {dataset.name}: {len(y_test):,} test "
          f"images from {locate(dataset.name).describe()}")
    print(f"test accuracy: {accuracy:.4f}\nper-class accuracy:")
    width = max(len(n) for n in names)
    for name, value, count in zip(names, per_class, matrix.sum(axis=1), strict=True):
        print(f"  {name:<{width}}  {value:.4f}  ({count:,} images)")
    out = Path(args.out) if args.out is not None else checkpoint.path
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / EVALUATION, {
        "model": entry.name, "checkpoint_epoch": checkpoint.epoch, "dataset": dataset.name,
        "images": len(y_test), "accuracy": accuracy, "class_names": list(names),
        "per_class_accuracy": dict(zip(names, per_class.tolist(), strict=True)),
        "confusion_matrix": matrix.tolist()})
    written = [out / EVALUATION]
    try:
        from cnnbook.plots import plot_confusion_matrix

        fig = plot_confusion_matrix(y_test, y_pred, names,
                                    title=f"{entry.name} on the {dataset.name} test set")
    except ImportError as err:
        print(f"note: {CONFUSION} skipped: {err}")
    else:
        fig.savefig(out / CONFUSION)
        written.append(out / CONFUSION)
    print(f"wrote {', '.join(str(p) for p in written)}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``evaluate``."""
    parser = sub.add_parser("evaluate", help="test accuracy, per class, and a confusion matrix",
                            description=(__doc__ or "").splitlines()[0].replace("``", ""))
    parser.add_argument("checkpoint", help="a checkpoint folder (or its checkpoint.json)")
    parser.add_argument("--limit", type=int, default=None,
                        help="at most this many test images, class-balanced (default: all)")
    parser.add_argument("--device", default="auto", help="auto (cuda, mps, cpu), cpu, cuda, ...")
    parser.add_argument("--out", help="where to write the files (default: the checkpoint folder)")
    parser.set_defaults(func=run)
