"""Command line: ``python -m cnnbook {data,models,doctor} ...``.

Each subcommand lives next to the code it drives and exposes ``register(subparsers)``, which adds
its parser and sets ``func``. Subcommand modules import frameworks only inside ``func``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS = {
    "data": "cnnbook.datasets.cli",
    "models": "cnnbook.model_cli",
    "doctor": "cnnbook.doctor",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnnbook", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS.values():
        importlib.import_module(module).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (OSError, ValueError, ImportError) as err:
        print(f"cnnbook {args.command}: error: {err}", file=sys.stderr)
        return 1
