"""Is ``cnnbook``'s ``fit`` as fast as a minimal hand-written PyTorch loop, in every speed setting?

One process, torch only: the same model, the same in-memory data already on the device (batched by
:class:`cnnbook.training.TensorBatches`, so neither side pays a DataLoader or a host-to-device
copy per step), the same optimizer settings. Each **configuration** gives both sides the same
speed option, the way a reader would add it to the hand-written loop:

- ``default``: float32, NCHW memory (the loop is :func:`cnnbook.training.loops.hand_written_epoch`);
- ``channels_last``: model and stored images in ``torch.channels_last``
  (``fit(channels_last=True)``);
- ``bf16``: the forward pass and loss under ``torch.autocast(dtype=torch.bfloat16)``
  (``fit(precision="bf16")``); run where the device can (every CPU, slowly without bf16
  instructions; GPUs of compute capability 8.0+);
- ``compile`` (only with ``--compile``): ``torch.compile(model)``, once per run on both sides, after
  an untimed warm-up that fills the compile cache (cold compile time is ``fit``'s
  ``history.params["compile_s"]``, not measured here).

The two are **interleaved** (fit, loop, loop, fit, ...) and repeated, so clock drift and thermal
changes show up as spread instead of biasing one side. Reported per configuration and batch size:
the median images/s of each and the throughput ratio ``fit / loop`` (goal: >= 0.95).

    python bench/bench_training.py                       # CPU or the first GPU, batch 128 and 1024
    python bench/bench_training.py --device cuda --repeats 7 --steps 300 --compile
    python bench/bench_training.py --configs default bf16 --batch-sizes 512
    python bench/bench_training.py --smoke --out /tmp/training.json

The data are random images of the model's input shape (the values do not change the speed).
Writes a JSON file (default ``bench/results/training.json``; that folder is git-ignored).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

from cnnbook.models import catalogue
from cnnbook.training import TensorBatches, fit, resolve_device, sync
from cnnbook.training.loops import hand_written_epoch
from cnnbook.training.speed import PRECISIONS, Speed, has_native_bf16

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "training.json"
MODELS = [entry.name for entry in catalogue.entries(frameworks=("torch",))]
CONFIGS = {  # name -> fit's speed options
    "default": Speed(),
    "channels_last": Speed(channels_last=True),
    "bf16": Speed(precision="bf16"),
    "compile": Speed(compile=True),
}


def loop_epoch(model: nn.Module, batches: TensorBatches, optimizer: torch.optim.Optimizer,
               loss_fn: nn.Module, speed: Speed, device: torch.device) -> None:
    """The hand-written loop with the configuration's one change: ``torch.compile`` around the
    model, or ``torch.autocast`` around the forward pass (channels_last lives in the model and
    the stored images, set up outside the loop)."""
    trained = torch.compile(model) if speed.compiling else model
    dtype = PRECISIONS[speed.precision]
    if dtype is None:
        hand_written_epoch(trained, batches, optimizer, loss_fn)
        return
    trained.train()
    for xb, yb in batches:  # (B, C, H, W), (B,) already on the device
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=dtype):
            loss = loss_fn(trained(xb), yb)  # (B, 10) logits -> scalar
        loss.backward()
        optimizer.step()


def time_one(kind: str, model: nn.Module, batches: TensorBatches, speed: Speed,
             device: torch.device, seed: int) -> float:
    """Seconds for one epoch over ``batches`` with ``kind`` in {"fit", "loop"}."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    sync(device)
    start = time.perf_counter()
    if kind == "fit":
        fit(model, batches, epochs=1, optimizer=optimizer, loss=loss_fn, device=device,
            seed=seed, verbose=0, channels_last=speed.channels_last, precision=speed.precision,
            compile=speed.compile)
    else:
        torch.manual_seed(seed)  # fit seeds too; keeps dropout draws comparable
        loop_epoch(model, batches, optimizer, loss_fn, speed, device)
    sync(device)
    return time.perf_counter() - start


