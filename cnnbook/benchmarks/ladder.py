"""The time-to-accuracy ladder: from a typical tutorial loop to the fastest ``fit``, one change a
rung (light: imports no framework).

Every rung trains the torch twin of the post's Keras model (catalogue ``post_keras``) on
Fashion-MNIST (NCHW ``(N, 1, 28, 28)`` floats in [0, 1]) from the same seed until its
**validation** accuracy reaches ``Settings.target``, or until a cap (``max_epochs`` epochs or
``max_seconds`` seconds of training), which the table shows as "not reached". Validation runs
every ``check_every`` training images and is not counted as training time; the test set is
evaluated once, after the run. Each rung adds one change to the rung before it (:data:`RUNGS`):

1. ``tutorial loop``: a ``DataLoader`` over CPU tensors, ``.to(device)`` per batch, ``.item()``
   per step, batch 128, Adam at 1e-3 (:func:`cnnbook.training.loops.tutorial_steps`);
2. ``data on device``: the same loop over :class:`~cnnbook.training.TensorBatches`;
3. ``no per-step sync``: :func:`~cnnbook.training.fit`, which reads nothing back during a step;
4. ``large batch + OneCycle``: a larger batch (``Settings.large_batch``), with a one-cycle
   learning-rate schedule;
5. ``channels_last``; 6. ``bf16 autocast``; 7. ``torch.compile`` (its compile time apart).

Each rung runs in its **own worker process** (``python -m cnnbook.benchmarks.rung``, through
:class:`~cnnbook.benchmarks.runner.Workers`), so that its peak memory is its own: the process's
peak resident set size on a CPU (reset before each run where Linux allows), or
``torch.cuda.max_memory_allocated`` on a GPU. The rungs run one at a time in rotating order
(:func:`~cnnbook.benchmarks.runner.rotations`), and :func:`summarise` takes the median over the
repeats.

    rows = run_ladder(Settings(limit=4_000, target=0.70), repeats=1)
    print(format_table(rows))
"""

from __future__ import annotations

import math
import statistics
import sys
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from cnnbook.benchmarks.runner import Worker, Workers, rotations

__all__ = ["RUNGS", "Rung", "RungWorker", "Settings", "format_table", "run_ladder", "skip_reason",
           "summarise"]


