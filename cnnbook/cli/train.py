"""``cnnbook train MODEL --data DATASET``: train a catalogue classifier (torch) and keep the run.

    cnnbook train post_keras --data mnist --epochs 3 --out runs/digits
    cnnbook train --resume runs/digits        # after Ctrl-C: continue from the last epoch

``--out DIR`` (default ``runs/MODEL-DATASET``) receives:

- the checkpoint (:mod:`cnnbook.saving.torch_checkpoint`: ``checkpoint.json`` and safetensors files;
  model, optimizer and LR scheduler), written after **every** epoch, atomically;
- ``history.json``: per-epoch ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy`` and ``lr``,
  written before each checkpoint;
- ``learning_curves.png``: :func:`cnnbook.plots.plot_history` of that history, at the end;
- ``run.json``: the settings, seed, device, data source, normalisation statistics and versions.

Training holds out a class-balanced ``--val-fraction`` of the training images for validation
(:func:`cnnbook.datasets.train_val_split`) and normalises with the remaining images' per-channel
statistics; the test set is left for ``cnnbook evaluate``. ``--limit`` defaults to the profile's
(``CNNBOOK_PROFILE``: all the data in ``full``). Nothing is written until the model, the data and
the out folder have been checked. Ctrl-C leaves the last complete epoch in DIR, and ``--resume
DIR`` continues it with the settings in ``run.json``; each epoch is seeded from ``(seed,
epoch)``, so on CPU the resumed run ends with the same weights as an uninterrupted one.
Torch only: Keras builders are not trained here.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from cnnbook import config
from cnnbook.cli import BadInput
from cnnbook.cli._common import check_fit, get_data, get_model, read_json, write_json
from cnnbook.datasets.fetch import locate
from cnnbook.datasets.loaders import describe_data, load
from cnnbook.datasets.splits import train_val_split
from cnnbook.datasets.subsets import channel_stats
from cnnbook.report import package_versions

RUN = "run.json"
CURVES = "learning_curves.png"
# Settings a run is defined by: stored in run.json, and fixed once the run has started.
DEFAULTS: dict[str, Any] = {"epochs": 5, "batch_size": 128, "lr": None, "optimizer": "adam",
                            "schedule": "cosine", "seed": 0, "val_fraction": 0.1}
DEFAULT_LR = {"adam": 1e-3, "sgd": 0.01}  # Keras' Adam; SGD with momentum 0.9
SCHEDULES = ("cosine", "constant")


def _check_settings(settings: dict[str, Any], name: Callable[[str], str]) -> dict[str, Any]:
    """``settings`` if every value has its type and range; a BadInput naming the first that does
    not (``name(key)``: ``--epochs`` for an argument, ``run.json: settings.epochs`` on resume)."""
    def fail(key: str, what: str) -> BadInput:
        return BadInput(f"{name(key)} must be {what}, not {settings[key]!r}")

    def number(key: str, integer: bool = False) -> float:
        value = settings[key]
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value):
            raise fail(key, "an integer" if integer else "a number")
        return value

    for key in ("model", "data"):
        if not isinstance(settings[key], str):
            raise fail(key, "a name")
    if settings["optimizer"] not in DEFAULT_LR:
        raise fail("optimizer", " or ".join(DEFAULT_LR))
    if settings["schedule"] not in SCHEDULES:
        raise fail("schedule", " or ".join(SCHEDULES))
    for key in ("epochs", "batch_size"):
        if number(key, integer=True) < 1:
            raise fail(key, "at least 1")
    if number("seed", integer=True) < 0:
        raise fail("seed", "at least 0")
    if settings["limit"] is not None and number("limit", integer=True) < 2:
        raise fail("limit", "at least 2 (some images are held out for validation)")
    if not 0 < number("val_fraction") < 1:
        raise fail("val_fraction", "between 0 and 1")
    if not number("lr") > 0:
        raise fail("lr", "positive")
    return settings


def _new_settings(args: argparse.Namespace) -> dict[str, Any]:
    if args.model is None:
        raise BadInput("name a MODEL to train (`cnnbook models` lists them), or --resume DIR")
    entry = get_model(args.model)
    settings: dict[str, Any] = {"model": entry.name,
                                "data": get_data(args.data or entry.dataset).name}
    settings |= {key: default if getattr(args, key) is None else getattr(args, key)
                 for key, default in DEFAULTS.items()}
    settings["limit"] = config.get_profile().train_limit if args.limit is None else args.limit
    if settings["lr"] is None:
        settings["lr"] = DEFAULT_LR.get(settings["optimizer"])
    return _check_settings(settings, lambda key: f"--{key.replace('_', '-')}")


def _resumed(args: argparse.Namespace, out: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The settings and the whole record of the run in ``out`` (its ``run.json``, read and
    checked once), refusing arguments that would change the run."""
    record = read_json(out / RUN)
    settings = record.get("settings")
    needed = {"model", "data", "limit", *DEFAULTS}
    if not isinstance(settings, dict) or not needed <= settings.keys():
        raise BadInput(f"{out / RUN}: holds no complete settings; not a `cnnbook train` run")
    _check_settings(settings, lambda key: f"{out / RUN}: settings.{key}")
    _first_mean(record, out / RUN)
    given = [f"--{key.replace('_', '-')}" for key in (*DEFAULTS, "limit", "data")
             if getattr(args, key) is not None]
    if args.model is not None and args.model != settings["model"]:
        given.insert(0, "MODEL")
    if given:
        raise BadInput(f"--resume continues {out} with the settings in its {RUN}; "
                       f"drop {', '.join(given)} (or start a new run with another --out)")
    return settings, record


