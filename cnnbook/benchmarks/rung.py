"""One rung of the time-to-accuracy ladder (:mod:`cnnbook.benchmarks.ladder`) in its own process.

Started by :func:`~cnnbook.benchmarks.ladder.run_ladder` as ``python -m cnnbook.benchmarks.rung
--rung NAME``; it speaks the protocol of :mod:`cnnbook.benchmarks.worker` (one JSON request per
line on stdin, one ``@@cnnbook {json}`` answer per line on stdout). Requests:

- ``{"task": "ready"}``: torch's version, the device and whether it has bf16 in hardware;
- ``{"task": "run", "settings": {...}, "repeat": r}``: one run of the rung
  (:func:`train_to_target`) with the :class:`~cnnbook.benchmarks.ladder.Settings` given as a
  dict, from seed ``settings.seed + r``;
- ``{"task": "exit"}``.

The data (Fashion-MNIST, NCHW float32 in [0, 1]) are loaded once per process and kept on the
CPU; the rungs that keep them on the device copy them there before the clock starts.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from cnnbook._optional import needs

with needs("torch"):
    import torch
    from torch import nn

from cnnbook.benchmarks.ladder import RUNGS, Rung, Settings
from cnnbook.benchmarks.worker import DEFAULT_MODEL, Handler, answer_requests
from cnnbook.models import catalogue
from cnnbook.training import TensorBatches, evaluate, fit, resolve_device, sync
from cnnbook.training.callbacks import Callback
from cnnbook.training.loops import tutorial_steps
from cnnbook.training.speed import has_native_bf16

__all__ = ["Clock", "Memory", "Stretches", "train_to_target"]

Split = tuple[torch.Tensor, torch.Tensor]  # images (N, 1, 28, 28) float32, labels (N,) int64


class Memory:
    """The peak memory of this process's training: ``torch.cuda.max_memory_allocated`` on a GPU,
    else the peak resident set size (``VmHWM``), which Linux lets a process reset."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.what = ("max_memory_allocated" if device.type == "cuda" else "peak RSS")

    def reset(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
            return
        # "5" resets the peak RSS to the current RSS (Linux 4.0+); elsewhere the peak stays.
        with contextlib.suppress(OSError):
            Path("/proc/self/clear_refs").write_text("5")

    def peak_mib(self) -> float:
        if self.device.type == "cuda":
            return torch.cuda.max_memory_allocated(self.device) / 2**20
        try:
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB -> MiB
        except OSError:
            pass
        import resource  # Unix: the lifetime peak (kB on Linux, bytes on macOS)

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def load_data(settings: Settings) -> tuple[Split, Split, Split]:
    """``(train, validation, test)`` Fashion-MNIST splits on the CPU, NCHW float32 in [0, 1]."""
    from cnnbook.datasets import load_fashion_mnist
    from cnnbook.datasets.torch_data import to_tensors
    from cnnbook.training import split_validation

    (x, y), (xt, yt) = load_fashion_mnist(limit=settings.limit, test_limit=settings.test_limit,
                                          seed=settings.seed)
    train, validation = split_validation(to_tensors(x, y), settings.validation)
    return train, validation, to_tensors(xt, yt)


class Stretches(TensorBatches):
    """:class:`TensorBatches` whose every pass is the next ``stretch`` images of an endless
    stream of shuffled epochs (each image once per epoch), so that ``fit``'s "epochs" become the
    stretches between two validation checks. ``len(x)`` images make one real epoch."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, batch_size: int, stretch: int,
                 seed: int, device: torch.device, channels_last: bool = False) -> None:
        super().__init__(x, y, batch_size, shuffle=True, seed=seed, device=device,
                         channels_last=channels_last)
        self.stretch = stretch
        self.left = torch.empty(0, dtype=torch.long, device=self.device)  # the epoch's rest

    def set_epoch(self, epoch: int) -> None:
        """Nothing: the stream goes on where it stopped."""

    def __len__(self) -> int:
        return math.ceil(self.stretch / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        while len(self.left) < self.stretch:  # append the next epoch's order
            order = torch.randperm(len(self.x), device=self.device, generator=self.generator)
            self.left = torch.cat([self.left, order])
        order, self.left = self.left[:self.stretch], self.left[self.stretch:]
        for start in range(0, self.stretch, self.batch_size):
            idx = order[start:start + self.batch_size]  # (B,)
            yield self.x[idx], self.y[idx]  # (B, 1, 28, 28), (B,)


class Clock(Callback):
    """Times training only: stops the clock after each stretch, checks the validation accuracy,
    and starts it again. As a ``fit`` callback it stops training at the target or a cap."""

    def __init__(self, check: Callable[[], float], device: torch.device, target: float,
                 max_seconds: float) -> None:
        self.check, self.device = check, device
        self.target, self.max_seconds = target, max_seconds
        self.train_s = 0.0
        self.curve = [[0.0, check()]]  # [seconds, val_accuracy], from the untrained model
        self.reached_at: float | None = None
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float], model: nn.Module) -> bool:
        sync(self.device)
        self.train_s += time.perf_counter() - self.started
        accuracy = self.check()
        self.curve.append([self.train_s, accuracy])
        done = accuracy >= self.target
        if done:
            self.reached_at = self.train_s
        self.started = time.perf_counter()
        return done or self.train_s >= self.max_seconds


def _counted(batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
             seen: list[int]) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    for xb, yb in batches:
        seen[0] += len(yb)
        yield xb, yb


def train_to_target(rung: Rung, settings: Settings, data: tuple[Split, Split, Split],
                    device: torch.device, model_name: str = DEFAULT_MODEL,
                    repeat: int = 0) -> dict[str, Any]:
    """Train ``rung`` until the validation accuracy reaches ``settings.target`` or a cap.

    The clock runs only while training (synced at the end of each stretch of ``check_every``
    images, :class:`Clock`); the validation checks between stretches and the test evaluation at
    the end are not timed, and neither is ``torch.compile``'s compilation, which ``fit``
    reports apart (it happens in the first step, so it is taken off every point of the curve).

    Returns:
        ``seconds_to_target`` (``None``: not reached), ``train_s``, ``epochs`` trained,
        ``images``, ``images_per_s``, ``val_accuracy`` (the last check), ``test_accuracy``,
        ``compile_s`` (``None`` without compile), ``peak_mib`` and ``memory`` (what it
        measures), ``curve`` (``[seconds, val_accuracy]`` after each stretch, from ``[0,
        accuracy before training]``).
    """
    (x, y), validation, test = data
    seed = settings.seed + repeat
    memory = Memory(device)
    torch.manual_seed(seed)
    model = catalogue.get(model_name).build("torch").to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    batch_size = settings.batch_size(rung)
    stretch = max(batch_size, settings.check_every // batch_size * batch_size)  # whole batches
    stretches = max(1, round(settings.max_epochs * len(x) / stretch))  # the epoch cap
    scheduler = None
    if rung.one_cycle:
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=settings.max_lr,
            total_steps=stretches * math.ceil(stretch / batch_size))
    loss_fn = nn.CrossEntropyLoss()
    val = (validation[0].to(device), validation[1].to(device))

    def val_accuracy() -> float:
        return evaluate(model, val, device=device, precision=rung.precision)["accuracy"]

    if rung.loader == "dataloader":  # the tutorial: CPU tensors, shuffled by a DataLoader
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y),
                                             batch_size=batch_size, shuffle=True,
                                             generator=torch.Generator().manual_seed(seed))
        batches: Iterator = itertools.chain.from_iterable(itertools.repeat(loader))
    else:  # on the device before the clock starts
        on_device = Stretches(x, y, batch_size, stretch, seed, device, rung.channels_last)
    seen = [0]
    memory.reset()
    clock = Clock(val_accuracy, device, settings.target, settings.max_seconds)
    compile_s = None
    if rung.sync_each_step:  # the hand-written tutorial loop, one .item() per step
        steps = math.ceil(stretch / batch_size)
        for _ in range(stretches):
            chunk = (itertools.islice(batches, steps) if rung.loader == "dataloader"
                     else iter(on_device))
            tutorial_steps(model, _counted(chunk, seen), optimizer, loss_fn, device)
            if clock.on_epoch_end(0, {}, model):
                break
    else:
        history = fit(model, on_device, epochs=stretches, optimizer=optimizer,
                      scheduler=scheduler, scheduler_step="batch", device=device, seed=seed,
                      verbose=0, callbacks=[clock], channels_last=rung.channels_last,
                      precision=rung.precision, compile=rung.compile)
        compile_s = history.params["compile_s"]
        seen[0] = (len(clock.curve) - 1) * stretch  # whole stretches
    curve = clock.curve
    if compile_s:  # compiled in the first step: not training time
        curve = curve[:1] + [[max(t - compile_s, 0.0), a] for t, a in curve[1:]]
    train_s = curve[-1][0]
    reached_at = None if clock.reached_at is None else curve[-1][0]
    test_accuracy = evaluate(model, (test[0].to(device), test[1].to(device)), device=device,
                             precision=rung.precision)["accuracy"]
    return {"seconds_to_target": reached_at, "train_s": train_s, "epochs": seen[0] / len(x),
            "images": seen[0], "images_per_s": seen[0] / train_s if train_s > 0 else 0.0,
            "val_accuracy": curve[-1][1], "test_accuracy": test_accuracy,
            "compile_s": compile_s, "peak_mib": memory.peak_mib(), "memory": memory.what,
            "curve": curve}


def serve(rung: Rung, model_name: str = DEFAULT_MODEL) -> None:
    """Answer requests for ``rung`` from stdin until ``exit`` (see the module docstring)."""
    def start() -> Handler:
        device = resolve_device("auto")
        data: dict[str, tuple[Split, Split, Split]] = {}

        def handle(task: str, request: dict[str, Any]) -> dict[str, Any]:
            if task == "ready":
                return {"torch": torch.__version__, "device": str(device),
                        "native_bf16": has_native_bf16(device)}
            if task != "run":
                raise ValueError(f"unknown task {task!r}")
            settings = Settings(**request["settings"])
            key = json.dumps([settings.limit, settings.validation, settings.test_limit,
                              settings.seed])
            if key not in data:
                data.clear()
                data[key] = load_data(settings)
            return train_to_target(rung, settings, data[key], device, model_name,
                                   request.get("repeat", 0))

        return handle

    answer_requests(start)


def main(argv: list[str] | None = None) -> None:
    rungs = {rung.name: rung for rung in RUNGS}
    parser = argparse.ArgumentParser(description="one rung of the time-to-accuracy ladder")
    parser.add_argument("--rung", choices=list(rungs), required=True)
    parser.add_argument("--model", default=DEFAULT_MODEL, help="a catalogue model (torch)")
    args = parser.parse_args(argv)
    serve(rungs[args.rung], args.model)


if __name__ == "__main__":
    main()
