"""Drive one process per framework and compare them fairly (light: imports no framework).

A Keras backend is chosen once per process, when Keras is first imported, so each framework runs
in its own worker process (:mod:`cnnbook.benchmarks.worker`, started with ``sys.executable -m``,
so no path depends on the working directory). The workers import their framework in parallel,
then the runner sends them requests **one at a time, in rotating order** (A B C D, B C D A, ...):
no two measurements overlap, and slow drift of the machine (heat, other load) spreads over every
framework instead of biasing the one measured last.

    with Workers(["keras/torch", "torch loop"]) as workers:
        rows = speed_table(workers, batch_size=128, steps=20, repeats=3)
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

from cnnbook.benchmarks.worker import DEFAULT_MODEL, FRAMEWORKS, PREFIX

NEEDS = {  # framework -> the modules it needs
    "keras/tensorflow": ("keras", "tensorflow"),
    "keras/torch": ("keras", "torch"),
    "keras/jax": ("keras", "jax"),
    "torch loop": ("torch",),
    "cnnbook fit": ("torch",),
}


def missing_modules(framework: str) -> list[str]:
    """The modules ``framework`` needs that are not installed (empty when it can run)."""
    if framework not in NEEDS:
        raise ValueError(f"unknown framework {framework!r}; choose from {', '.join(FRAMEWORKS)}")
    return [m for m in NEEDS[framework] if importlib.util.find_spec(m) is None]


def available(frameworks: tuple[str, ...] = FRAMEWORKS) -> tuple[list[str], dict[str, str]]:
    """``(runnable, skipped)``: the frameworks that can run here, and why the others cannot."""
    runnable, skipped = [], {}
    for name in frameworks:
        missing = missing_modules(name)
        if missing:
            skipped[name] = f"not installed: {', '.join(missing)}"
        else:
            runnable.append(name)
    return runnable, skipped


@dataclass
class Worker:
    """One framework's process serving one catalogue ``model``; :meth:`ask` sends a request and
    waits for the answer."""

    framework: str
    model: str = DEFAULT_MODEL
    process: subprocess.Popen = field(init=False, repr=False)
    log: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
                   CNNBOOK_PROGRESS="0", PYTHONUNBUFFERED="1")
        if self.framework.startswith("keras/"):
            env["KERAS_BACKEND"] = self.framework.split("/", 1)[1]
        # The worker's stderr, shown on failure; it lives as long as the worker (closed in close()).
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
        self.process = subprocess.Popen(
            self.argv(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
            text=True, env=env)

    def argv(self) -> list[str]:
        """The worker's command line (a subclass may start another worker module)."""
        return [sys.executable, "-m", "cnnbook.benchmarks.worker", "--framework", self.framework,
                "--model", self.model]

    def send(self, task: str, **args: Any) -> None:
        assert self.process.stdin is not None  # opened with stdin=PIPE
        self.process.stdin.write(json.dumps({"task": task, **args}) + "\n")
        self.process.stdin.flush()

    def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None  # opened with stdout=PIPE
        for line in self.process.stdout:
            if line.startswith(PREFIX):
                answer = json.loads(line[len(PREFIX):])
                if "error" in answer:
                    raise RuntimeError(f"{self.framework} worker: {answer['error']}")
                return answer
        self.log.seek(0)
        tail = "".join(self.log.readlines()[-15:])
        raise RuntimeError(f"{self.framework} worker exited ({self.process.wait()}):\n{tail}")

    def ask(self, task: str, **args: Any) -> dict[str, Any]:
        self.send(task, **args)
        return self.receive()

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.send("exit")
                self.process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self.log.close()


class Workers(dict):
    """``{framework: Worker}``, started together and ready (imports done) on ``__enter__``; every
    worker serves the same catalogue ``model``. ``worker`` builds each one (default
    :class:`Worker`; :mod:`cnnbook.benchmarks.ladder` passes its rung workers)."""

    def __init__(self, frameworks: list[str], model: str = DEFAULT_MODEL,
                 worker: Callable[[str, str], Worker] = Worker) -> None:
        super().__init__((name, worker(name, model)) for name in frameworks)

    def __enter__(self) -> Self:
        return self.wait_ready()

    def wait_ready(self) -> Self:
        """Block until every worker has imported its framework; returns ``self``.

        ``self.versions`` then maps each framework to its versions and import seconds.
        """
        try:
            for worker in self.values():
                worker.send("ready")  # every worker imports at once ...
            self.versions = {name: w.receive() for name, w in self.items()}  # ... then we wait
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for worker in self.values():
            worker.close()


def rotations(names: list[str], repeats: int) -> list[list[str]]:
    """Run orders for each repeat: ``[A, B, C], [B, C, A], [C, A, B], [A, B, C] ...``."""
    return [names[r % len(names):] + names[:r % len(names)] for r in range(repeats)]


def speed_table(workers: Workers, *, batch_size: int, steps: int, repeats: int,
                seed: int = 0) -> list[dict[str, Any]]:
    """Median and spread (min..max) of training and inference images/s per framework."""
    if repeats < 1 or steps < 1:
        raise ValueError(f"repeats and steps must be >= 1, got {repeats} and {steps}")
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in workers}
    for order in rotations(list(workers), repeats):
        for name in order:
            samples[name].append(workers[name].ask("speed", batch_size=batch_size, steps=steps,
                                                   seed=seed))
    rows = []
    for name, runs in samples.items():
        row: dict[str, Any] = {"framework": name, "runs": len(runs)}
        for kind in ("train", "infer"):
            values = [run[f"{kind}_images_per_s"] for run in runs]
            row[f"{kind}_median"] = statistics.median(values)
            row[f"{kind}_min"], row[f"{kind}_max"] = min(values), max(values)
        rows.append(row)
    return rows


def train_each(workers: Workers, *, limit: int | None, epochs: int,
               test_limit: int | None = None, batch_size: int = 128,
               seed: int = 0) -> list[dict[str, Any]]:
    """Train the same model in each worker, one after the other, on ``limit`` images of its
    dataset.

    Returns one row per worker: ``framework``, test ``accuracy`` (on ``test_limit`` images,
    balanced per class; ``None``: all), training ``seconds``, ``train_images``, ``test_images``.
    """
    return [{"framework": name, **worker.ask("train", limit=limit, test_limit=test_limit,
                                             epochs=epochs, batch_size=batch_size, seed=seed)}
            for name, worker in workers.items()]


def relative_to(rows: list[dict[str, Any]], reference: str, key: str = "train_median") -> None:
    """Add ``relative`` (this row's ``key`` / the ``reference`` row's) to every row, in place."""
    base = next((r[key] for r in rows if r["framework"] == reference), None)
    for row in rows:
        row["relative"] = row[key] / base if base else float("nan")
