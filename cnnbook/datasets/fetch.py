"""Where datasets come from: the read-only offline folder, the cache, or a verified download.

Lookup order for a dataset (see :func:`locate` and :func:`resolve`):

1. ``$CNNBOOK_DATA_DIR/<folder>`` (read-only; validated by structure when read, never written);
2. ``<cache>/<key>/`` where ``<cache>`` is :func:`cnnbook.config.cache_dir`; every cached file is
   re-hashed on use, and one that no longer matches its SHA-256 is deleted and fetched again;
3. a download through pooch (temporary file, SHA-256 check, atomic rename), trying each mirror
   of :mod:`cnnbook.datasets.registry` in turn, unless ``CNNBOOK_OFFLINE`` is set.

Functions take an optional ``registry`` (same layout as ``REGISTRY``) so callers can point them at
other files and mirrors; the library itself always uses ``REGISTRY``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cnnbook import config
from cnnbook.datasets.cifar import extract
from cnnbook.datasets.errors import DataFormatError, DatasetNotFoundError, DownloadError
from cnnbook.datasets.registry import REGISTRY
from cnnbook.progress import progress

ALIASES = {"fashion_mnist": "fashion-mnist", "fashionmnist": "fashion-mnist",
           "cifar-10": "cifar10", "cifar_10": "cifar10"}
CIFAR_ARCHIVE = "cifar-10-python.tar.gz"
PROGRESS_MIN_BYTES = 1 << 20  # files smaller than 1 MiB download without a bar
TIMEOUT_S = 30


@dataclass(frozen=True)
class Location:
    """Where a dataset is (or would be) read from.

    ``kind`` is ``"offline"`` (the read-only folder), ``"cache"`` or ``"download"`` (not fetched
    yet; ``path`` is the cache folder it would go to). ``path`` is a folder, or CIFAR-10's tarball.
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


def canonical_name(name: str, registry: Mapping = REGISTRY) -> str:
    """``"fashion_mnist"`` -> ``"fashion-mnist"`` etc.; raises ValueError for an unknown dataset."""
    key = ALIASES.get(name.strip().lower(), name.strip().lower())
    if key not in registry:
        raise ValueError(f"unknown dataset {name!r}; use one of: {', '.join(registry)}")
    return key


def sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def offline_source(root: Path, name: str, registry: Mapping = REGISTRY) -> Path | None:
    """The dataset's folder (or CIFAR tarball) inside the offline folder ``root``, if complete.

    MNIST-like datasets need all four IDX files (``.gz`` or uncompressed); CIFAR-10 needs the
    ``cifar-10-batches-py/`` folder or ``cifar-10-python.tar.gz``.
    """
    info = registry[name]
    folder = root / info["folder"]
    if info["format"] == "cifar-python":
        if folder.is_dir():
            return folder
        return root / CIFAR_ARCHIVE if (root / CIFAR_ARCHIVE).is_file() else None
    ok = all(idx_file(folder, f["name"]) is not None for f in info["files"])
    return folder if ok else None