def bench_one(model_name: str, config: str, batch_size: int, steps: int, repeats: int,
              device: torch.device, seed: int) -> dict:
    """Interleaved repeats of fit and the loop in one configuration; medians and their ratio."""
    speed = CONFIGS[config]
    entry = catalogue.get(model_name)
    c, h, w = entry.input_shape("torch")
    gen = torch.Generator().manual_seed(seed)
    n = steps * batch_size
    x = torch.rand(n, c, h, w, generator=gen)  # (n, C, H, W)
    y = torch.randint(0, 10, (n,), generator=gen)  # (n,)
    batches = TensorBatches(x, y, batch_size=batch_size, shuffle=True, seed=seed, device=device,
                            channels_last=speed.channels_last)
    torch.manual_seed(seed)
    model = speed.prepare(entry.build("torch").to(device))
    warm = TensorBatches(x[: 3 * batch_size], y[: 3 * batch_size], batch_size=batch_size,
                         seed=seed, device=device, channels_last=speed.channels_last)
    for kind in ("fit", "loop"):  # first calls pay lazy imports, allocator growth, cuDNN choice,
        time_one(kind, model, warm, speed, device, seed)  # and compilation
    seconds: dict[str, list[float]] = {"fit": [], "loop": []}
    for r in range(repeats):
        order = ("fit", "loop") if r % 2 == 0 else ("loop", "fit")  # ABBA: no order bias
        for kind in order:
            seconds[kind].append(time_one(kind, model, batches, speed, device, seed + r))
    rates = {k: [n / s for s in v] for k, v in seconds.items()}
    med = {k: statistics.median(v) for k, v in rates.items()}
    return {
        "config": config,
        "batch_size": batch_size,
        "steps": steps,
        "images": n,
        "fit_images_per_s": rates["fit"],
        "loop_images_per_s": rates["loop"],
        "fit_median": med["fit"],
        "loop_median": med["loop"],
        "ratio": med["fit"] / med["loop"],
    }


def print_table(result: dict) -> None:
    print(f"model {result['model']} on {result['device']} ({result['device_name']}), "
          f"{result['repeats']} interleaved repeats, torch {result['torch']}")
    for config, reason in result["skipped"].items():
        print(f"skipped {config}: {reason}")
    print(f"{'config':>14} {'batch':>6} {'steps':>6} {'fit img/s':>12} {'loop img/s':>12} "
          f"{'fit spread':>12} {'ratio':>7}")
    for row in result["rows"]:
        spread = max(row["fit_images_per_s"]) - min(row["fit_images_per_s"])
        print(f"{row['config']:>14} {row['batch_size']:>6} {row['steps']:>6} "
              f"{row['fit_median']:>12,.0f} {row['loop_median']:>12,.0f} {spread:>12,.0f} "
              f"{row['ratio']:>7.3f}")


def runnable(configs: list[str], device: torch.device) -> tuple[list[str], dict[str, str]]:
    """The configurations this device can run, and why the others cannot."""
    kept, skipped = [], {}
    for config in configs:
        try:
            CONFIGS[config].check(device)
        except ValueError as error:
            skipped[config] = str(error)
        else:
            kept.append(config)
    return kept, skipped


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", help="auto (cuda, mps, cpu), cpu, cuda ...")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[128, 1024])
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS),
                        default=["default", "channels_last", "bf16"],
                        help="speed settings to compare (default: all but compile)")
    parser.add_argument("--compile", action="store_true", help="add the compile configuration")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each (default 5)")
    parser.add_argument("--steps", type=int, default=None,
                        help="optimizer steps per timed run (default: about 8,192 images per run "
                             "on CPU, 262,144 on a GPU, and at least 10 steps)")
    parser.add_argument("--model", choices=MODELS, default="post_keras",
                        help="a catalogue model (its torch builder); default: post_keras (MNIST)")
    parser.add_argument("--smoke", action="store_true", help="2 steps, 1 repeat: checks it runs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON file to write")
    args = parser.parse_args(argv)
    if args.repeats < 1 or (args.steps is not None and args.steps < 1):
        parser.error("--repeats and --steps must be >= 1")

    device = resolve_device(args.device)
    images = 8192 if device.type == "cpu" else 262_144
    repeats = 1 if args.smoke else args.repeats
    configs, skipped = runnable(list(dict.fromkeys(args.configs + ["compile"] * args.compile)),
                                device)

    def steps_for(batch_size: int) -> int:
        if args.smoke:
            return 2
        return args.steps or max(10, images // batch_size)

    result = {
        "benchmark": "cnnbook fit vs hand-written loop",
        "model": args.model,
        "device": str(device),
        "device_name": (torch.cuda.get_device_name(device) if device.type == "cuda"
                        else platform.processor() or platform.machine()),
        "native_bf16": has_native_bf16(device),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "repeats": repeats,
        "seed": args.seed,
        "configs": configs,
        "skipped": skipped,
        "rows": [bench_one(args.model, config, bs, steps_for(bs), repeats, device, args.seed)
                 for config in configs for bs in args.batch_sizes],
    }
    print_table(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return result


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
