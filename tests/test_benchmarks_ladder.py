"""The time-to-accuracy ladder (``cnnbook.benchmarks.ladder`` and its rung worker), the tutorial
loop it starts from, and the ``torchrun`` demo script: structure, stopping rule and real training
on a few Fashion-MNIST images. No timing is asserted."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

torch = pytest.importorskip("torch", reason="needs the torch extra")

from cnnbook.benchmarks import data_parallel
from cnnbook.benchmarks.ladder import (
    RUNGS,
    Settings,
    format_table,
    run_ladder,
    skip_reason,
    summarise,
)
from cnnbook.benchmarks.rung import Memory, Stretches, load_data, train_to_target
from cnnbook.benchmarks.worker import PREFIX
from cnnbook.training.loops import hand_written_epoch, tutorial_steps

SPEED_FIELDS = ("loader", "sync_each_step", "batch_size", "one_cycle", "channels_last",
                "precision", "compile")


def test_each_rung_adds_one_change_to_the_one_before():
    assert RUNGS[0].loader == "dataloader" and RUNGS[0].sync_each_step
    assert RUNGS[0].batch_size == 128 and RUNGS[0].precision == "fp32"
    assert len({rung.name for rung in RUNGS}) == len(RUNGS) == 7
    for before, after in zip(RUNGS, RUNGS[1:], strict=False):
        changed = [f for f in SPEED_FIELDS if getattr(before, f) != getattr(after, f)]
        assert changed, after.name
        # the larger batch and its schedule come together: one idea
        assert len(changed) == 1 or set(changed) == {"batch_size", "one_cycle"}, changed
    assert RUNGS[-1].compile and RUNGS[-1].precision == "bf16" and RUNGS[-1].channels_last


def test_settings_reject_nonsense_and_pick_the_batch():
    with pytest.raises(ValueError, match="validation"):
        Settings(validation=0.0)
    with pytest.raises(ValueError, match="target"):
        Settings(target=1.5)
    with pytest.raises(ValueError, match="positive"):
        Settings(check_every=0)
    settings = Settings(large_batch=256)
    assert [settings.batch_size(r) for r in RUNGS] == [128, 128, 128, 256, 256, 256, 256]


def test_skip_reason_only_for_what_the_device_cannot_do():
    bf16 = RUNGS[5]
    assert skip_reason(bf16, "cpu", native_bf16=False) is None  # slow, but it runs: shown
    assert "no bf16" in skip_reason(bf16, "cuda", native_bf16=False)
    assert skip_reason(bf16, "cuda:0", native_bf16=True) is None
    assert skip_reason(RUNGS[0], "mps", native_bf16=False) is None


def run(seconds, accuracy=0.8, **extra):
    return {"seconds_to_target": seconds, "train_s": 10.0 if seconds is None else seconds,
            "images_per_s": 100.0, "test_accuracy": accuracy, "peak_mib": 500.0,
            "compile_s": None, "epochs": 1.0, "memory": "peak RSS",
            "curve": [[0.0, 0.1], [1.0, accuracy]], **extra}


def test_summarise_counts_a_run_that_missed_the_target_as_slowest():
    settings = Settings(target=0.8)
    row = summarise(RUNGS[0], [run(3.0), run(None), run(5.0)], settings)
    assert row["reached"] == 2 and row["seconds"] == 5.0  # median of 3, 5, inf
    row = summarise(RUNGS[0], [run(3.0), run(None), run(None)], settings)
    assert row["seconds"] is None and row["reached"] == 1
    skipped = summarise(RUNGS[5], [], settings, skipped="no bf16")
    table = format_table([row, skipped])
    assert "not reached" in table and "skipped: no bf16" in table


def test_summarise_reports_the_first_compile_apart_from_the_later_ones():
    runs = [run(4.0, compile_s=31.0), run(3.0, compile_s=0.2), run(5.0, compile_s=0.4)]
    row = summarise(RUNGS[6], runs, Settings(target=0.8))
    assert row["compile_s"] == 31.0  # the first run, in a fresh process
    assert row["compile_warm_s"] == pytest.approx(0.3)
    assert summarise(RUNGS[6], runs[:1], Settings())["compile_warm_s"] is None
    assert summarise(RUNGS[0], [run(3.0)], Settings())["compile_s"] is None


def test_tutorial_steps_train_like_the_minimal_loop_and_read_every_loss():
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(64, 1, 8, 8, generator=generator)  # (64, 1, 8, 8)
    y = torch.randint(0, 3, (64,), generator=generator)  # (64,)
    batches = [(x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)]
    models = []
    for loop in ("tutorial", "minimal"):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        if loop == "tutorial":
            losses = tutorial_steps(model, batches, optimizer, torch.nn.CrossEntropyLoss(),
                                    torch.device("cpu"))
        else:
            hand_written_epoch(model, batches, optimizer, torch.nn.CrossEntropyLoss())
        models.append(model)
    assert len(losses) == 4 and all(isinstance(v, float) for v in losses)
    for a, b in zip(models[0].parameters(), models[1].parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_stretches_show_every_image_once_per_epoch():
    x = torch.arange(10, dtype=torch.float32).view(10, 1, 1, 1)  # (10, 1, 1, 1)
    batches = Stretches(x, torch.arange(10), batch_size=2, stretch=4, seed=0,
                        device=torch.device("cpu"))
    assert len(batches) == 2
    seen = [int(v) for _ in range(5) for xb, _ in batches for v in xb.flatten()]  # 20 = 2 epochs
    assert len(seen) == 20
    assert sorted(seen[:10]) == list(range(10)) and sorted(seen[10:]) == list(range(10))


def test_memory_reports_a_peak_on_cpu():
    memory = Memory(torch.device("cpu"))
    memory.reset()
    assert memory.what == "peak RSS" and memory.peak_mib() > 10


@pytest.fixture(scope="module")
def small():
    settings = Settings(limit=600, test_limit=200, target=0.99, max_epochs=1.0,
                        check_every=256, large_batch=256)
    return settings, load_data(settings)


@pytest.mark.parametrize("rung", [RUNGS[0], RUNGS[3]], ids=lambda r: r.name)
def test_a_rung_stops_at_the_cap_when_the_target_is_out_of_reach(small, rung):
    settings, data = small
    result = train_to_target(rung, settings, data, torch.device("cpu"))
    assert result["seconds_to_target"] is None
    assert len(data[0][0]) == 540 and len(data[1][0]) == 60  # 10% held out
    assert result["images"] == 512 and math.isclose(result["epochs"], 512 / 540)  # 2 stretches
    assert [point[0] for point in result["curve"]][0] == 0.0 and len(result["curve"]) == 3
    times = [point[0] for point in result["curve"]]
    assert times == sorted(times)
    assert result["compile_s"] is None and result["peak_mib"] > 0
    assert 0.0 <= result["test_accuracy"] <= 1.0


def test_a_rung_stops_as_soon_as_it_reaches_the_target(small):
    settings, data = small
    easy = dataclasses.replace(settings, target=0.3)
    result = train_to_target(RUNGS[2], easy, data, torch.device("cpu"))
    assert result["seconds_to_target"] == result["train_s"] > 0
    assert result["val_accuracy"] >= 0.3
    assert all(accuracy < 0.3 for _, accuracy in result["curve"][:-1])  # not one check later


@pytest.mark.slow
def test_run_ladder_runs_each_rung_in_its_own_process():
    settings = Settings(limit=300, test_limit=100, target=0.99, max_epochs=0.5,
                        check_every=128, large_batch=128)
    rows = run_ladder(settings, repeats=1, rungs=(RUNGS[1], RUNGS[2]))
    assert [row["rung"] for row in rows] == [RUNGS[1].name, RUNGS[2].name]
    assert all(row["runs"] == 1 and row["seconds"] is None for row in rows)
    assert all(row["images_per_s"] > 0 and row["memory"] == "peak RSS" for row in rows)


def test_data_parallel_script_runs_as_one_process(capsys):
    data_parallel.main(["--limit", "300", "--batch-size", "64"])
    line = next(s for s in capsys.readouterr().out.splitlines() if s.startswith(PREFIX))
    result = json.loads(line[len(PREFIX):])
    assert result["world_size"] == 1 and result["batch_per_process"] == 64
    assert 0.0 <= result["val_accuracy"] <= 1.0 and result["images_per_s"] > 0