def idx_file(folder: Path, name: str) -> Path | None:
    """``folder/name``, or the same without ``.gz`` when only the uncompressed file exists."""
    for candidate in (folder / name, folder / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def cache_folder(name: str) -> Path:
    """``<cache>/<key>``: where a dataset's downloads are kept."""
    return config.cache_dir() / name


def locate(name: str, *, registry: Mapping = REGISTRY) -> Location:
    """Where ``name`` would be read from now, without reading, hashing or downloading anything."""
    name = canonical_name(name, registry)
    root = config.data_dir()
    if root is not None and (found := offline_source(root, name, registry)) is not None:
        return Location("offline", found)
    folder = cache_folder(name)
    if all((folder / f["name"]).is_file() for f in registry[name]["files"]):
        return Location("cache", _cache_data_path(folder, registry[name]))
    return Location("download", folder)


def _cache_data_path(folder: Path, info: Mapping) -> Path:
    return folder / info["folder"] if info["format"] == "cifar-python" else folder


def not_found(name: str, registry: Mapping = REGISTRY) -> DatasetNotFoundError:
    """The offline-mode error: names the dataset, the folders searched and the variables to set."""
    root = config.data_dir()
    searched = [f"{root / registry[name]['folder']} (${config.DATA_DIR_VAR})"] if root else []
    searched.append(f"{cache_folder(name)} (cache)")
    return DatasetNotFoundError(
        f"{name} is not available offline: searched {' and '.join(searched)}; set "
        f"{config.DATA_DIR_VAR} to a folder holding {registry[name]['folder']}/, or unset "
        f"{config.OFFLINE_VAR} to download it"
    )


def download(entry: Mapping, folder: Path) -> Path:
    """Download ``entry`` (name, size, sha256, urls) into ``folder`` through pooch.

    Mirrors are tried in order; a mirror that answers with an HTTP error, drops the connection or
    serves bytes with the wrong SHA-256 is skipped. pooch writes to a temporary file in ``folder``
    and renames it only after the hash matched, so a failure leaves nothing behind.

    Raises:
        DownloadError: when every mirror failed, listing each URL and why.
    """
    import pooch
    import requests

    folder.mkdir(parents=True, exist_ok=True)
    name, failures = entry["name"], []
    for url in entry["urls"]:
        bar = progress(total=entry["size"], unit="B", unit_scale=True, desc=name, leave=False) \
            if entry["size"] >= PROGRESS_MIN_BYTES else False
        try:
            pooch.retrieve(url, known_hash=f"sha256:{entry['sha256']}", fname=name, path=folder,
                           downloader=pooch.HTTPDownloader(progressbar=bar, timeout=TIMEOUT_S))
            return folder / name
        except ValueError:  # pooch: downloaded bytes do not match the known hash
            failures.append(f"{url}: SHA-256 mismatch")
        except (requests.RequestException, OSError) as err:
            failures.append(f"{url}: {type(err).__name__}: {str(err).splitlines()[0][:160]}")
        finally:
            if bar:
                bar.close()
    raise DownloadError(f"{name}: every mirror failed: " + "; ".join(failures))


def fetch_file(entry: Mapping, folder: Path) -> tuple[Path, bool]:
    """Return ``(path, downloaded)`` for ``entry`` in the cache ``folder``, verifying its SHA-256.

    A cached file that no longer matches is deleted, then fetched again, or, when
    ``CNNBOOK_OFFLINE`` is set, reported as an error (so no corrupt file stays in the cache).
    """
    target = folder / entry["name"]
    if target.is_file():
        if sha256(target) == entry["sha256"]:
            return target, False
        target.unlink()
        if config.offline():
            raise DownloadError(
                f"{entry['name']}: the cached copy no longer matches its SHA-256 and was removed; "
                f"unset {config.OFFLINE_VAR} to fetch it again"
            )
    elif config.offline():
        raise DatasetNotFoundError(f"{entry['name']}: not in the cache {folder} and "
                                   f"{config.OFFLINE_VAR} is set")
    return download(entry, folder), True


def fetch_dataset(name: str, *, registry: Mapping = REGISTRY) -> Path:
    """Make sure every file of ``name`` is in the cache and verified; return its data path.

    For CIFAR-10 the tarball is (re-)extracted next to it, and the extracted
    ``cifar-10-batches-py/`` folder is returned. Honours ``CNNBOOK_OFFLINE`` (no network at all).
    """
    name = canonical_name(name, registry)
    info, folder = registry[name], cache_folder(name)
    if config.offline() and not all((folder / f["name"]).is_file() for f in info["files"]):
        raise not_found(name, registry)
    fresh = [fetch_file(entry, folder)[1] for entry in info["files"]]
    if info["format"] != "cifar-python":
        return folder
    data = folder / info["folder"]
    if any(fresh) and data.exists():
        shutil.rmtree(data)
    if not data.is_dir():
        _extract_atomically(folder / info["files"][0]["name"], data)
    return data


def _extract_atomically(archive: Path, data: Path) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=".extract-", dir=data.parent))
    try:
        extract(archive, tmp)
        inner = tmp / data.name
        if not inner.is_dir():
            raise DataFormatError(f"{archive.name}: has no {data.name}/ folder")
        inner.rename(data)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def resolve(name: str, *, registry: Mapping = REGISTRY) -> Location:
    """Like :func:`locate`, but makes the data available: verifies the cache or downloads.

    Raises:
        DatasetNotFoundError: offline, with the dataset neither in the offline folder nor cached.
    """
    name = canonical_name(name, registry)
    found = locate(name, registry=registry)
    if found.kind == "offline":
        return found
    return Location("cache", fetch_dataset(name, registry=registry))
