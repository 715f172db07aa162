"""Command line: ``python -m cnnbook {data,models,doctor} ...`` (also installed as ``cnnbook``).

One module per subcommand in this package; each exposes ``register(subparsers)``, which adds its
parser and sets ``func``. Subcommand modules import frameworks only inside ``func``. Errors a user
can fix (a bad name, a missing file or framework) end the command with one line on stderr and
exit status 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS = ("data", "models", "doctor")


def build_parser() -> argparse.ArgumentParser:
    """The ``cnnbook`` parser with every subcommand registered."""
    parser = argparse.ArgumentParser(prog="cnnbook", description=(__doc__ or "").splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMANDS:
        importlib.import_module(f"cnnbook.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (OSError, ValueError, ImportError) as err:
        print(f"cnnbook {args.command}: error: {err}", file=sys.stderr)
        return 1
