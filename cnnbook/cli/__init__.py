"""The command line, ``cnnbook`` (or ``python -m cnnbook``): see, train and use the book's models.

Subcommands: ``data``, ``models``, ``doctor``, ``train``, ``evaluate``, ``predict``; one module
per subcommand in this package, each exposing ``register(subparsers)``, which adds its parser and
sets ``func``. Subcommand modules import frameworks only inside ``func``.

Errors end the command with one line on stderr: exit status 2 for bad input (:class:`BadInput`:
a file that is not an image or not a checkpoint, a model that does not fit the data, an unknown
dataset; argparse's usage errors are 2 as well), 1 for other problems a user can fix (a bad
setting, a missing framework or dataset), 130 for Ctrl-C, wherever it comes.

:func:`main` imports only the module of the subcommand it runs (all of them for ``--help`` or a
name it does not know), so ``cnnbook models`` loads the catalogue and nothing heavy.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

SUBCOMMANDS = ("data", "models", "doctor", "train", "evaluate", "predict")


class BadInput(ValueError):
    """What the user passed cannot be used (exit status 2); the message is one line."""


def build_parser(commands: Sequence[str] = SUBCOMMANDS) -> argparse.ArgumentParser:
    """The ``cnnbook`` parser with ``commands`` registered (every subcommand by default)."""
    summary = (__doc__ or "").splitlines()[0].replace("``", "")
    parser = argparse.ArgumentParser(prog="cnnbook", description=summary)
    from cnnbook import __version__

    parser.add_argument("--version", action="version", version=f"cnnbook {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in commands:
        importlib.import_module(f"cnnbook.cli.{name}").register(sub)
    return parser


def _named_command(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` runs when its first word names one (``None`` otherwise)."""
    return argv[0] if argv and argv[0] in SUBCOMMANDS else None


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (130 after Ctrl-C, with one line)."""
    argv = sys.argv[1:] if argv is None else argv
    command = _named_command(argv)
    try:
        args = build_parser((command,) if command else SUBCOMMANDS).parse_args(argv)
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(f"{_prog(command)}: interrupted", file=sys.stderr)
        return 130
    except BadInput as err:
        print(f"{_prog(command)}: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader stopped reading (`cnnbook models | head`): no error
        _silence_stdout()
        return 0
    except (OSError, ValueError, ImportError) as err:
        print(f"{_prog(command)}: error: {err}", file=sys.stderr)
        return 1


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit does not fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (a test's stream)
        pass


def _prog(command: str | None) -> str:
    return f"cnnbook {command}" if command else "cnnbook"
