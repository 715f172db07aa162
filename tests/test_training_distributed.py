"""Data parallel ``fit`` under ``torchrun`` (gloo on CPU, two processes on the loopback interface):
the same weights and history as one process with the same global batch, and a failing rank ends
the run instead of hanging it. Plus the sharding of :class:`TensorBatches` and the launch
checks, in one process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="needs the torch extra")

from cnnbook.training import TensorBatches, fit
from cnnbook.training.distributed import (
    init_distributed,
    is_distributed,
    is_main,
    rank,
    world_size,
)
from tests import distributed_worker as worker

ROOT = Path(__file__).resolve().parents[1]
WORKER = ROOT / "tests" / "distributed_worker.py"
TIMEOUT_S = 60  # a hang fails the test instead of blocking the suite


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def torchrun(mode: str, out: Path, processes: int = 2) -> subprocess.CompletedProcess:
    """``torchrun --nproc_per_node=processes tests/distributed_worker.py mode out``."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={processes}",
               "--master_addr=127.0.0.1", f"--master_port={free_port()}", str(WORKER), mode,
               str(out)]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, cwd=ROOT,
                          env=env, check=False)


def max_relative_difference(ours: dict, ref: dict) -> float:
    """The largest ``||ours - ref|| / ||ref||`` over the tensors of two state dicts."""
    assert ours.keys() == ref.keys()
    return max(((ours[k] - ref[k]).norm() / ref[k].norm()).item() for k in ref)


@pytest.mark.slow
def test_two_processes_train_like_one_process_with_the_same_global_batch(tmp_path):
    result = torchrun("train", tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(2)]
    reference, history = worker.train()  # one process, batch 32, the same data order

    for r in ranks:  # DDP keeps the processes' weights identical
        assert max_relative_difference(r["state"], ranks[0]["state"]) == 0.0
    difference = max_relative_difference(ranks[0]["state"], reference.state_dict())
    print(f"max relative weight difference, 2 processes vs 1: {difference:.2e}")
    assert difference <= 1e-5
    assert ranks[0]["history"] == ranks[1]["history"]  # all-reduced: the same everywhere
    assert ranks[0]["history"].keys() == history.history.keys()
    for key, values in history.history.items():
        assert ranks[0]["history"][key] == pytest.approx(values, rel=1e-5, abs=1e-7), key
    assert ranks[0]["params"]["world_size"] == 2 and history.params["world_size"] == 1
    assert ranks[0]["params"]["steps"] == history.params["steps"] == 4  # ceil(100 / 32)
    epoch_lines = [line for line in result.stdout.splitlines() if line.startswith("Epoch ")]
    assert len(epoch_lines) == worker.EPOCHS, result.stdout  # rank 0 prints, rank 1 does not


@pytest.mark.slow
def test_a_failing_rank_ends_torchrun_with_an_error_instead_of_a_hang(tmp_path):
    start = time.perf_counter()
    result = torchrun("fail", tmp_path)  # subprocess.TimeoutExpired if it hangs
    seconds = time.perf_counter() - start
    assert result.returncode != 0
    assert "rank 1 fails on purpose" in result.stdout + result.stderr
    assert not list(tmp_path.glob("rank*.pt"))  # neither rank finished
    assert seconds < TIMEOUT_S


def test_ranks_take_disjoint_slices_of_the_same_global_batches():
    x = torch.arange(10, dtype=torch.float32).view(10, 1, 1, 1)  # (10, 1, 1, 1)
    y = torch.arange(10)
    one = TensorBatches(x, y, batch_size=4, seed=3, device="cpu")
    shards = [TensorBatches(x, y, batch_size=4, seed=3, device="cpu", rank=r, world_size=2)
              for r in range(2)]
    for epoch in (0, 1):
        for batches in (one, *shards):
            batches.set_epoch(epoch)
        whole = [yb for _, yb in one]  # sizes 4, 4, 2
        halves = [[yb for _, yb in s] for s in shards]  # sizes 2, 2, 1 on each rank
        assert [len(h) for h in halves[0]] == [len(h) for h in halves[1]] == [2, 2, 1]
        for b, batch in enumerate(whole):
            assert torch.equal(torch.cat([halves[0][b], halves[1][b]]), batch)
    assert len(one) == len(shards[0]) == 3


def test_even_shards_leave_out_the_remainder_and_validation_shards_keep_everything():
    x = torch.arange(11, dtype=torch.float32).view(11, 1, 1, 1)  # (11, 1, 1, 1)
    y = torch.arange(11)
    train = [TensorBatches(x, y, batch_size=4, seed=0, device="cpu", rank=r, world_size=2)
             for r in range(2)]
    seen = torch.cat([yb for t in train for _, yb in t])
    assert len(seen) == 10 and len(set(seen.tolist())) == 10  # 11 % 2 = 1 left out
    assert len(train[0]) == len(train[1]) == 3  # every rank takes the same number of steps
    val = [TensorBatches(x[:9], y[:9], batch_size=4, shuffle=False, device="cpu", rank=r,
                         world_size=3, even_shards=False) for r in range(3)]
    seen = torch.cat([yb for v in val for _, yb in v])
    assert sorted(seen.tolist()) == list(range(9))  # every sample exactly once
    # batches of 4, 4, 1: ranks 0 and 1 get nothing of the last one and yield one batch fewer
    assert [len(v) for v in val] == [len(list(v)) for v in val] == [2, 2, 3]
    with pytest.raises(ValueError, match="must be a multiple of the 3 processes"):
        TensorBatches(x, y, batch_size=4, device="cpu", rank=0, world_size=3)
    with pytest.raises(ValueError, match="need 0 <= rank < world_size"):
        TensorBatches(x, y, device="cpu", rank=2, world_size=2)


def test_one_process_is_not_distributed_and_a_torchrun_launch_needs_init(monkeypatch):
    assert not is_distributed() and (rank(), world_size(), is_main()) == (0, 1, True)
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert init_distributed() is False  # plain `python`: nothing to join
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(RuntimeError, match="call cnnbook.training.distributed.init_distributed"):
        fit(worker.TinyNet(), worker.data(), epochs=1, device="cpu", verbose=0)
