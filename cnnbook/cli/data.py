"""``python -m cnnbook data {list,fetch,verify}``: see, download and check the datasets."""

from __future__ import annotations

import argparse

from cnnbook import config
from cnnbook.cli import BadInput
from cnnbook.datasets.download import is_intact
from cnnbook.datasets.errors import DataFormatError
from cnnbook.datasets.fetch import cache_folder, fetch_dataset, get_dataset, locate
from cnnbook.datasets.registry import REGISTRY
from cnnbook.datasets.spec import Dataset


def run_list(args: argparse.Namespace) -> int:
    """Print, per dataset, where it would be read from, the cache state and the mirrors."""
    root = config.data_dir()
    print(f"offline folder (${config.DATA_DIR_VAR}): {root or '- (unset)'}")
    print(f"cache (${config.CACHE_DIR_VAR}): {config.cache_dir()}")
    print(f"offline mode (${config.OFFLINE_VAR}): {'on' if config.offline() else 'off'}")
    for name, dataset in REGISTRY.items():
        where = locate(name)
        print(f"\n{name} ({dataset.title}): read from {where.kind}: {where.path}")
        for file in dataset.files:
            cached = (cache_folder(name) / file.name).is_file()
            print(f"  {file.name}  {file.size:>11,} B  {'cached' if cached else 'not cached'}")
            for url in file.urls:
                print(f"      {url}")
    return 0


def run_fetch(args: argparse.Namespace) -> int:
    """Download (or verify the cached copy of) each named dataset, with a progress bar."""
    if args.name == "all":
        names = list(REGISTRY)
    else:
        try:
            names = [get_dataset(args.name).name]
        except ValueError as err:  # an unknown name: bad input, exit status 2
            raise BadInput(str(err)) from None
    for name in names:
        path = fetch_dataset(name)
        print(f"{name}: ready in {path}")
    return 0


def _verify_cache(dataset: Dataset) -> int:
    """Re-hash the cached downloads and re-read what the format built from them; problems."""
    problems, folder = 0, cache_folder(dataset.name)
    for file in dataset.files:
        path = folder / file.name
        if path.is_file():
            ok = is_intact(path, file)
            problems += not ok
            print(f"cache   {dataset.name}/{file.name}: {'ok' if ok else 'SHA-256 MISMATCH'}")
    built = dataset.format.derived(folder)
    if built is not None:
        try:
            dataset.read(built)
            print(f"cache   {dataset.name}/{built.name}/: ok")
        except (DataFormatError, OSError) as err:
            problems += 1
            print(f"cache   {dataset.name}/{built.name}/: PROBLEM: {err}")
    return problems


def _verify_offline(dataset: Dataset) -> int:
    """Read the dataset's copy in the offline folder, if there is one; problems."""
    root = config.data_dir()
    source = dataset.format.find_offline(root) if root is not None else None
    if source is None:
        return 0
    try:
        (x_train, _), (x_test, _) = dataset.read(source)
    except (DataFormatError, OSError) as err:
        print(f"offline {dataset.name}: PROBLEM: {err}")
        return 1
    print(f"offline {dataset.name}: ok ({len(x_train):,} train / {len(x_test):,} test, "
          f"images {x_train.shape[1:]})")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    """Re-hash every cached download and check the offline folder's structure; 1 on a problem."""
    problems = sum(_verify_cache(d) + _verify_offline(d) for d in REGISTRY.values())
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
    actions.add_parser("verify",
                       help="re-hash the cache and check the offline folder's structure") \
        .set_defaults(func=run_verify)
