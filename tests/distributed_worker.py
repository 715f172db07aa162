"""One small training run for ``tests/test_training_distributed.py``: launched by ``torchrun`` on
several processes, or called in the test's own process as the one-process reference.

    python -m torch.distributed.run --nproc_per_node=2 --master_addr=127.0.0.1 \\
        --master_port=PORT tests/distributed_worker.py train OUT_FOLDER
    ... tests/distributed_worker.py fail OUT_FOLDER     # rank 1 raises in its second step

The script is the same as a one-process script plus ``init_distributed()``: ``fit`` is called
exactly as on one process. Each rank saves its weights and history to ``OUT_FOLDER/rank<r>.pt``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from torch import nn

from cnnbook.training import History, fit
from cnnbook.training.distributed import close_distributed, init_distributed, rank

TRAIN, VALIDATION = 100, 51  # 100 = 3 batches of 32 + 4: the last global batch is partial
BATCH, EPOCHS, SEED = 32, 2, 0


class TinyNet(nn.Module):
    """Deterministic (no dropout, no batch norm): conv, ReLU, max pool, linear; NCHW input
    ``(N, 1, 8, 8)``."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)  # (N, 4, 6, 6)
        self.pool = nn.MaxPool2d(2)  # (N, 4, 3, 3)
        self.head = nn.Linear(4 * 3 * 3, 3)  # (N, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.pool(torch.relu(self.conv(x))).flatten(1))


def data() -> tuple[torch.Tensor, torch.Tensor]:
    """Random images ``(151, 1, 8, 8)`` whose class (of 3) depends on their brightness."""
    generator = torch.Generator().manual_seed(123)
    x = torch.rand(TRAIN + VALIDATION, 1, 8, 8, generator=generator)  # (151, 1, 8, 8)
    y = torch.bucketize(x.mean((1, 2, 3)), torch.tensor([0.49, 0.51]))  # (151,) in {0, 1, 2}
    return x, y


def train(loss=None, verbose: int = 0) -> tuple[nn.Module, History]:
    """The run: a fresh TinyNet, the default Adam, ``EPOCHS`` epochs of global batch ``BATCH``."""
    x, y = data()
    torch.manual_seed(1)
    model = TinyNet()
    history = fit(model, (x[:TRAIN], y[:TRAIN]), epochs=EPOCHS, batch_size=BATCH, seed=SEED,
                  validation_data=(x[TRAIN:], y[TRAIN:]), device="cpu", verbose=verbose,
                  loss=loss)
    return model, history


class FailingLoss(nn.CrossEntropyLoss):
    """Cross-entropy that raises on rank 1 in its second call, while rank 0 trains on."""

    calls = 0

    def forward(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if rank() == 1 and self.calls == 2:
            raise RuntimeError("rank 1 fails on purpose")
        return super().forward(logits, y)


def main(argv: list[str]) -> None:
    mode, out = argv
    init_distributed()  # the one line a one-process script adds
    model, history = train(FailingLoss() if mode == "fail" else None, verbose=2)
    torch.save({"state": model.state_dict(), "history": history.history,
                "params": history.params}, Path(out) / f"rank{rank()}.pt")
    close_distributed()


if __name__ == "__main__":
    main(sys.argv[1:])
