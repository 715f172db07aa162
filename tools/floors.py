"""Keep cnnbook/floors.toml: add measured runs to it, and report how far each bound sits from them.

    python -m tools.floors report                 # every bound against its recorded runs
    python -m tools.floors add RUNS.jsonl ...     # append logged values to the table's runs

A run is logged by executing chapters with ``CNNBOOK_FLOORS_LOG=RUNS.jsonl`` set (``make
test-full`` does it; see cnnbook/floors.py). A bound is on the safe side when it sits beyond its
worst recorded run by ``max(margin, 3 standard deviations of the runs)``; ``report`` marks the
others ``TOO CLOSE`` and exits 1, as tests/test_floors.py fails. Where a claim needs a tighter bound
than its spread allows, change the claim, not the bound.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

from cnnbook import floors

HEADER = """\
# The book's floors and ceilings: the one table the hidden check cells read (cnnbook.floors.check).
#
# [chapter.name]  what: the number checked; bound: "floor" (value >= bound) or "ceiling" (<=);
# quick, full: the bound per profile; margin: the least distance between the bound and the worst
# recorded run (from three runs on, 3 standard deviations of the runs, if larger; a test checks);
# runs.quick, runs.full: the values measured by executing the chapters, runs that differ in seed
# (CNNBOOK_SEED) and thread count. Add runs with `python -m tools.floors add LOG.jsonl`.
# A profile's bound "unbounded" (with unbounded_why) records the value and asserts nothing there.
"""


def _number(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def dumps(raw: dict[str, dict[str, dict[str, Any]]]) -> str:
    """The table as TOML, in a fixed layout (tomllib reads it back to ``raw``)."""
    out = [HEADER]
    for chapter, entries in raw.items():
        for name, entry in entries.items():
            out.append(f"\n[{chapter}.{name}]")
            out.append(f"what = {json.dumps(entry['what'], ensure_ascii=False)}")
            out.append(f'bound = "{entry["bound"]}"')
            out.append(f"margin = {_number(entry['margin'])}")
            for profile in floors.PROFILE_NAMES:
                value = entry[profile]
                out.append(f"{profile} = " + ('"unbounded"' if value == "unbounded"
                                              else _number(value)))
            if entry.get("unbounded_why"):
                why = json.dumps(entry["unbounded_why"], ensure_ascii=False)
                out.append(f"unbounded_why = {why}")
            runs = entry.get("runs", {})
            for profile in floors.PROFILE_NAMES:
                values = ", ".join(_number(v) for v in runs.get(profile, []))
                out.append(f"runs.{profile} = [{values}]")
    return "\n".join(out) + "\n"


def load_raw(path: Path = floors.TABLE) -> dict[str, dict[str, dict[str, Any]]]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def add(logs: list[Path], path: Path = floors.TABLE) -> int:
    """Append every logged value to the runs of its entry; returns how many were added."""
    raw = load_raw(path)
    added = 0
    for log in logs:
        for line_no, line in enumerate(log.read_text().splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            chapter, _, name = row["key"].partition(".")
            if name not in raw.get(chapter, {}):
                raise SystemExit(f"{log}:{line_no}: {row['key']!r} is not in {path.name}")
            runs = raw[chapter][name].setdefault("runs", {})
            runs.setdefault(row["profile"], []).append(round(float(row["value"]), 4))
            added += 1
    path.write_text(dumps(raw))
    floors.table.cache_clear()
    return added


def report() -> list[str]:
    """One line per bound and profile; the lines of bounds too close to their runs end TOO CLOSE."""
    lines = []
    for key, bound in floors.table().items():
        for profile in floors.PROFILE_NAMES:
            runs = bound.runs[profile]
            need = bound.required_margin(profile)
            have = bound.clearance(profile)
            seen = f"{min(runs):.4g}..{max(runs):.4g} (n={len(runs)})" if runs else "no runs"
            if not bound.bounded(profile):
                lines.append(f"{key:55s} {profile:5s} {bound.kind:7s} {'unbounded':8s} "
                             f"runs {seen:28s} ({bound.unbounded_why})")
                continue
            verdict = "ok" if have >= need - 1e-12 else "TOO CLOSE"
            lines.append(f"{key:55s} {profile:5s} {bound.kind:7s} {bound.bounds[profile]:<8.4g} "
                         f"runs {seen:28s} clear {have:+.4f} need {need:.4f}  {verdict}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("report", help="every bound against its recorded runs")
    adder = sub.add_parser("add", help="append logged runs to the table")
    adder.add_argument("logs", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.command == "add":
        print(f"added {add(args.logs)} values to {floors.TABLE}")
        return 0
    lines = report()
    print("\n".join(lines))
    return 1 if any(line.endswith("TOO CLOSE") for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
