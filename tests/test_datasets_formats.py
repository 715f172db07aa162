"""File formats under attack: IDX round trips and malformed headers (Hypothesis), corrupt files in
the offline folder, and CIFAR pickles that try to run code."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from cnnbook.datasets import cifar, load_cifar10, load_mnist, locate
from cnnbook.datasets.errors import DataFormatError
from cnnbook.datasets.idx import IDX_DTYPES, parse_idx, read_idx, to_idx_bytes, write_idx

DTYPES = [np.dtype(d).newbyteorder("=") for d in IDX_DTYPES.values()]


@st.composite
def idx_arrays(draw):
    dtype = draw(st.sampled_from(DTYPES))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=6))
    elements = {"allow_nan": False} if dtype.kind == "f" else None
    return draw(hnp.arrays(dtype, shape, elements=elements))


@settings(max_examples=60, deadline=None)
@given(idx_arrays())
def test_idx_round_trip(array):
    back = parse_idx(to_idx_bytes(array))
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)


@settings(max_examples=15, deadline=None)
@given(idx_arrays(), st.booleans())
def test_idx_file_round_trip_plain_and_gzip(tmp_path_factory, array, compress):
    path = tmp_path_factory.mktemp("idx") / ("a.idx.gz" if compress else "a.idx")
    write_idx(path, array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == compress
    np.testing.assert_array_equal(read_idx(path), array)


@settings(max_examples=80, deadline=None)
@given(st.binary(min_size=4, max_size=4).filter(
    lambda h: h[:2] != b"\x00\x00" or h[2] not in IDX_DTYPES or h[3] == 0), st.binary(max_size=64))
def test_idx_rejects_bad_magic(header, body):
    with pytest.raises(DataFormatError, match="bad IDX magic"):
        parse_idx(header + body)


@settings(max_examples=60, deadline=None)
@given(idx_arrays().filter(lambda a: a.size > 0), st.integers(1, 64), st.booleans())
def test_idx_rejects_a_body_of_the_wrong_length(array, k, cut):
    data = to_idx_bytes(array)
    bad = data[:-k] if cut else data + bytes(k)
    with pytest.raises(DataFormatError, match="IDX header"):
        parse_idx(bad)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 3))
def test_idx_rejects_short_input(n):
    with pytest.raises(DataFormatError, match="too short"):
        parse_idx(b"\x00\x00\x08"[:n])


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def offline_copy(shared_data, tmp_path, monkeypatch):
    """A writable copy of the real MNIST folder used as CNNBOOK_DATA_DIR (downloads off)."""
    root = tmp_path / "offline"
    shutil.copytree(shared_data / "mnist", root / "mnist")
    monkeypatch.setenv("CNNBOOK_DATA_DIR", str(root))
    monkeypatch.setenv("CNNBOOK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CNNBOOK_OFFLINE", "1")
    return root


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _wrong_magic(p: Path) -> None:  # a label file (0x00000801) where images (0x00000803) belong
    p.write_bytes(gzip.compress(to_idx_bytes(np.zeros(10000, np.uint8)), mtime=0))


def _one_label_short(p: Path) -> None:
    labels = read_idx(p)
    p.write_bytes(gzip.compress(to_idx_bytes(labels[:-1]), mtime=0))


def _empty(p: Path) -> None:
    p.write_bytes(b"")


@pytest.mark.parametrize("corrupt, filename, problem", [
    (_truncate, "t10k-images-idx3-ubyte.gz", "truncated"),
    (_wrong_magic, "t10k-images-idx3-ubyte.gz", "0x00000803"),
    (_one_label_short, "t10k-labels-idx1-ubyte.gz", "10,000 images but"),
    (_empty, "train-labels-idx1-ubyte.gz", "empty"),
])
def test_corrupt_offline_files_fail_in_one_line_and_are_left_alone(
        offline_copy, corrupt, filename, problem):
    corrupt(offline_copy / "mnist" / filename)
    before = _snapshot(offline_copy)
    with pytest.raises(DataFormatError) as err:
        load_mnist()
    message = str(err.value)
    assert "\n" not in message and problem in message
    assert filename in message or filename.replace("labels-idx1", "images-idx3") in message
    assert _snapshot(offline_copy) == before  # the read-only folder is never altered


class _RunsCode:
    """Unpickling this would call ``func(*args)``: the classic pickle exploit."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


