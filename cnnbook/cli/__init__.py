"""The command line, ``cnnbook`` (or ``python -m cnnbook``): see, train and use the book's models.

Subcommands: ``data``, ``models``, ``doctor``, ``train``, ``evaluate``, ``predict``; one module
per subcommand in this package, each exposing ``register(subparsers)``, which adds its parser and
sets ``func``. Subcommand modules import frameworks only inside ``func``.

Errors end the command with one line on stderr: exit status 2 for bad input (:class:`BadInput`:
a file that is not an image or not a checkpoint, a model that does not fit the data; argparse's
usage errors are 2 as well), 1 for other problems a user can fix (a bad setting, a missing
framework or dataset).
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS = ("data", "models", "doctor", "train", "evaluate", "predict")


class BadInput(ValueError):
    """What the user passed cannot be used (exit status 2); the message is one line."""


def build_parser() -> argparse.ArgumentParser:
    """The ``cnnbook`` parser with every subcommand registered."""
    summary = (__doc__ or "").splitlines()[0].replace("``", "")
    parser = argparse.ArgumentParser(prog="cnnbook", description=summary)
    from cnnbook import __version__

    parser.add_argument("--version", action="version", version=f"cnnbook {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMANDS:
        importlib.import_module(f"cnnbook.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BadInput as err:
        print(f"cnnbook {args.command}: error: {err}", file=sys.stderr)
        return 2
    except (OSError, ValueError, ImportError) as err:
        print(f"cnnbook {args.command}: error: {err}", file=sys.stderr)
        return 1
