"""``python -m cnnbook doctor``: what this machine offers the book (versions and settings)."""

from __future__ import annotations

import argparse

from cnnbook import config
from cnnbook.report import installed_versions


def run(args: argparse.Namespace) -> int:
    for name, version in installed_versions().items():
        print(f"{name:>15}: {version or '-'}")
    print(f"{'profile':>15}: {config.get_profile().describe()}")
    print(f"{'data dir':>15}: {config.data_dir() or '- (unset: downloads)'}")
    print(f"{'cache dir':>15}: {config.cache_dir()}")
    print(f"{'offline':>15}: {config.offline()}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("doctor", help="show versions and settings")
    parser.set_defaults(func=run)
