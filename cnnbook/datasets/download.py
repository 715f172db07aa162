"""The only code that touches the network: a :class:`~cnnbook.datasets.spec.RemoteFile` fetched
through pooch, one mirror after the other, into a cache folder.

For each mirror, ``pooch.retrieve`` streams the bytes (following HTTP redirects) into a temporary
file inside the destination folder, checks its SHA-256 and only then renames it to the file's
``name``. A dropped connection, an HTTP error or a hash mismatch deletes the temporary file, so
nothing half-written or corrupt is ever left under the real name. With ``CNNBOOK_OFFLINE`` set,
:func:`download` raises before opening any connection.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cnnbook import config
from cnnbook.datasets.errors import DatasetNotFoundError, DownloadError
from cnnbook.datasets.spec import RemoteFile
from cnnbook.progress import progress

CHUNK_BYTES = 1 << 16
PROGRESS_MIN_BYTES = 1 << 20  # files smaller than 1 MiB download without a bar
TIMEOUT_S = 30


def sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def is_intact(path: Path, file: RemoteFile) -> bool:
    """True when ``path`` has ``file``'s exact size and SHA-256 (the size is checked first)."""
    return path.stat().st_size == file.size and sha256(path) == file.sha256


def download(file: RemoteFile, folder: Path) -> Path:
    """Download ``file`` into ``folder / file.name`` through pooch, verified; return that path.

    Mirrors are tried in order; one that answers with an HTTP error, cannot be reached, drops the
    connection or serves bytes with the wrong SHA-256 is skipped.

    Raises:
        DatasetNotFoundError: ``CNNBOOK_OFFLINE`` is set (no connection is attempted).
        DownloadError: every mirror failed; the one-line message lists each URL and why.
    """
    if config.offline():
        raise DatasetNotFoundError(f"{file.name}: not downloading, {config.OFFLINE_VAR} is set")
    import pooch  # imported on first download: keeps `import cnnbook.datasets` light

    failures = []
    for url in file.urls:
        bar = (progress(total=file.size, unit="B", unit_scale=True, desc=file.name, leave=False)
               if file.size >= PROGRESS_MIN_BYTES else None)
        downloader = pooch.HTTPDownloader(progressbar=bar if bar is not None else False,
                                          chunk_size=CHUNK_BYTES, timeout=TIMEOUT_S)
        try:
            pooch.retrieve(url, known_hash=f"sha256:{file.sha256}", fname=file.name,
                           path=folder, downloader=downloader)
            return folder / file.name
        except (ValueError, OSError) as err:  # requests' errors are OSErrors
            failures.append(f"{url}: {_reason(err)}")
        finally:
            if bar is not None:
                bar.close()
    raise DownloadError(f"{file.name}: every mirror failed: " + "; ".join(failures))


def _reason(err: Exception) -> str:
    """One short line for a failed mirror."""
    text = str(err).splitlines()[0] if str(err) else ""
    if isinstance(err, ValueError) and "does not match the known hash" in str(err):
        return "SHA-256 mismatch"  # pooch's message for a hash check that failed
    return f"{type(err).__name__}: {text[:160]}"
