"""Smoke runs of the benchmarks, so they cannot rot: structure and positive numbers, no timings.

- ``bench/bench_training.py`` (cnnbook ``fit`` vs a hand-written loop, one process);
- ``cnnbook.benchmarks`` (one worker process per framework, as the three-frameworks chapter uses).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from cnnbook.benchmarks.runner import (
    Workers,
    available,
    missing_modules,
    rotations,
    speed_table,
    train_each,
)

ROOT = Path(__file__).resolve().parents[1]


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_training",
                                                  ROOT / "bench" / "bench_training.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_training_smoke_writes_json(tmp_path):
    out = tmp_path / "training.json"
    result = load_bench().main(["--smoke", "--device", "cpu", "--batch-sizes", "8", "32",
                                "--out", str(out)])
    saved = json.loads(out.read_text())
    assert saved == json.loads(json.dumps(result))
    assert {"model", "device", "torch", "repeats", "configs", "skipped", "rows"} <= saved.keys()
    # every configuration the CPU runs (bf16 autocast runs on any CPU), at both batch sizes
    assert saved["configs"] == ["default", "channels_last", "bf16"] and not saved["skipped"]
    assert [(row["config"], row["batch_size"]) for row in saved["rows"]] == [
        (config, batch) for config in saved["configs"] for batch in (8, 32)]
    for row in saved["rows"]:
        assert row["images"] == row["steps"] * row["batch_size"]
        assert len(row["fit_images_per_s"]) == len(row["loop_images_per_s"]) == saved["repeats"]
        assert row["fit_median"] > 0 and row["loop_median"] > 0
        assert row["ratio"] == pytest.approx(row["fit_median"] / row["loop_median"])


def test_bench_training_rejects_bad_arguments():
    with pytest.raises(SystemExit):
        load_bench().main(["--repeats", "0"])
    with pytest.raises(SystemExit):
        load_bench().main(["--configs", "fp8"])


def test_bench_training_skips_what_the_device_cannot_run():
    kept, skipped = load_bench().runnable(["default", "bf16"], torch.device("cpu"))
    assert kept == ["default", "bf16"] and skipped == {}
    from cnnbook.training.speed import Speed

    bench = load_bench()
    bench.CONFIGS["fp16"] = Speed(precision="fp16")
    kept, skipped = bench.runnable(["default", "fp16"], torch.device("cpu"))
    assert kept == ["default"] and "needs a CUDA GPU" in skipped["fp16"]


def test_rotations_put_each_framework_first_in_turn():
    assert rotations(["a", "b", "c"], 4) == [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"],
                                             ["a", "b", "c"]]


def test_available_reports_what_is_missing():
    runnable, skipped = available()
    assert "torch loop" in runnable and "cnnbook fit" in runnable
    for name, reason in skipped.items():
        assert reason.startswith("not installed: ") and missing_modules(name)
    with pytest.raises(ValueError, match="unknown framework"):
        missing_modules("caffe")


@pytest.mark.slow
def test_workers_train_and_time_in_separate_processes(monkeypatch):
    """Two frameworks, one step each: rows come back complete and positive."""
    frameworks = ["torch loop", "cnnbook fit"]
    if importlib.util.find_spec("keras") is not None:
        frameworks.insert(0, "keras/torch")
    with Workers(frameworks) as workers:
        assert set(workers.versions) == set(frameworks)
        rows = speed_table(workers, batch_size=16, steps=1, repeats=2, seed=0)
        assert [r["framework"] for r in rows] == frameworks
        for r in rows:
            assert r["runs"] == 2
            assert 0 < r["train_min"] <= r["train_median"] <= r["train_max"]
            assert r["infer_median"] > 0
        with pytest.raises(RuntimeError, match="unknown task"):
            workers["torch loop"].ask("dance")


@pytest.mark.slow
@pytest.mark.usefixtures("shared_data")
def test_workers_train_on_real_mnist():
    with Workers(["cnnbook fit"]) as workers:
        (row,) = train_each(workers, limit=200, test_limit=500, epochs=1, batch_size=50,
                            seed=0)
    assert row["framework"] == "cnnbook fit"
    assert (row["train_images"], row["test_images"]) == (200, 500)
    assert 0.15 < row["accuracy"] <= 1, f"no better than chance: {row}"  # 10 classes
    assert row["seconds"] > 0