def _first_mean(record: dict[str, Any], path: Path) -> list[float]:
    """The per-channel mean a run's first session normalised with, from its ``run.json``
    (which must also list its sessions)."""
    norm = record.get("normalisation")
    mean = norm.get("mean") if isinstance(norm, dict) else None
    if not (isinstance(mean, list) and mean and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in mean)) or not isinstance(record.get("sessions"), list):
        raise BadInput(f"{path}: holds no normalisation.mean and sessions of a "
                       "`cnnbook train` run")
    return mean


Split = tuple[np.ndarray, np.ndarray]  # uint8 images (N, H, W[, C]), labels (N,)


def _data(settings: dict[str, Any]) -> tuple[Split, Split, str]:
    """``(train, val, data line)``: uint8 images and labels, split class-balanced and seeded."""
    (x, y), (x_test, _) = load(settings["data"], limit=settings["limit"], test_limit=1,
                               seed=settings["seed"])
    train, val = train_val_split(x, y, val_fraction=settings["val_fraction"],
                                 seed=settings["seed"])
    line = describe_data(settings["data"], train[0], x_test).replace(
        f"{len(x_test):,} test", f"{len(val[0]):,} validation")
    return train, val, line


def _run_record(args: argparse.Namespace, settings: dict[str, Any], device: str,
                data_line: str, normalisation: tuple[np.ndarray, np.ndarray],
                previous: dict[str, Any] | None, start_epoch: int) -> dict[str, Any]:
    """run.json: the settings, the data and its normalisation, and one entry per session (the
    arguments, the epoch it started at, the device and the versions)."""
    where = locate(settings["data"])
    record = previous or {"settings": settings, "sessions": []}
    record["data"] = {"dataset": settings["data"], "summary": data_line,
                      "source": {"kind": where.kind, "path": str(where.path),
                                 "description": where.describe()}}
    record["normalisation"] = {"mean": normalisation[0].tolist(), "std": normalisation[1].tolist()}
    record["seed"] = settings["seed"]
    arguments = {k: v for k, v in vars(args).items() if k not in ("func", "command")}
    record["sessions"].append({"arguments": arguments, "start_epoch": start_epoch,
                               "device": device, "versions": package_versions(),
                               "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
    return record


def _out_folder(args: argparse.Namespace) -> Path:
    """``--resume DIR``, else ``--out``, else ``runs/MODEL-DATASET``."""
    if args.resume is not None or args.out is not None:
        return Path(args.resume if args.resume is not None else args.out)
    if args.model is None:
        raise BadInput("name a MODEL to train (`cnnbook models` lists them), or --resume DIR")
    entry = get_model(args.model)
    return Path("runs") / f"{entry.name}-{get_data(args.data or entry.dataset).name}"


def _check_out(out: Path, resume: bool) -> None:
    if out.exists() and not out.is_dir():
        raise BadInput(f"{out}: exists and is not a folder")
    if resume and not (out / RUN).is_file():
        raise BadInput(f"{out}: no {RUN}; not a `cnnbook train` run to resume")
    if not resume and out.is_dir() and any(out.iterdir()):
        raise BadInput(f"{out}: not empty; resume the run there with --resume {out}, "
                       "or choose another --out")


def run(args: argparse.Namespace) -> int:
    """Check everything, then train; 130 after Ctrl-C (the last complete epoch is kept)."""
    resume = args.resume is not None
    out = _out_folder(args)
    _check_out(out, resume)
    settings, previous = _resumed(args, out) if resume else (_new_settings(args), None)
    entry, dataset = get_model(settings["model"]), get_data(settings["data"])
    check_fit(entry, dataset)
    train, val, data_line = _data(settings)
    normalisation = channel_stats(train[0])  # float32 (C,), (C,) of the training images
    if previous is not None and not np.allclose(_first_mean(previous, out / RUN),
                                                normalisation[0]):
        raise BadInput(f"{out / RUN}: the data has changed since this run started")

    from cnnbook.cli import _session  # torch from here on

    session = _session.start(settings, out, resume=resume, device=args.device)
    if session.initial_epoch >= settings["epochs"]:
        print(f"{out}: all {settings['epochs']} epochs are done; nothing to resume")
        return 0
    if resume:
        print(f"resuming {out} with the settings in its {RUN}")
    elif args.limit is None:
        print(config.get_profile().describe())
    print(f"model: {entry.name} ({entry.description})\ndata: {data_line}")
    print(f"device: {session.device}; seed: {settings['seed']}"
          + (f"; resuming after epoch {session.initial_epoch}" if session.initial_epoch else ""))
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / RUN, _run_record(args, settings, str(session.device), data_line,
                                      normalisation, previous, session.initial_epoch))
    began = time.perf_counter()
    try:
        _session.train(session, settings, out, train=train, val=val,
                       normalisation=normalisation, class_names=dataset.class_names)
    except KeyboardInterrupt:
        manifest = out / "checkpoint.json"
        done = read_json(manifest)["epoch"] if manifest.is_file() else 0
        print(f"\ncnnbook train: interrupted; {out} keeps epoch {done} of {settings['epochs']}: "
              f"continue with `cnnbook train --resume {out}`", file=sys.stderr)
        return 130
    from cnnbook.plots import plot_history

    plot_history(session.history, title=f"{entry.name} on {dataset.name}").savefig(out / CURVES)
    record = read_json(out / RUN)
    record["result"] = {"epochs": settings["epochs"],
                        "metrics": {k: v[-1] for k, v in session.history.items()},
                        "wall_time_s": round(time.perf_counter() - began, 1)}
    write_json(out / RUN, record)
    print(f"wrote {out}: checkpoint (epoch {settings['epochs']}), history.json, {CURVES}, {RUN}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``train``."""
    parser = sub.add_parser("train", help="train a catalogue model (torch) on a dataset",
                            description=(__doc__ or "").splitlines()[0].replace("``", ""))
    parser.add_argument("model", nargs="?", help="a catalogue name (see `cnnbook models`)")
    parser.add_argument("--data", help="dataset (default: the model's own)")
    parser.add_argument("--epochs", type=int, help=f"default {DEFAULTS['epochs']}")
    parser.add_argument("--batch-size", type=int, help=f"default {DEFAULTS['batch_size']}")
    parser.add_argument("--lr", type=float, help="learning rate (default: adam 1e-3, sgd 0.01)")
    parser.add_argument("--optimizer", choices=("adam", "sgd"), help="default adam")
    parser.add_argument("--schedule", choices=SCHEDULES,
                        help="learning-rate schedule over the epochs (default cosine)")
    parser.add_argument("--seed", type=int, help="default 0")
    parser.add_argument("--limit", type=int,
                        help="at most this many training images, class-balanced "
                             "(default: the profile's; all in the full profile)")
    parser.add_argument("--val-fraction", type=float,
                        help=f"share held out for validation (default {DEFAULTS['val_fraction']})")
    parser.add_argument("--device", default="auto", help="auto (cuda, mps, cpu), cpu, cuda, ...")
    parser.add_argument("--out", help="the run's folder (default runs/MODEL-DATASET)")
    parser.add_argument("--resume", metavar="DIR", help="continue the run in DIR")
    parser.set_defaults(func=run)
