"""``python -m cnnbook data {list,fetch,verify}``: see, download and check the datasets."""

from __future__ import annotations

import argparse

from cnnbook import config
from cnnbook.datasets.cifar import read_folder
from cnnbook.datasets.errors import DataFormatError
from cnnbook.datasets.fetch import (
    Location,
    cache_folder,
    canonical_name,
    fetch_dataset,
    locate,
    offline_source,
    sha256,
)
from cnnbook.datasets.loaders import read_dataset
from cnnbook.datasets.registry import REGISTRY


def run_list(args: argparse.Namespace) -> int:
    """Print, per dataset, where it would be read from, the cache state and the mirrors."""
    root = config.data_dir()
    print(f"offline folder (${config.DATA_DIR_VAR}): {root or '- (unset)'}")
    print(f"cache (${config.CACHE_DIR_VAR}): {config.cache_dir()}")
    print(f"offline mode (${config.OFFLINE_VAR}): {'on' if config.offline() else 'off'}")
    for name, info in REGISTRY.items():
        where = locate(name)
        print(f"\n{name} ({info['title']}): read from {where.kind}: {where.path}")
        for entry in info["files"]:
            cached = (cache_folder(name) / entry["name"]).is_file()
            print(f"  {entry['name']}  {entry['size']:>11,} B  "
                  f"{'cached' if cached else 'not cached'}")
            for url in entry["urls"]:
                print(f"      {url}")
    return 0


def run_fetch(args: argparse.Namespace) -> int:
    """Download (or verify the cached copy of) each named dataset, with a progress bar."""
    names = list(REGISTRY) if args.name == "all" else [canonical_name(args.name)]
    for name in names:
        path = fetch_dataset(name)
        print(f"{name}: ready in {path}")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    """Re-hash every cached download and check the offline folder's structure; 1 on a problem."""
    problems = 0
    for name, info in REGISTRY.items():
        for entry in info["files"]:
            path = cache_folder(name) / entry["name"]
            if not path.is_file():
                continue
            ok = sha256(path) == entry["sha256"]
            problems += not ok
            print(f"cache   {name}/{entry['name']}: {'ok' if ok else 'SHA-256 MISMATCH'}")
        extracted = cache_folder(name) / info["folder"]
        if info["format"] == "cifar-python" and extracted.is_dir():
            try:
                read_folder(extracted)
                print(f"cache   {name}/{info['folder']}/: ok")
            except (DataFormatError, OSError) as err:
                problems += 1
                print(f"cache   {name}/{info['folder']}/: PROBLEM: {err}")
        root = config.data_dir()
        source = offline_source(root, name) if root is not None else None
        if source is None:
            continue
        try:
            (x_train, _), (x_test, _) = read_dataset(name, Location("offline", source))
            print(f"offline {name}: ok ({len(x_train):,} train / {len(x_test):,} test, "
                  f"images {x_train.shape[1:]})")
        except (DataFormatError, OSError) as err:
            problems += 1
            print(f"offline {name}: PROBLEM: {err}")
    print("all good" if not problems else f"{problems} problem(s)")
    return 1 if problems else 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``data`` with its ``list``, ``fetch`` and ``verify`` sub-commands."""
    parser = sub.add_parser("data", help="list, fetch or verify the datasets")
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="where each dataset is read from, the cache and the mirrors") \
        .set_defaults(func=run_list)
    fetch = actions.add_parser("fetch", help="download a dataset into the cache (hash-checked)")
    fetch.add_argument("name", help=f"one of {', '.join(REGISTRY)}, or all")
    fetch.set_defaults(func=run_fetch)
    actions.add_parser("verify", help="re-hash the cache and check the offline folder's structure") \
        .set_defaults(func=run_verify)
