"""Downloads against a loopback HTTP server: hash checks, mirror fallback, dropped connections,
the cache's re-verification and offline mode (which must open no socket at all).

The served files are real: small IDX / CIFAR files cut from the offline data folder when it is
present, else synthetic arrays in the same formats.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import http.server
import io
import os
import pickle
import socket
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest

from cnnbook.datasets import cifar, fetch
from cnnbook.datasets.errors import DataFormatError, DatasetNotFoundError, DownloadError
from cnnbook.datasets.idx import read_idx, to_idx_bytes
from cnnbook.datasets.loaders import load_mnist, read_available, read_dataset
from cnnbook.datasets.registry import REGISTRY


def _shared_data() -> Path | None:
    raw = os.environ.get("CNNBOOK_DATA_DIR") or str(Path(__file__).parents[2] / "shared" / "data")
    return Path(raw) if Path(raw).is_dir() else None


def _mnist_arrays() -> dict[str, np.ndarray]:
    root = _shared_data()
    if root is not None:
        x = read_idx(root / "mnist" / "t10k-images-idx3-ubyte.gz")
        y = read_idx(root / "mnist" / "t10k-labels-idx1-ubyte.gz")
    else:
        rng = np.random.default_rng(0)
        x = rng.integers(0, 256, (500, 28, 28), dtype=np.uint8)
        y = np.arange(500, dtype=np.uint8) % 10
    return {"train-images-idx3-ubyte.gz": x[:300], "train-labels-idx1-ubyte.gz": y[:300],
            "t10k-images-idx3-ubyte.gz": x[300:500], "t10k-labels-idx1-ubyte.gz": y[300:500]}


class Server:
    """``/good/<name>`` serves a file, ``/missing/...`` 404, ``/busy/...`` 503, ``/drop/<name>``
    promises the whole file but closes the connection half-way, ``/bad/<name>`` serves altered
    bytes."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files, self.requests = files, []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                mode, _, name = self.path.strip("/").partition("/")
                body = server.files.get(name)
                if mode in ("missing", "busy") or body is None:
                    self.send_error(404 if mode != "busy" else 503)
                    return
                if mode == "bad":
                    body = body[:-1] + bytes([body[-1] ^ 0xFF])
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if mode == "drop" else body)
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, mode: str, name: str) -> str:
        return f"{self.base}/{mode}/{name}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _entry(name: str, body: bytes, urls: list[str]) -> dict:
    return {"name": name, "size": len(body), "sha256": hashlib.sha256(body).hexdigest(),
            "urls": tuple(urls)}


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A fresh cache, no offline folder, downloads allowed, no proxy for the loopback server."""
    monkeypatch.setenv("CNNBOOK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CNNBOOK_DATA_DIR", raising=False)
    monkeypatch.setenv("CNNBOOK_OFFLINE", "0")
    monkeypatch.setenv("CNNBOOK_PROGRESS", "0")
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def mnist_files() -> dict[str, tuple[np.ndarray, bytes]]:
    return {name: (a, gzip.compress(to_idx_bytes(a), mtime=0)) for name, a in _mnist_arrays().items()}


@pytest.fixture
def server(mnist_files):
    srv = Server({name: body for name, (_, body) in mnist_files.items()})
    yield srv
    srv.close()


def _registry(server: Server, mnist_files, modes: tuple[str, ...] = ("good",)) -> dict:
    reg = {"mnist": copy.deepcopy(REGISTRY["mnist"])}
    reg["mnist"]["files"] = tuple(_entry(n, b, [server.url(m, n) for m in modes])
                                  for n, (_, b) in mnist_files.items())
    return reg


def _socket_spy(monkeypatch) -> list:
    calls: list = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError("offline mode opened a socket")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return calls


def test_good_download_is_verified_and_loads(env, server, mnist_files, monkeypatch):
    reg = _registry(server, mnist_files)
    folder = fetch.fetch_dataset("mnist", registry=reg)
    assert sorted(p.name for p in folder.iterdir()) == sorted(mnist_files)
    for name, (_, body) in mnist_files.items():
        assert (folder / name).read_bytes() == body
    (x_train, y_train), (x_test, y_test) = read_dataset("mnist", fetch.resolve("mnist", registry=reg), reg)
    np.testing.assert_array_equal(x_train, mnist_files["train-images-idx3-ubyte.gz"][0])
    np.testing.assert_array_equal(y_train, mnist_files["train-labels-idx1-ubyte.gz"][0])
    np.testing.assert_array_equal(y_test, mnist_files["t10k-labels-idx1-ubyte.gz"][0])
    assert x_train.dtype == np.uint8 and x_test.shape[1:] == (28, 28)
    # Cached now: offline mode reads it back, hash-verified, without a single socket.
    count = len(server.requests)
    monkeypatch.setenv("CNNBOOK_OFFLINE", "1")
    calls = _socket_spy(monkeypatch)
    assert fetch.resolve("mnist", registry=reg).kind == "cache"
    assert calls == [] and len(server.requests) == count


def test_wrong_hash_raises_and_leaves_the_cache_clean(env, server, mnist_files):
    name, (_, body) = next(iter(mnist_files.items()))
    entry = _entry(name, body, [server.url("bad", name)])
    with pytest.raises(DownloadError, match=f"{name}.*SHA-256 mismatch"):
        fetch.fetch_file(entry, env / "mnist")
    assert list((env / "mnist").iterdir()) == []  # no partial, temporary or corrupt file


@pytest.mark.parametrize("first", ["missing", "busy", "refused", "bad"])
def test_a_failing_mirror_falls_back_to_the_next(env, server, mnist_files, first):
    name, (_, body) = next(iter(mnist_files.items()))
    if first == "refused":
        with socket.socket() as s:  # a port that nothing listens on
            s.bind(("127.0.0.1", 0))
            dead = f"http://127.0.0.1:{s.getsockname()[1]}/good/{name}"
    else:
        dead = server.url(first, name)
    entry = _entry(name, body, [dead, server.url("good", name)])
    path, downloaded = fetch.fetch_file(entry, env / "mnist")
    assert downloaded and path.read_bytes() == body
    assert server.requests[-1] == f"/good/{name}"
    assert os.listdir(env / "mnist") == [name]


def test_connection_dropped_mid_file_leaves_no_partial_file(env, server, mnist_files):
    name, (_, body) = next(iter(mnist_files.items()))
    entry = _entry(name, body, [server.url("drop", name)])
    with pytest.raises(DownloadError, match=name):
        fetch.fetch_file(entry, env / "mnist")
    assert list((env / "mnist").iterdir()) == []


def test_cached_file_that_no_longer_matches_is_fetched_again(env, server, mnist_files):
    reg = _registry(server, mnist_files)
    folder = fetch.fetch_dataset("mnist", registry=reg)
    target = folder / "t10k-labels-idx1-ubyte.gz"
    target.write_bytes(b"tampered")
    before = len(server.requests)
    fetch.fetch_dataset("mnist", registry=reg)
    assert server.requests[before:] == ["/good/t10k-labels-idx1-ubyte.gz"]
    assert target.read_bytes() == mnist_files["t10k-labels-idx1-ubyte.gz"][1]


def test_cached_mismatch_offline_raises_and_removes_it(env, server, mnist_files, monkeypatch):
    reg = _registry(server, mnist_files)
    target = fetch.fetch_dataset("mnist", registry=reg) / "t10k-images-idx3-ubyte.gz"
    target.write_bytes(target.read_bytes()[:100])
    monkeypatch.setenv("CNNBOOK_OFFLINE", "1")
    calls = _socket_spy(monkeypatch)
    with pytest.raises(DownloadError, match="t10k-images-idx3-ubyte.gz.*no longer matches"):
        fetch.resolve("mnist", registry=reg)
    assert not target.exists() and calls == []


@pytest.mark.parametrize("with_data_dir", [False, True])
def test_offline_with_nothing_cached_is_a_clear_error_and_opens_no_socket(
        env, tmp_path, monkeypatch, with_data_dir):
    if with_data_dir:
        (tmp_path / "offline").mkdir()
        monkeypatch.setenv("CNNBOOK_DATA_DIR", str(tmp_path / "offline"))
    monkeypatch.setenv("CNNBOOK_OFFLINE", "1")
    calls = _socket_spy(monkeypatch)
    with pytest.raises(DatasetNotFoundError) as err:
        load_mnist()
    message = str(err.value)
    assert "\n" not in message and "mnist" in message and str(env / "mnist") in message
    assert "CNNBOOK_DATA_DIR" in message and "CNNBOOK_OFFLINE" in message
    if with_data_dir:
        assert str(tmp_path / "offline" / "mnist") in message
    assert calls == []
    assert not env.exists()  # offline mode did not even create the cache


def _cifar_tar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _batch(n: int, seed: int) -> tuple[bytes, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
    labels = [int(v) for v in rng.integers(0, 10, n)]
    batch = {b"batch_label": b"test", b"labels": labels, b"data": data,
             b"filenames": [b"x.png"] * n}
    return pickle.dumps(batch, protocol=4), data, np.asarray(labels)


def test_cifar_tarball_is_downloaded_extracted_and_read(env, monkeypatch):
    b1, d1, l1 = _batch(20, 1)
    b2, d2, l2 = _batch(10, 2)
    tgz = _cifar_tar({"cifar-10-batches-py/data_batch_1": b1, "cifar-10-batches-py/test_batch": b2})
    srv = Server({"cifar-10-python.tar.gz": tgz})
    try:
        reg = {"cifar10": dict(REGISTRY["cifar10"],
                               files=(_entry("cifar-10-python.tar.gz", tgz,
                                             [srv.url("good", "cifar-10-python.tar.gz")]),))}
        folder = fetch.fetch_dataset("cifar10", registry=reg)
    finally:
        srv.close()
    assert folder == env / "cifar10" / "cifar-10-batches-py"
    assert sorted(os.listdir(env / "cifar10")) == ["cifar-10-batches-py", "cifar-10-python.tar.gz"]
    for read, path in ((cifar.read_folder, folder), (cifar.read_tar, folder.parent / "cifar-10-python.tar.gz")):
        (x, y), (xt, yt) = read(path)
        assert x.shape == (20, 32, 32, 3) and xt.shape == (10, 32, 32, 3)
        np.testing.assert_array_equal(x[:, :, :, 0].reshape(20, -1), d1[:, :1024])  # R plane
        np.testing.assert_array_equal(xt[:, :, :, 2].reshape(10, -1), d2[:, 2048:])  # B plane
        np.testing.assert_array_equal(y, l1)
        np.testing.assert_array_equal(yt, l2)
    # A damaged extracted batch is rebuilt from the hash-verified tarball, with no network.
    (folder / "data_batch_1").write_bytes(b"junk")
    monkeypatch.setenv("CNNBOOK_OFFLINE", "1")
    calls = _socket_spy(monkeypatch)
    (x, y), _ = read_available("cifar10", registry=reg)
    np.testing.assert_array_equal(y, l1)
    assert (folder / "data_batch_1").read_bytes() == b1 and calls == []


def test_extraction_cannot_escape_the_destination(tmp_path):
    archive = tmp_path / "evil.tar.gz"
    archive.write_bytes(_cifar_tar({"../escaped.txt": b"gotcha"}))
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(DataFormatError, match="evil.tar.gz"):
        cifar.extract(archive, dest)
    assert not (tmp_path / "escaped.txt").exists()