@dataclass(frozen=True)
class Rung:
    """One rung of the ladder: how it batches, steps and computes.

    Attributes:
        name: the rung's label in tables and plots.
        change: what it adds to the rung before it, in a few words.
        loader: ``"dataloader"`` (a ``DataLoader`` over CPU tensors, ``.to(device)`` per batch)
            or ``"device"`` (the whole set on the device, batched by ``TensorBatches``).
        sync_each_step: the tutorial loop's ``loss.item()`` per step; ``False`` trains with
            ``fit``, which reads the loss back once per call.
        batch_size: images per step (``None``: ``Settings.large_batch``).
        one_cycle: ``OneCycleLR`` (peak ``Settings.max_lr``) instead of Adam's constant 1e-3.
        channels_last, precision, compile: ``fit``'s speed options.
    """

    name: str
    change: str
    loader: str = "device"
    sync_each_step: bool = True
    batch_size: int | None = 128
    one_cycle: bool = False
    channels_last: bool = False
    precision: str = "fp32"
    compile: bool = False

    def __post_init__(self) -> None:
        if self.loader not in ("dataloader", "device"):
            raise ValueError(f"loader must be 'dataloader' or 'device', got {self.loader!r}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.loader == "dataloader" and not self.sync_each_step:
            raise ValueError("the DataLoader rung is the tutorial loop, which syncs each step")


def _ladder() -> tuple[Rung, ...]:
    """The seven rungs, each the previous one plus one change."""
    tutorial = Rung("tutorial loop", "DataLoader over CPU tensors, .to(device) and .item() per "
                    "step, batch 128, Adam 1e-3", loader="dataloader")
    on_device = replace(tutorial, name="data on device", change="data on the device "
                        "(TensorBatches)", loader="device")
    no_sync = replace(on_device, name="no per-step sync", change="fit: no .item() per step",
                      sync_each_step=False)
    big = replace(no_sync, name="large batch + OneCycle", change="a larger batch, one-cycle LR",
                  batch_size=None, one_cycle=True)
    channels_last = replace(big, name="channels_last", change="channels_last memory format",
                            channels_last=True)
    bf16 = replace(channels_last, name="bf16 autocast", change="bf16 autocast",
                   precision="bf16")
    compiled = replace(bf16, name="torch.compile", change="torch.compile", compile=True)
    return tutorial, on_device, no_sync, big, channels_last, bf16, compiled


RUNGS: tuple[Rung, ...] = _ladder()
"""The ladder, in order; look a rung up by name with ``{r.name: r for r in RUNGS}``."""


@dataclass(frozen=True)
class Settings:
    """The workload and the stopping rule, the same for every rung.

    Attributes:
        limit: training images, class-balanced (``None``: all 60,000), before the split.
        validation: the fraction held out for validation (the **last** images, like Keras'
            ``validation_split``); the target is checked on it.
        test_limit: test images, class-balanced (``None``: all 10,000), evaluated once.
        target: the validation accuracy a rung must reach.
        max_epochs, max_seconds: the caps; a rung that hits one has "not reached" the target.
        check_every: training images between two validation checks (rounded down to whole
            batches); the epoch cap is rounded to whole checks.
        large_batch: the batch size of the rungs from "large batch + OneCycle" on.
        max_lr: the peak learning rate of the one-cycle schedule, which spans ``max_epochs``.
        seed: the model's initial weights and the data order (repeat ``r`` uses ``seed + r``).
    """

    limit: int | None = None
    validation: float = 0.1
    test_limit: int | None = None
    target: float = 0.85
    max_epochs: float = 3.0
    max_seconds: float = 300.0
    check_every: int = 8192
    large_batch: int = 512
    max_lr: float = 3e-3
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 < self.validation < 1.0:
            raise ValueError(f"validation must be a fraction in (0, 1), got {self.validation}")
        if not 0.0 < self.target <= 1.0:
            raise ValueError(f"target must be an accuracy in (0, 1], got {self.target}")
        if min(self.max_epochs, self.max_seconds, self.check_every, self.large_batch) <= 0:
            raise ValueError("max_epochs, max_seconds, check_every and large_batch must be "
                             "positive")

    def batch_size(self, rung: Rung) -> int:
        """The batch size ``rung`` trains with."""
        return self.large_batch if rung.batch_size is None else rung.batch_size


def skip_reason(rung: Rung, device: str, native_bf16: bool) -> str | None:
    """Why ``rung`` cannot run on ``device`` (``"cpu"``, ``"cuda"`` ...), or ``None`` if it can.

    bf16 autocast runs on every CPU (slowly where the CPU has no bf16 instructions, which the
    chapter then shows) but on a GPU only with bf16 hardware; fp16 needs CUDA.
    """
    if rung.precision == "bf16" and device.startswith("cuda") and not native_bf16:
        return "this GPU has no bf16 (compute capability below 8.0)"
    if rung.precision == "bf16" and device not in ("cpu",) and not device.startswith("cuda"):
        return f"bf16 autocast is not offered on {device} here"
    if rung.precision == "fp16" and not device.startswith("cuda"):
        return "fp16 autocast needs a CUDA GPU"
    return None


@dataclass
class RungWorker(Worker):
    """A worker process that trains one rung (``framework`` holds the rung's name)."""

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "cnnbook.benchmarks.rung", "--rung", self.framework,
                "--model", self.model]


@dataclass
class _Runs:
    rung: Rung
    runs: list[dict[str, Any]] = field(default_factory=list)
    skipped: str | None = None


