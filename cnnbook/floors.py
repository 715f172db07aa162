"""The book's floors and ceilings: one table of measured values and margins, one check.

A chapter that trains something checks what its prose says in a hidden cell: an accuracy above a
floor, a gap above zero, a difference below a ceiling. Each such bound lives in
``cnnbook/floors.toml``, beside the values it was set from, never as a literal in a notebook::

    [three_frameworks.torch_accuracy]
    what = "post_tensorflow trained by cnnbook's fit: MNIST test accuracy"
    bound = "floor"         # the value must be >= the profile's bound ("ceiling": <=)
    margin = 0.01           # least distance from the recorded runs, before 3 standard deviations
    quick = 0.85
    full = 0.955
    runs.quick = [0.905, 0.91, 0.9]
    runs.full = [0.9695, 0.97, 0.968]

``check("three_frameworks.torch_accuracy", value)`` raises ``AssertionError`` with one line that
names the entry, the value, the bound and the recorded runs when the value is on the wrong side.
``tests/test_floors.py`` checks that every bound sits beyond its recorded runs by
``max(margin, 3 * std(runs))`` (the margin alone while fewer than three runs are recorded) and that
every check a chapter names is in the table.

Measuring: with ``CNNBOOK_FLOORS_LOG=path.jsonl`` set, every ``check`` appends one JSON line
(key, profile, value, seed, thread settings, data folder) before it compares, so a failing run is
recorded too. ``python -m tools.floors`` adds such logs to the table's ``runs``.

A profile's bound may be the string ``"unbounded"``, with ``unbounded_why`` saying why: the value is
still recorded, but nothing is asserted in that profile. That is for a number whose spread in a
profile is too wide for any bound that means something (a ratio of two small drops, say); the
prose must then not lean on it in that profile, and the other profile must keep a number. With
``CNNBOOK_FLOORS_MEASURE=1`` as well (``make test-full MEASURE=1``), a value on the wrong side is
logged and reported on stderr in the same line instead of raising, so one run records every value
of a chapter whose bounds are not yet set; the variable does nothing without a log.

This module is light: the standard library only.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cnnbook.config import DATA_DIR_VAR, get_profile, get_seed

TABLE = Path(__file__).with_name("floors.toml")
LOG_VAR = "CNNBOOK_FLOORS_LOG"
MEASURE_VAR = "CNNBOOK_FLOORS_MEASURE"
PROFILE_NAMES = ("quick", "full")
MIN_RUNS_FOR_SPREAD = 3


@dataclass(frozen=True)
class Bound:
    """One row of the table: a floor or a ceiling per profile, with the runs it was set from."""

    key: str
    what: str
    kind: str  # "floor" or "ceiling"
    margin: float
    bounds: dict[str, float]  # -inf (floor) or +inf (ceiling) where a profile is unbounded
    runs: dict[str, tuple[float, ...]]
    unbounded_why: str = ""

    def bounded(self, profile: str) -> bool:
        """Whether ``profile`` has a number to assert (see ``"unbounded"`` in the module doc)."""
        return math.isfinite(self.bounds[profile])

    def required_margin(self, profile: str) -> float:
        """``max(margin, 3 * sample standard deviation of the runs)`` for ``profile``, once at
        least ``MIN_RUNS_FOR_SPREAD`` runs are recorded; the stated margin before that (the
        standard deviation of two runs is too unreliable to bound anything: its 95 % interval
        spans about 0.45 to 32 times the true one)."""
        values = self.runs.get(profile, ())
        if len(values) < MIN_RUNS_FOR_SPREAD:
            return self.margin
        mean = sum(values) / len(values)
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
        return max(self.margin, 3 * std)

    def clearance(self, profile: str) -> float:
        """How far the bound sits beyond the worst recorded run (positive: on the safe side)."""
        values = self.runs.get(profile, ())
        if not self.bounded(profile):
            return math.inf
        if not values:
            return -math.inf
        bound = self.bounds[profile]
        return min(values) - bound if self.kind == "floor" else bound - max(values)

    def holds(self, value: float, profile: str) -> bool:
        bound = self.bounds[profile]
        if math.isnan(value):
            return False
        return value >= bound if self.kind == "floor" else value <= bound


def _parse(key: str, raw: dict) -> Bound:
    kind = raw.get("bound")
    if kind not in ("floor", "ceiling"):
        raise ValueError(f"{TABLE.name}: [{key}] bound must be 'floor' or 'ceiling', not {kind!r}")
    unbounded = [p for p in PROFILE_NAMES if raw.get(p) == "unbounded"]
    missing = [p for p in PROFILE_NAMES
               if p not in unbounded and not isinstance(raw.get(p), (int, float))]
    if missing:
        raise ValueError(f"{TABLE.name}: [{key}] has no number for {', '.join(missing)}")
    why = str(raw.get("unbounded_why", "")).strip()
    if unbounded and (len(unbounded) == len(PROFILE_NAMES) or not why):
        raise ValueError(f"{TABLE.name}: [{key}] an unbounded profile needs unbounded_why, and "
                         "the other profile a number")
    if why and not unbounded:
        raise ValueError(f"{TABLE.name}: [{key}] has unbounded_why but no unbounded profile")
    open_end = -math.inf if kind == "floor" else math.inf
    runs = raw.get("runs", {})
    return Bound(
        key=key, what=str(raw.get("what", "")), kind=kind, margin=float(raw.get("margin", 0.0)),
        bounds={p: open_end if p in unbounded else float(raw[p]) for p in PROFILE_NAMES},
        runs={p: tuple(float(v) for v in runs.get(p, ())) for p in PROFILE_NAMES},
        unbounded_why=why,
    )


@cache
def table() -> dict[str, Bound]:
    """Every bound in ``floors.toml``, keyed ``"chapter.name"``."""
    with TABLE.open("rb") as handle:
        raw = tomllib.load(handle)
    return {f"{chapter}.{name}": _parse(f"{chapter}.{name}", entry)
            for chapter, entries in raw.items() for name, entry in entries.items()}


def _record(key: str, profile: str, value: float) -> None:
    path = os.environ.get(LOG_VAR, "").strip()
    if not path:
        return
    row = {"key": key, "profile": profile, "value": value, "seed": get_seed(),
           "threads": os.environ.get("OMP_NUM_THREADS", ""),
           "data": os.environ.get(DATA_DIR_VAR, ""), "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(row) + "\n")


def check(key: str, value: float, *, profile: str | None = None) -> None:
    """Assert that ``value`` is on the safe side of the bound ``key`` for the active profile.

    Args:
        key: ``"chapter.name"``, a row of ``floors.toml``.
        value: the measured number (an accuracy, a gap, a ratio).
        profile: ``"quick"`` or ``"full"``; default: the active profile (``CNNBOOK_PROFILE``).

    Returns nothing, so a cell that ends with a check shows no output (nbval compares outputs).

    Raises:
        KeyError: for a key that is not in the table.
        AssertionError: when the value is below its floor or above its ceiling (NaN fails too).
    """
    entries = table()
    if key not in entries:
        raise KeyError(f"{key!r} is not in {TABLE.name}")
    bound = entries[key]
    name = get_profile(profile).name
    value = float(value)
    _record(key, name, value)
    if not bound.holds(value, name):
        side = "below its floor" if bound.kind == "floor" else "above its ceiling"
        runs = bound.runs.get(name, ())
        seen = f"recorded runs {min(runs):.4g} to {max(runs):.4g}" if runs else "no recorded runs"
        message = (f"{key}: {value:.4f} is {side} {bound.bounds[name]} in the {name} "
                   f"profile ({seen}; {bound.what})")
        if _measuring():
            print(f"floors (measuring, not raising): {message}", file=sys.stderr)
            return
        raise AssertionError(message)


def _measuring() -> bool:
    """``CNNBOOK_FLOORS_MEASURE=1`` with a log to record into (``CNNBOOK_FLOORS_LOG``)."""
    return (os.environ.get(MEASURE_VAR, "").strip() == "1"
            and bool(os.environ.get(LOG_VAR, "").strip()))
