"""``python -m cnnbook doctor``: what this machine offers the book (versions, devices, settings)."""

from __future__ import annotations

import argparse
import importlib.metadata as md
import platform

from cnnbook import config

PACKAGES = ("cnnbook", "numpy", "matplotlib", "torch", "tensorflow-cpu", "tensorflow", "keras",
            "jupyter-book", "nbval")


def versions() -> dict[str, str | None]:
    """Installed versions of the packages the book uses (``None`` when missing)."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = md.version(name)
        except md.PackageNotFoundError:
            found[name] = None
    return found


def run(args: argparse.Namespace) -> int:
    for name, version in versions().items():
        print(f"{name:>15}: {version or '-'}")
    print(f"{'profile':>15}: {config.get_profile().describe()}")
    print(f"{'data dir':>15}: {config.data_dir() or '- (unset: downloads)'}")
    print(f"{'cache dir':>15}: {config.cache_dir()}")
    print(f"{'offline':>15}: {config.offline()}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("doctor", help="show versions, settings and devices")
    parser.set_defaults(func=run)
