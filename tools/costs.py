"""Estimate what each full-profile chapter costs on the canonical data, from a build measured here.

    python -m tools.costs _build/reports/execution.json            # a markdown table
    python -m tools.costs _build/reports/execution.json --cap 0    # without the profile's cap

The published edition reads the canonical files (60,000 MNIST and 50,000 CIFAR-10 training
images); a local build may read smaller copies. For each chapter of a full-profile build, this
reads the seconds from the execution report and, from the chapter's page, the ``data:`` lines that
say how many training images of which dataset it trained on. A chapter that read every training
image its source holds would read the canonical count there, or the full profile's cap of them
(``cnnbook.config.FULL_TRAIN_LIMIT``, the default of ``--cap``; ``--cap 0``: no cap); one that
asked for fewer reads the same number in both editions.

The estimate is an upper bound under two stated assumptions: a chapter's whole time scales with
its largest such ratio (its fixed costs, evaluation on the test set and figures, are scaled too),
and the runner's extra cores buy nothing (``--core-speedup`` to assume otherwise).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from cnnbook import config
from tools.toc import ROOT

# The canonical training and test sizes (the datasets' own pages; book/data.ipynb's table).
CANONICAL = {"mnist": (60_000, 10_000), "fashion-mnist": (60_000, 10_000),
             "cifar10": (50_000, 10_000)}
_DATA_LINE = re.compile(r"\b(mnist|fashion-mnist|cifar10): ([\d,]+) train / ([\d,]+) "
                        r"(test|validation)")


@dataclass(frozen=True)
class Estimate:
    chapter: str
    seconds: float
    ratio: float
    reads: str  # "cifar10 10,000 of 10,000" ...

    @property
    def estimate(self) -> float:
        return self.seconds * self.ratio


def training_reads(page_text: str) -> dict[str, int]:
    """Most training images the chapter's ``data:`` lines say it used, per dataset (a validation
    split counts as training images)."""
    used: dict[str, int] = {}
    for name, train, other, kind in _DATA_LINE.findall(page_text):
        count = int(train.replace(",", "")) + (int(other.replace(",", ""))
                                               if kind == "validation" else 0)
        used[name] = max(used.get(name, 0), count)
    return used


def ratio(used: dict[str, int], local: dict[str, int], cap: int | None) -> float:
    """How many times more training images the canonical data gives, the largest over datasets."""
    worst = 1.0
    for name, count in used.items():
        if name not in local:
            raise SystemExit(f"the build read {name}, but no copy of it is here to count")
        if count < local[name]:  # the chapter asked for a subset: the same subset everywhere
            continue
        canonical = CANONICAL[name][0] if cap is None else min(cap, CANONICAL[name][0])
        worst = max(worst, canonical / count)
    return worst


def estimates(report: dict, html: Path, local: dict[str, int], cap: int | None) -> list[Estimate]:
    rows = []
    for chapter in report["chapters"]:
        if not chapter["passed"] or chapter["seconds"] is None:
            continue
        page = html / Path(chapter["path"]).with_suffix(".html")
        used = training_reads(page.read_text(encoding="utf-8")) if page.exists() else {}
        times = ratio(used, local, cap)
        reads = ", ".join(f"{n} {c:,} of {local[n]:,}" for n, c in sorted(used.items()))
        rows.append(Estimate(chapter["path"], chapter["seconds"], times, reads))
    return rows


def table(rows: list[Estimate], core_speedup: float) -> str:
    lines = ["| chapter | measured here | training images read here | estimate on canonical data |",
             "|---|---|---|---|"]
    for row in sorted(rows, key=lambda r: -r.estimate):
        lines.append(f"| `{row.chapter}` | {row.seconds:,.0f} s | {row.reads or 'fixed'} | "
                     f"{row.estimate / core_speedup:,.0f} s (×{row.ratio:.1f}) |")
    here = sum(r.seconds for r in rows)
    there = sum(r.estimate for r in rows) / core_speedup
    lines.append(f"| **all chapters** | {here / 60:,.0f} min | | {there / 60:,.0f} min |")
    return "\n".join(lines)


def local_counts() -> dict[str, int]:
    """Training images the data source of this machine holds, per dataset the build read (the
    counts the edition card reports; nothing is downloaded)."""
    from tools.edition import datasets

    return {row["name"]: row["train"] for row in datasets()
            if row["name"] in CANONICAL and "train" in row}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="a full-profile build's execution.json")
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--cap", type=int, default=config.FULL_TRAIN_LIMIT,
                        help="training images per dataset the full profile reads at most "
                             "(default: the full profile's cap; 0: none)")
    parser.add_argument("--core-speedup", type=float, default=1.0,
                        help="how much faster the runner's cores make a chapter (default: none)")
    args = parser.parse_args(argv)
    report = json.loads(args.report.read_text())
    if report.get("profile") != "full":
        raise SystemExit(f"{args.report} is a {report.get('profile')!r} build, not a full one")
    cap = args.cap or None
    print(table(estimates(report, args.html, local_counts(), cap), args.core_speedup))
    return 0


if __name__ == "__main__":
    sys.exit(main())
