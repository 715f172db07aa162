"""``python -m cnnbook models``: every model of the catalogue, its task, each framework, its size.

One row per model and framework: the catalogue name, the task (``cnnbook train`` trains the
``classification`` ones, in torch), the framework, the parameter count and the description.

The expected parameter count comes from the entry's spec; each framework's builder is built and
counted too, and a mismatch is flagged (exit status 1). A missing framework turns its rows into
"unavailable" with the extra to install.
"""

from __future__ import annotations

import argparse

from cnnbook._optional import install_hint
from cnnbook.models import catalogue
from cnnbook.models.summary import count_params


def run(args: argparse.Namespace) -> int:
    width = max(len("model"), *(len(name) for name in catalogue.CATALOGUE))
    task_width = max(len("task"), *(len(e.task) for e in catalogue.entries()))
    print(f"{'model':<{width}} {'task':<{task_width}} {'framework':<9} {'parameters':>11}  "
          "description")
    status = 0
    for entry in catalogue.entries():
        expected = entry.count_params()
        for framework in entry.frameworks:
            if args.framework not in (None, framework):
                continue
            try:
                counted = f"{count_params(entry.build(framework)):,}"
            except ImportError:
                counted = "unavailable"
                note = install_hint(catalogue.EXTRAS[framework])
            else:
                note = entry.description
                if counted != f"{expected:,}":
                    note += f" (the spec says {expected:,})"
                    status = 1
            print(f"{entry.name:<{width}} {entry.task:<{task_width}} {framework:<9} "
                  f"{counted:>11}  {note}")
    return status


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("models", help="list the book's models: task, framework, parameters")
    parser.add_argument("--framework", choices=catalogue.FRAMEWORKS, default=None,
                        help="only this framework's builders")
    parser.set_defaults(func=run)
