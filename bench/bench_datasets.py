"""Time the loaders on the offline folder: median of several repeats, printed and saved as JSON.

    CNNBOOK_DATA_DIR=/path/to/data python bench/bench_datasets.py [--repeats 7] [--out FILE]

Goals (2-core CPU): load_mnist <= 0.2 s, load_cifar10 (12k images) <= 0.5 s,
load_fashion_mnist <= 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

from cnnbook import config
from cnnbook.datasets import describe_data, load_cifar10, load_fashion_mnist, load_mnist

GOALS_S = {"load_mnist": 0.2, "load_cifar10": 0.5, "load_fashion_mnist": 0.5}
LOADERS = {"load_mnist": ("mnist", load_mnist), "load_cifar10": ("cifar10", load_cifar10),
           "load_fashion_mnist": ("fashion-mnist", load_fashion_mnist)}
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "datasets.json"


def bench(repeats: int) -> list[dict]:
    rows = []
    for label, (name, load) in LOADERS.items():
        (x, _), (xt, _) = load()  # warm-up: imports and the OS page cache
        times, cpu = [], []
        for _ in range(repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            load()
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        median = statistics.median(times)
        # CPU seconds (all threads) tell the cost apart from contention on a shared machine.
        rows.append({"loader": label, "data": describe_data(name, x, xt), "median_s": median,
                     "min_s": min(times), "max_s": max(times),
                     "cpu_median_s": statistics.median(cpu),
                     "load_average": os.getloadavg()[0], "repeats": repeats,
                     "goal_s": GOALS_S[label], "meets_goal": median <= GOALS_S[label]})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file")
    args = parser.parse_args(argv)
    if config.data_dir() is None:
        parser.error(f"set {config.DATA_DIR_VAR} to the offline data folder")
    rows = bench(args.repeats)
    print(f"{'loader':<20}{'median s':>10}{'min s':>8}{'max s':>8}{'cpu s':>8}{'goal s':>8}"
          "  ok  data")
    for r in rows:
        print(f"{r['loader']:<20}{r['median_s']:>10.3f}{r['min_s']:>8.3f}{r['max_s']:>8.3f}"
              f"{r['cpu_median_s']:>8.3f}"
              f"{r['goal_s']:>8.1f}  {'yes' if r['meets_goal'] else 'NO ':<3} {r['data']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"python": platform.python_version(), "machine": platform.machine(),
            "cpus": os.cpu_count(), "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    args.out.write_text(json.dumps({"meta": meta, "results": rows}, indent=2) + "\n")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; wrote {args.out}")
    return 0 if all(r["meets_goal"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
