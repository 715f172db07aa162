"""``fit`` unchanged under ``torchrun``: a short Fashion-MNIST run, one process or several.

    python -m cnnbook.benchmarks.data_parallel --limit 6000                  # one process
    torchrun --standalone --nproc_per_node=2 -m cnnbook.benchmarks.data_parallel --limit 6000

The script is a one-process training script plus one line, :func:`init_distributed` (a no-op
under plain ``python``). It trains the torch twin of the post's Keras model (catalogue
``post_keras``) on ``--limit`` class-balanced Fashion-MNIST images (NCHW float32 in [0, 1]) for
``--epochs`` epochs with the **global** batch ``--batch-size``, the last tenth held out for
validation, and rank 0 prints one line ``@@cnnbook {json}``: the world size, the batch per
process, torch's threads per process, the training seconds, images per second and the final
validation accuracy. The backend is gloo on CPU and nccl on CUDA (:mod:`~cnnbook.training
.distributed`); ``torchrun`` gives every process ``OMP_NUM_THREADS=1`` unless it is set.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from cnnbook._optional import needs

with needs("torch"):
    import torch

from cnnbook.benchmarks.worker import DEFAULT_MODEL, PREFIX
from cnnbook.models import catalogue
from cnnbook.training import fit, resolve_device, sync
from cnnbook.training.distributed import (
    close_distributed,
    init_distributed,
    is_main,
    world_size,
)

__all__ = ["main", "train"]


def train(limit: int, epochs: int, batch_size: int, seed: int = 0) -> dict[str, Any]:
    """One run of ``fit`` (data parallel when a process group is initialised); every process
    returns the same summary (the history is all-reduced)."""
    from cnnbook.datasets import load_fashion_mnist
    from cnnbook.datasets.torch_data import to_tensors

    (x, y), _ = load_fashion_mnist(limit=limit, test_limit=10, seed=seed)
    x_t, y_t = to_tensors(x, y)  # (N, 1, 28, 28) float32, (N,) int64
    torch.manual_seed(seed)
    model = catalogue.get(DEFAULT_MODEL).build("torch")
    device = resolve_device("auto")
    start = time.perf_counter()
    history = fit(model, (x_t, y_t), epochs=epochs, batch_size=batch_size, seed=seed,
                  validation_split=0.1, device=device, verbose=0)
    sync(device)
    seconds = time.perf_counter() - start  # includes the validation passes
    trained = epochs * (len(x_t) - len(x_t) // 10)
    return {"world_size": world_size(), "batch_per_process": batch_size // world_size(),
            "threads_per_process": torch.get_num_threads(), "seconds": seconds,
            "images_per_s": trained / seconds,
            "val_accuracy": history.history["val_accuracy"][-1]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="fit under torchrun (or one process)")
    parser.add_argument("--limit", type=int, default=6000, help="training images (balanced)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=256, help="the global batch")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    init_distributed()  # the one line a one-process script adds
    try:
        result = train(args.limit, args.epochs, args.batch_size, args.seed)
        if is_main():
            print(PREFIX + json.dumps(result), flush=True)
    finally:
        close_distributed()


if __name__ == "__main__":
    main()
