"""Print a Jupyter Book config derived from _config.yml, for the Makefile.

    python -m tools.book_config --execute off                  # make test-book
    python -m tools.book_config --execute cache --profile full # make book

`make test` executes every notebook once, under nbval, which compares the fresh outputs with the
stored ones and runs the hidden assert cells; its strict book build (`--execute off`) renders those
verified outputs instead of executing everything a second time.

`make book` executes with Jupyter Book's cache. The cache key is the notebook's code, not the
environment, so each profile gets its own cache folder: a quick-profile result is never served in
a full-profile book. The printed file lives under _build/, so local-extension paths (which Jupyter
Book resolves relative to the config file) are made absolute.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def derived_config(execute: str, profile: str, root: Path = ROOT) -> dict:
    """``root``'s ``_config.yml`` with the execution mode and (``cache``) a per-profile cache."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    config.setdefault("execute", {})["execute_notebooks"] = execute
    if execute == "cache":
        config["execute"]["cache"] = str(root / "_build" / ".jupyter_cache" / profile)
    extensions = (config.get("sphinx") or {}).get("local_extensions") or {}
    for name, path in extensions.items():
        extensions[name] = str((root / path).resolve())
    return config


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--execute", choices=["off", "cache", "force"], required=True)
    parser.add_argument("--profile", default="full")
    args = parser.parse_args()
    print(yaml.safe_dump(derived_config(args.execute, args.profile), sort_keys=False))
