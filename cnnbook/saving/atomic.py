"""Atomic file writes, framework-free: a crash leaves either the old file or the new one.

Every format of :mod:`cnnbook.saving` writes through :func:`write_atomic`, and so do the
artefact store and the command line's JSON files."""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from pathlib import Path


def fsync_dir(folder: Path) -> None:
    """Make a rename inside ``folder`` durable (POSIX; a no-op where directories cannot be
    opened)."""
    if hasattr(os, "O_DIRECTORY"):
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


@functools.cache
def _umask() -> int:
    """The umask of the process when first asked (read by setting it and setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file next to ``path``, flush, fsync, then rename it.

    The file gets the permissions that ``open(path, "w")`` would give it (``0o666`` less the
    umask), not the temporary file's ``0o600``: a page's files must be readable by the server
    that publishes them."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)