def run_ladder(settings: Settings, *, repeats: int,
               rungs: tuple[Rung, ...] = RUNGS) -> list[dict[str, Any]]:
    """Train every rung ``repeats`` times, one worker process per rung, in rotating order, on the
    device each worker picks (CUDA, then MPS, then the CPU).

    Returns:
        One row per rung (:func:`summarise`), in the order of ``rungs``.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    by_name = {rung.name: rung for rung in rungs}
    if len(by_name) != len(rungs):
        raise ValueError("rung names must be unique")
    results = {name: _Runs(rung) for name, rung in by_name.items()}
    with Workers(list(by_name), worker=RungWorker) as workers:
        facts = workers.versions
        for name, info in facts.items():
            results[name].skipped = skip_reason(by_name[name], info["device"],
                                                info["native_bf16"])
        for repeat, order in enumerate(rotations(list(by_name), repeats)):
            for name in order:
                if results[name].skipped is None:
                    results[name].runs.append(workers[name].ask(
                        "run", settings=asdict(settings), repeat=repeat))
    return [summarise(r.rung, r.runs, settings, r.skipped) for r in results.values()]


def _median_time(times: list[float | None]) -> float | None:
    """The median time to target, a run that did not reach it counting as infinitely slow."""
    value = statistics.median([math.inf if t is None else t for t in times])
    return None if math.isinf(value) else float(value)


def summarise(rung: Rung, runs: list[dict[str, Any]], settings: Settings,
              skipped: str | None = None) -> dict[str, Any]:
    """One table row from a rung's runs: medians over the repeats.

    Returns:
        ``rung``, ``change``, ``runs``, ``reached`` (how many runs reached the target),
        ``seconds`` (median training seconds to the target, ``None`` when the median run did
        not reach it), ``images_per_s``, ``test_accuracy``, ``peak_mib``, ``compile_s`` (the
        first run's compile time, in a fresh worker process; ``None`` without compile),
        ``compile_warm_s`` (the median of the later runs', which reuse the process's compile
        caches; ``None`` with fewer than two runs), ``epochs`` (to the target or the cap),
        ``memory`` (what ``peak_mib`` measures), ``curve`` (``(seconds, val_accuracy)`` pairs
        of the run nearest the median) and ``skipped`` (the reason, for a rung that could not run).
    """
    row: dict[str, Any] = {"rung": rung.name, "change": rung.change, "runs": len(runs),
                           "target": settings.target, "skipped": skipped}
    if not runs:
        return {**row, "reached": 0, "seconds": None, "images_per_s": None,
                "test_accuracy": None, "peak_mib": None, "compile_s": None,
                "compile_warm_s": None, "epochs": None,
                "memory": None, "curve": []}
    times = [run["seconds_to_target"] for run in runs]
    median_time = _median_time(times)
    trained = statistics.median(run["train_s"] for run in runs)
    nearest = min(runs, key=lambda run: abs(run["train_s"] - trained))
    compile_times = [run["compile_s"] for run in runs if run["compile_s"] is not None]
    return {**row,
            "reached": sum(t is not None for t in times),
            "seconds": median_time,
            "images_per_s": float(statistics.median(run["images_per_s"] for run in runs)),
            "test_accuracy": float(statistics.median(run["test_accuracy"] for run in runs)),
            "peak_mib": float(statistics.median(run["peak_mib"] for run in runs)),
            "compile_s": float(compile_times[0]) if compile_times else None,
            "compile_warm_s": (float(statistics.median(compile_times[1:]))
                               if len(compile_times) > 1 else None),
            "epochs": float(statistics.median(run["epochs"] for run in runs)),
            "memory": runs[0]["memory"],
            "curve": [tuple(point) for point in nearest["curve"]]}


def format_table(rows: list[dict[str, Any]]) -> str:
    """The ladder as a fixed-width text table (one line per rung)."""
    lines = [f"{'rung':<22} {'to target':>11} {'epochs':>6} {'img/s':>7} {'test acc':>8} "
             f"{'peak MiB':>8} {'compile':>8}"]  # compile: the first run's
    for row in rows:
        if row["skipped"]:
            lines.append(f"{row['rung']:<22} skipped: {row['skipped']}")
            continue
        seconds = "not reached" if row["seconds"] is None else f"{row['seconds']:.1f} s"
        compiled = "" if row["compile_s"] is None else f"{row['compile_s']:.1f} s"
        lines.append(f"{row['rung']:<22} {seconds:>11} {row['epochs']:>6.2f} "
                     f"{row['images_per_s']:>7,.0f} {row['test_accuracy']:>8.2%} "
                     f"{row['peak_mib']:>8,.0f} {compiled:>8}")
    return "\n".join(lines)
