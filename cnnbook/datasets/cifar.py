"""CIFAR-10 "python version" batches: safe unpickling, validation and the tarball.

A batch is a pickled dict (written by Python 2, hence ``encoding="bytes"``) with ``data``, a uint8
``(N, 3072)`` array holding each image as three 32x32 planes (R, G, B), ``labels`` (N ints),
``filenames`` and ``batch_label``. Loaders return images channels last, ``(N, 32, 32, 3)``.

Pickle can run arbitrary code, so batches load through :class:`RestrictedUnpickler`, which
resolves only the three NumPy names needed to rebuild a plain ndarray. Anything else (``os.system``,
``builtins.open`` ...) raises before it can be called.
"""

from __future__ import annotations

import importlib
import io
import pickle
import re
import tarfile
import zlib
from pathlib import Path
from typing import IO

import numpy as np

from cnnbook.datasets.errors import DataFormatError

CIFAR_SIDE, CIFAR_CHANNELS = 32, 3
_BATCH = re.compile(r"^data_batch_(\d+)$")
TEST_BATCH = "test_batch"


def _allowed() -> dict[tuple[str, str], object]:
    # NumPy 2 moved the pickling helpers to numpy._core; pickles written by NumPy 1 name
    # numpy.core. Either spelling resolves to the same function.
    multiarray = importlib.import_module(
        "numpy._core.multiarray" if np.lib.NumpyVersion(np.__version__) >= "2.0.0"
        else "numpy.core.multiarray")
    _reconstruct = multiarray._reconstruct
    return {
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
    }


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that can rebuild builtins and plain NumPy arrays and nothing else."""

    _ALLOWED = _allowed()

    def find_class(self, module: str, name: str) -> object:
        try:
            return self._ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name}") from None


def safe_load(file: IO[bytes], source: str) -> object:
    """Unpickle ``file`` with :class:`RestrictedUnpickler`; one-line DataFormatError on failure."""
    try:
        return RestrictedUnpickler(file, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            IndexError, KeyError) as err:
        raise DataFormatError(f"{source}: not a safe CIFAR pickle ({err})") from None


def parse_batch(obj: object, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Check an unpickled batch dict: return images ``(N, 32, 32, 3)``, labels ``(N,)``, uint8."""
    if not isinstance(obj, dict):
        raise DataFormatError(f"{source}: a CIFAR batch is a dict, found {type(obj).__name__}")
    batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in obj.items()}
    if "data" not in batch or "labels" not in batch:
        raise DataFormatError(f"{source}: CIFAR batch lacks 'data' or 'labels' (keys: "
                              f"{sorted(map(str, batch))})")
    data, labels = batch["data"], batch["labels"]
    pixels = CIFAR_CHANNELS * CIFAR_SIDE * CIFAR_SIDE
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 \
            or data.shape[1] != pixels:
        found = (f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray)
                 else type(data).__name__)
        raise DataFormatError(f"{source}: 'data' must be uint8 (N, {pixels}), found {found}")
    try:
        y = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError):
        raise DataFormatError(f"{source}: 'labels' are not integers") from None
    if y.shape != (len(data),):
        raise DataFormatError(f"{source}: {len(data):,} images but {y.size:,} labels")
    if y.size and (y.min() < 0 or y.max() > 255):
        raise DataFormatError(f"{source}: labels outside 0..255")
    images = data.reshape(-1, CIFAR_CHANNELS, CIFAR_SIDE, CIFAR_SIDE)  # (N, 3, 32, 32)
    return np.ascontiguousarray(images.transpose(0, 2, 3, 1)), y.astype(np.uint8)  # (N, 32, 32, 3)


def read_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read one batch file safely: images ``(N, 32, 32, 3)`` uint8, labels ``(N,)`` uint8."""
    path = Path(path)
    raw = path.read_bytes()
    if not raw:
        raise DataFormatError(f"{path.name}: the file is empty")
    return parse_batch(safe_load(io.BytesIO(raw), path.name), path.name)


def batch_names(names: list[str]) -> list[str]:
    """The training batch names among ``names``, in numeric order (``data_batch_1`` ...)."""
    found = [(int(m.group(1)), n) for n in names if (m := _BATCH.match(n))]
    return [n for _, n in sorted(found)]


def _concat(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def read_folder(folder: str | Path) -> tuple[tuple[np.ndarray, np.ndarray],
                                             tuple[np.ndarray, np.ndarray]]:
    """Read ``cifar-10-batches-py/``: every ``data_batch_<k>`` (in order) and ``test_batch``."""
    folder = Path(folder)
    train = batch_names([p.name for p in folder.iterdir()])
    if not train or not (folder / TEST_BATCH).is_file():
        raise DataFormatError(f"{folder.name}: needs data_batch_1 ... and {TEST_BATCH}")
    return _concat([read_batch(folder / n) for n in train]), read_batch(folder / TEST_BATCH)


def read_tar(path: str | Path) -> tuple[tuple[np.ndarray, np.ndarray],
                                        tuple[np.ndarray, np.ndarray]]:
    """Read the batches straight from ``cifar-10-python.tar.gz`` without extracting anything."""
    path = Path(path)
    parts: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                name = member.name.rsplit("/", 1)[-1]
                if member.isfile() and (name == TEST_BATCH or _BATCH.match(name)):
                    file = tar.extractfile(member)
                    source = f"{path.name}:{member.name}"
                    if file is None:  # pragma: no cover - isfile() members always have data
                        raise DataFormatError(f"{source}: no data in the archive")
                    parts[name] = parse_batch(safe_load(file, source), source)
    except (tarfile.TarError, EOFError, OSError, zlib.error) as err:
        raise DataFormatError(f"{path.name}: unreadable tar.gz ({err})") from None
    train = batch_names(list(parts))
    if not train or TEST_BATCH not in parts:
        raise DataFormatError(f"{path.name}: needs data_batch_1 ... and {TEST_BATCH}")
    return _concat([parts[n] for n in train]), parts[TEST_BATCH]


def extract(archive: str | Path, dest: str | Path) -> Path:
    """Extract ``archive`` into ``dest`` with tarfile's ``"data"`` filter.

    The filter rejects absolute paths, ``..`` components, links leaving ``dest`` and device files,
    so nothing can be written outside ``dest``.

    Raises:
        DataFormatError: for an unreadable archive or a member the filter refuses.
    """
    archive, dest = Path(archive), Path(dest)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(dest, filter="data")
    except (tarfile.TarError, EOFError, OSError, zlib.error) as err:
        raise DataFormatError(f"{archive.name}: cannot extract ({err})") from None
    return dest
