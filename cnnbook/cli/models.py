"""``python -m cnnbook models``: every model of the catalogue, once, with its frameworks.

One row per model: the catalogue name, the task (``cnnbook train`` trains the
``classification`` ones, in torch), the dataset, the frameworks it has a builder for, the
parameter count and the description. ``--json`` prints the same as a JSON list.

The table reads the catalogue only: the parameter count comes from the entry's spec, and no
framework (nor matplotlib) is imported, so the command answers at once. ``--check`` builds each
framework's model too and counts its parameters: a count that disagrees with the spec is
flagged (exit status 1), and a missing framework is reported with the extra to install.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from cnnbook._optional import install_hint
from cnnbook.models import catalogue

COLUMNS = ("model", "task", "dataset", "frameworks", "parameters", "description")


def _rows(framework: str | None) -> list[dict[str, Any]]:
    return [{"model": e.name, "task": e.task, "dataset": e.dataset,
             "frameworks": list(e.frameworks), "parameters": e.count_params(),
             "description": e.description}
            for e in catalogue.entries() if framework in (None, *e.frameworks)]


def _table(rows: list[dict[str, Any]]) -> str:
    cells = [[r["model"], r["task"], r["dataset"], ",".join(r["frameworks"]),
              f"{r['parameters']:,}", r["description"]] for r in rows]
    widths = [max(len(c[i]) for c in [list(COLUMNS), *cells]) for i in range(len(COLUMNS) - 1)]
    right = COLUMNS.index("parameters")
    lines = []
    for c in [list(COLUMNS), *cells]:
        lines.append(" ".join(v.rjust(w) if i == right else v.ljust(w)
                              for i, (v, w) in enumerate(zip(c, widths, strict=False)))
                     + "  " + c[-1])
    return "\n".join(lines)


def _check(rows: list[dict[str, Any]], framework: str | None) -> int:
    """Build each row's models and count their parameters; 1 when a count disagrees."""
    from cnnbook.models.summary import count_params

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")  # before Keras loads TensorFlow
    status = 0
    for row in rows:
        built: dict[str, int | None] = {}
        for name in row["frameworks"]:
            if framework not in (None, name):
                continue
            try:
                built[name] = count_params(catalogue.get(row["model"]).build(name))
            except ImportError:
                built[name] = None
                row.setdefault("unavailable", {})[name] = install_hint(catalogue.EXTRAS[name])
            else:
                status |= built[name] != row["parameters"]
        row["built"] = built
    return status


def _check_lines(rows: list[dict[str, Any]]) -> str:
    width = max(len(r["model"]) for r in rows)
    lines = []
    for row in rows:
        for name, counted in row["built"].items():
            if counted is None:
                verdict = f"unavailable: {row['unavailable'][name]}"
            elif counted == row["parameters"]:
                verdict = f"{counted:,} ok"
            else:
                verdict = f"{counted:,}, but the spec says {row['parameters']:,}"
            lines.append(f"built {row['model']:<{width}} {name:<5} {verdict}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    rows = _rows(args.framework)
    status = _check(rows, args.framework) if args.check else 0
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(_table(rows))
        if args.check and rows:
            print(_check_lines(rows))
    return status


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("models", help="list the book's models: task, data, frameworks, "
                                           "parameters")
    parser.add_argument("--framework", choices=catalogue.FRAMEWORKS, default=None,
                        help="only the models with a builder in this framework")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--check", action="store_true",
                        help="also build each model in each framework and count its parameters "
                             "(imports the frameworks; exit status 1 on a disagreement)")
    parser.set_defaults(func=run)
