"""Run chapters in the full profile, as nbval runs them, and log their floors: `make test-full`.

    python -m tools.test_full training_well book/speed.ipynb   # the named chapters
    python -m tools.test_full                                   # the chapters changed (see below)

CI runs only the quick profile, so a full-profile floor can stop holding unnoticed. This runs each
named chapter under ``pytest --nbval-lax`` with ``CNNBOOK_PROFILE=full``: every cell executes and
every hidden check cell asserts, while the stored (quick-profile) outputs are not compared. Each
chapter runs in its own pytest process, so one failure does not stop the rest. The values of the
chapters' floors are logged to ``_build/floors/full.jsonl`` (``cnnbook.floors``), ready for
``python -m tools.floors add``; the times and results go to ``_build/floors/test-full.json``.

``--measure`` (``make test-full MEASURE=1``) logs every value and reports a bound on the wrong side
without stopping the chapter, to measure a chapter whose bounds are not set yet; it tests nothing.

Default chapters: the TOC notebooks that differ from ``BASE`` (environment; default ``origin/main``
when that ref exists, else ``HEAD``), committed or not. Exit status: 0 when every chapter passed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from cnnbook import floors
from tools.toc import ROOT, git, toc_notebooks

OUT = ROOT / "_build" / "floors"


def default_base() -> str:
    base = os.environ.get("BASE", "").strip()
    if base:
        return base
    return "origin/main" if git("rev-parse", "--verify", "-q", "origin/main").returncode == 0 \
        else "HEAD"


def changed_chapters(base: str) -> list[Path]:
    """TOC notebooks that differ from ``base`` in the working tree (committed or not)."""
    out = git("diff", "--name-only", base, "--", "book")
    if out.returncode != 0:
        raise SystemExit(f"git diff against {base!r} failed: {out.stderr.strip()}")
    changed = set(out.stdout.split()) | set(git("ls-files", "--others", "--exclude-standard",
                                                 "book").stdout.split())
    return [path for path in toc_notebooks(ROOT) if str(path) in changed]


def resolve(names: list[str]) -> list[Path]:
    """Chapter names (``training_well``) or paths (``book/training_well.ipynb``) to TOC paths."""
    known = {path.stem: path for path in toc_notebooks(ROOT)}
    chosen = []
    for name in names:
        stem = Path(name).stem
        if stem not in known:
            raise SystemExit(f"{name!r} is not a chapter in _toc.yml; "
                             f"choose from: {', '.join(sorted(known))}")
        chosen.append(known[stem])
    return chosen


def run_chapter(path: Path, log: Path, measure: bool = False) -> dict[str, object]:
    env = {**os.environ, "CNNBOOK_PROFILE": "full", floors.LOG_VAR: str(log)}
    if measure:
        env[floors.MEASURE_VAR] = "1"
    command = [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env",
               "--nbval-cell-timeout=1800", "-p", "no:cacheprovider", "-q", str(path)]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    tail = [line for line in result.stdout.splitlines() if line.strip()][-1:] or [""]
    if result.returncode != 0:
        (OUT / f"{path.stem}.log").write_text(result.stdout + result.stderr)
    return {"chapter": str(path), "passed": result.returncode == 0, "seconds": round(seconds, 1),
            "pytest": tail[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="chapter names or paths; default: changed")
    parser.add_argument("--measure", action="store_true",
                        help="log every floor's value without stopping at one on the wrong side "
                             "(CNNBOOK_FLOORS_MEASURE=1): for measuring bounds, not for testing")
    args = parser.parse_args(argv)
    if args.chapters:
        chapters = resolve(args.chapters)
    else:
        base = default_base()
        chapters = changed_chapters(base)
        if not chapters:
            print(f"no chapter differs from {base}; name some: make test-full CHAPTERS=\"...\"")
            return 0
    OUT.mkdir(parents=True, exist_ok=True)
    log = OUT / "full.jsonl"
    print(f"full profile, one pytest --nbval-lax per chapter: {', '.join(map(str, chapters))}",
          flush=True)
    results = []
    for path in chapters:
        row = run_chapter(path, log, args.measure)
        results.append(row)
        verdict = "ok  " if row["passed"] else "FAIL"
        print(f"   {verdict} {row['seconds']:7.1f} s  {path}  ({row['pytest']})", flush=True)
    (OUT / "test-full.json").write_text(json.dumps(results, indent=1) + "\n")
    failed = [row for row in results if not row["passed"]]
    for row in failed:
        print(f"== FAILED {row['chapter']}: see {OUT / (Path(str(row['chapter'])).stem + '.log')}")
    print(f"== floors logged to {log}; add them to the table: python -m tools.floors add {log}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