@pytest.mark.parametrize("exploit", ["open", "system"])
def test_malicious_cifar_pickle_is_refused_before_running(tmp_path, monkeypatch, exploit):
    marker = tmp_path / "pwned"
    payload = (_RunsCode(open, str(marker), "w") if exploit == "open"
               else _RunsCode(os.system, f"touch {marker}"))
    batch = {b"data": payload, b"labels": [0]}
    folder = tmp_path / "offline" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name in ("data_batch_1", "test_batch"):
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError, match="refusing to load global"):
        cifar.RestrictedUnpickler(io.BytesIO((folder / "test_batch").read_bytes())).load()
    monkeypatch.setenv("CNNBOOK_DATA_DIR", str(tmp_path / "offline"))
    monkeypatch.setenv("CNNBOOK_OFFLINE", "1")
    with pytest.raises(DataFormatError, match="data_batch_1: not a safe CIFAR pickle"):
        load_cifar10()
    assert not marker.exists()


@pytest.mark.parametrize("batch, problem", [
    ({b"data": np.zeros((2, 3072), np.float32), b"labels": [0, 1]}, "must be uint8"),
    ({b"data": np.zeros((2, 1024), np.uint8), b"labels": [0, 1]}, "must be uint8"),
    ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0]}, "2 images but 1 labels"),
    ({b"labels": [0]}, "lacks 'data'"),
    ([1, 2, 3], "is a dict"),
])
def test_malformed_cifar_batches_are_rejected(tmp_path, batch, problem):
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps(batch, protocol=4))
    with pytest.raises(DataFormatError, match=problem):
        cifar.read_batch(path)


class _PlainUnpickler(pickle.Unpickler):
    """Plain pickle for a trusted file, with NumPy 2's module names read on NumPy 1 too: a file
    pickled by NumPy 2 names ``numpy._core``, which NumPy 1.26 calls ``numpy.core``."""

    def find_class(self, module: str, name: str):
        if module.startswith("numpy._core") and not hasattr(np, "_core"):
            module = "numpy.core" + module[len("numpy._core"):]
        return super().find_class(module, name)


def test_real_cifar_batch_loads_through_the_restricted_unpickler(shared_data):
    path = shared_data / "cifar-10-batches-py" / "test_batch"
    x, y = cifar.read_batch(path)
    reference = _PlainUnpickler(io.BytesIO(path.read_bytes()), encoding="bytes").load()
    expected = reference[b"data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(x, expected)
    np.testing.assert_array_equal(y, reference[b"labels"])


def _offline_env(monkeypatch, root: Path, cache: Path) -> None:
    monkeypatch.setenv("CNNBOOK_DATA_DIR", str(root))
    monkeypatch.setenv("CNNBOOK_CACHE_DIR", str(cache))
    monkeypatch.setenv("CNNBOOK_OFFLINE", "1")


def _assert_same(a, b) -> None:
    for split_a, split_b in zip(a, b, strict=True):
        for array_a, array_b in zip(split_a, split_b, strict=True):
            assert array_a.dtype == array_b.dtype == np.uint8
            np.testing.assert_array_equal(array_a, array_b)


def test_cifar_offline_tarball_reads_like_the_extracted_folder(shared_data, tmp_path, monkeypatch):
    real, root = shared_data, tmp_path / "offline"
    root.mkdir()
    with tarfile.open(root / "cifar-10-python.tar.gz", "w:gz", compresslevel=1) as tar:
        tar.add(real / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    _offline_env(monkeypatch, root, tmp_path / "cache")
    assert locate("cifar10").path == root / "cifar-10-python.tar.gz"
    from_tar = load_cifar10(limit=500, test_limit=100, seed=2)
    assert from_tar[0][0].shape == (500, 32, 32, 3) and from_tar[1][1].shape == (100,)
    _offline_env(monkeypatch, real, tmp_path / "cache")
    assert locate("cifar10").path.name == "cifar-10-batches-py"
    _assert_same(from_tar, load_cifar10(limit=500, test_limit=100, seed=2))
    assert sorted(p.name for p in root.iterdir()) == ["cifar-10-python.tar.gz"]  # not extracted


def test_uncompressed_idx_files_read_like_the_gzip_ones(shared_data, tmp_path, monkeypatch):
    real, root = shared_data, tmp_path / "offline"
    (root / "mnist").mkdir(parents=True)
    for path in (real / "mnist").glob("*.gz"):
        (root / "mnist" / path.name.removesuffix(".gz")).write_bytes(
            gzip.decompress(path.read_bytes()))
    _offline_env(monkeypatch, root, tmp_path / "cache")
    plain = load_mnist(limit=300, seed=4)
    _offline_env(monkeypatch, real, tmp_path / "cache")
    _assert_same(plain, load_mnist(limit=300, seed=4))
