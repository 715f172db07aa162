"""Read and write IDX files, the format of MNIST and Fashion-MNIST (optionally gzip-compressed).

An IDX file is a big-endian header followed by the raw array in C order::

    bytes 0-1   0x00 0x00
    byte  2     element type (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
                0x0E float64)
    byte  3     number of dimensions d
    4 * d       each dimension as a big-endian uint32
    ...         the elements

MNIST images are ``0x00000803`` (uint8, 3 dims: N, rows, cols), read as uint8 ``(N, H, W)``, and
labels ``0x00000801`` (uint8, 1 dim: N), read as uint8 ``(N,)``. Reading is one ``zlib`` call plus
``np.frombuffer``: no per-image Python work.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from cnnbook.datasets.errors import DataFormatError

IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}
GZIP_MAGIC = b"\x1f\x8b"


def decompress(raw: bytes, source: str = "<bytes>") -> bytes:
    """Return ``raw`` gunzipped when it starts with the gzip magic, else unchanged.

    Raises:
        DataFormatError: for a truncated or corrupt gzip stream.
    """
    if not raw.startswith(GZIP_MAGIC):
        return raw
    # The gzip trailer's last 4 bytes hold the uncompressed size (mod 2**32): sizing the output
    # buffer from it spares zlib's grow-and-copy steps. One C call, which releases the GIL.
    size_hint = max(int.from_bytes(raw[-4:], "little"), 1 << 14)
    try:
        return zlib.decompress(raw, 31, size_hint)  # wbits 31: gzip header and trailer
    except zlib.error as err:
        raise DataFormatError(f"{source}: corrupt or truncated gzip data ({err})") from None


def parse_idx(data: bytes, source: str = "<bytes>") -> np.ndarray:
    """Parse the bytes of an (uncompressed) IDX file into an array in native byte order.

    The array has the shape stored in the header; uint8 data is returned without a copy
    (read-only view of ``data``).

    Raises:
        DataFormatError: for a bad magic number, an unknown element type, or a body whose length
            does not match the header's dimensions.
    """
    if len(data) < 4:
        raise DataFormatError(f"{source}: {len(data)} bytes is too short for an IDX header")
    zero, code, ndim = data[0:2], data[2], data[3]
    if zero != b"\x00\x00" or code not in IDX_DTYPES or ndim == 0:
        magic = int.from_bytes(data[:4], "big")
        raise DataFormatError(f"{source}: bad IDX magic number 0x{magic:08X}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataFormatError(f"{source}: IDX header promises {ndim} dimensions but is truncated")
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise DataFormatError(
            f"{source}: IDX header says shape {shape} ({expected:,} bytes) "
            f"but the file holds {len(data):,} bytes"
        )
    array = np.frombuffer(data, dtype, offset=header).reshape(shape)
    return array if dtype.itemsize == 1 else array.astype(dtype.newbyteorder("="))


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (``.gz`` or not, detected from its content) into a NumPy array.

    Raises:
        DataFormatError: one line naming the file, for an empty, truncated or malformed file.
    """
    path = Path(path)
    raw = path.read_bytes()
    if not raw:
        raise DataFormatError(f"{path.name}: the file is empty")
    return parse_idx(decompress(raw, path.name), path.name)


def to_idx_bytes(array: np.ndarray) -> bytes:
    """Serialise ``array`` (any shape, an IDX element type) to uncompressed IDX bytes."""
    array = np.asarray(array)
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(f"IDX cannot store dtype {array.dtype}; use one of uint8, int8, int16, "
                        "int32, float32, float64")
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"IDX stores 1 to 255 dimensions, not {array.ndim}")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    return header + np.ascontiguousarray(array, IDX_DTYPES[code]).tobytes()


def write_idx(path: str | Path, array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file; gzip it (deterministically) when ``path`` ends in .gz."""
    path = Path(path)
    data = to_idx_bytes(array)
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=6, mtime=0)
    path.write_bytes(data)
    return path


def find_idx(folder: Path, name: str) -> Path | None:
    """``folder/name``, or the same without ``.gz`` when only the uncompressed file exists."""
    for candidate in (folder / name, folder / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def read_idx_images(path: str | Path) -> np.ndarray:
    """Read an MNIST-style image file: magic ``0x00000803``, returns uint8 ``(N, rows, cols)``."""
    return _expect(read_idx(path), Path(path).name, ndim=3)


def read_idx_labels(path: str | Path) -> np.ndarray:
    """Read an MNIST-style label file: magic ``0x00000801``, returns uint8 ``(N,)``."""
    return _expect(read_idx(path), Path(path).name, ndim=1)


def _expect(array: np.ndarray, source: str, *, ndim: int) -> np.ndarray:
    if array.dtype != np.uint8 or array.ndim != ndim:
        raise DataFormatError(
            f"{source}: expected IDX magic 0x{0x800 + ndim:08X} (uint8, {ndim} dims), "
            f"found {array.dtype} with shape {array.shape}"
        )
    return array
