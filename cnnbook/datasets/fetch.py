"""Where datasets come from: the read-only offline folder, the cache, or a verified download.

Lookup order for a dataset (see :func:`locate` and :func:`resolve`):

1. ``$CNNBOOK_DATA_DIR/...`` as the dataset's format finds it (read-only; checked by structure
   when read, never written);
2. ``<cache>/<name>/`` where ``<cache>`` is :func:`cnnbook.config.cache_dir` (``$CNNBOOK_CACHE_DIR``
   or pooch's OS cache folder); every cached file is re-hashed on use, and one that no longer
   matches its SHA-256 is deleted and fetched again;
3. a download (:mod:`cnnbook.datasets.download`), unless ``CNNBOOK_OFFLINE`` is set: then no
   socket is opened and a missing dataset raises :class:`DatasetNotFoundError`.

Functions take an optional ``registry`` (a ``Mapping[str, Dataset]`` like ``REGISTRY``) so callers
can point them at other files and mirrors; the library itself always uses ``REGISTRY``. Nothing
here depends on a dataset's file layout: that is its :class:`~cnnbook.datasets.spec.Format`'s job.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cnnbook import config
from cnnbook.datasets.download import download, is_intact
from cnnbook.datasets.errors import DatasetNotFoundError, DownloadError
from cnnbook.datasets.registry import ALIASES, REGISTRY
from cnnbook.datasets.spec import Dataset, RemoteFile

Registry = Mapping[str, Dataset]


@dataclass(frozen=True)
class Location:
    """Where a dataset is (or would be) read from.

    ``kind`` is ``"offline"`` (the read-only folder), ``"cache"`` or ``"download"`` (not fetched
    yet; ``path`` is the cache folder it would go to). ``path`` is what the dataset's format reads:
    a folder, or CIFAR-10's tarball.
    """

    kind: Literal["offline", "cache", "download"]
    path: Path

    def describe(self) -> str:
        """Where, in words, without absolute paths (safe for notebook outputs)."""
        if self.kind == "offline":
            return f"the offline folder (${config.DATA_DIR_VAR})"
        cache = f"${config.CACHE_DIR_VAR}" if _env_set(config.CACHE_DIR_VAR) else "the OS cache"
        if self.kind == "cache":
            return f"the download cache ({cache})"
        return f"a download into the cache ({cache})"


def _env_set(var: str) -> bool:
    return bool(os.environ.get(var, "").strip())


def canonical_name(name: str, registry: Registry = REGISTRY) -> str:
    """``"fashion_mnist"`` -> ``"fashion-mnist"`` etc.; raises ValueError for an unknown dataset."""
    if not isinstance(name, str):
        raise TypeError(f"a dataset name is a str, not {type(name).__name__}")
    key = ALIASES.get(name.strip().lower(), name.strip().lower())
    if key not in registry:
        raise ValueError(f"unknown dataset {name!r}; use one of: {', '.join(registry)}")
    return key


def get_dataset(name: str, registry: Registry = REGISTRY) -> Dataset:
    """The :class:`Dataset` called ``name`` (aliases allowed); ValueError for an unknown one."""
    return registry[canonical_name(name, registry)]


def cache_folder(name: str) -> Path:
    """``<cache>/<name>``: where a dataset's downloads are kept."""
    return config.cache_dir() / name


def _all_cached(dataset: Dataset, folder: Path) -> bool:
    return all((folder / f.name).is_file() for f in dataset.files)


def locate(name: str, *, registry: Registry = REGISTRY) -> Location:
    """Where ``name`` would be read from now, without reading, hashing or downloading anything."""
    dataset = get_dataset(name, registry)
    root = config.data_dir()
    if root is not None and (found := dataset.format.find_offline(root)) is not None:
        return Location("offline", found)
    folder = cache_folder(dataset.name)
    if _all_cached(dataset, folder):
        return Location("cache", dataset.format.cache_data(folder))
    return Location("download", folder)


def not_found(dataset: Dataset) -> DatasetNotFoundError:
    """The offline-mode error: names the dataset, the folders searched and the variables to set."""
    root, folder = config.data_dir(), dataset.format.folder
    searched = [f"{root / folder} (${config.DATA_DIR_VAR})"] if root else []
    searched.append(f"{cache_folder(dataset.name)} (cache)")
    return DatasetNotFoundError(
        f"{dataset.name} is not available offline: searched {' and '.join(searched)}; set "
        f"{config.DATA_DIR_VAR} to a folder holding {folder}/, or unset "
        f"{config.OFFLINE_VAR} to download it"
    )


def fetch_file(file: RemoteFile, folder: Path) -> tuple[Path, bool]:
    """Return ``(path, downloaded)`` for ``file`` in the cache ``folder``, verifying its SHA-256.

    A cached file that no longer matches is deleted, then fetched again, or, when
    ``CNNBOOK_OFFLINE`` is set, reported as an error (so no corrupt file stays in the cache).
    """
    target = folder / file.name
    if target.is_file():
        if is_intact(target, file):
            return target, False
        target.unlink()
        if config.offline():
            raise DownloadError(
                f"{file.name}: the cached copy no longer matches its SHA-256 and was removed; "
                f"unset {config.OFFLINE_VAR} to fetch it again"
            )
    elif config.offline():
        raise DatasetNotFoundError(f"{file.name}: not in the cache {folder} and "
                                   f"{config.OFFLINE_VAR} is set")
    return download(file, folder), True


def fetch_dataset(name: str, *, registry: Registry = REGISTRY) -> Path:
    """Make sure every file of ``name`` is in the cache and verified; return its data path.

    The dataset's format then prepares the cache (CIFAR-10's tarball is extracted next to it,
    again when it was just re-downloaded) and names what to read. Honours ``CNNBOOK_OFFLINE``.
    """
    dataset = get_dataset(name, registry)
    folder = cache_folder(dataset.name)
    if config.offline() and not _all_cached(dataset, folder):
        raise not_found(dataset)
    fresh = [fetch_file(file, folder)[1] for file in dataset.files]
    return dataset.format.prepare_cache(folder, fresh=any(fresh))


def resolve(name: str, *, registry: Registry = REGISTRY) -> Location:
    """Like :func:`locate`, but makes the data available: verifies the cache or downloads.

    Raises:
        DatasetNotFoundError: offline, with the dataset neither in the offline folder nor cached.
    """
    found = locate(name, registry=registry)
    if found.kind == "offline":
        return found
    return Location("cache", fetch_dataset(name, registry=registry))
