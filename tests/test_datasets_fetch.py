"""Downloads against loopback HTTP servers: hash checks, mirror fallback, redirects, query strings,
dropped connections, atomic writes, the cache's re-verification and offline mode (which must not
even create a socket).

The served files are real: small IDX / CIFAR files cut from the offline data folder when it is
present, else synthetic arrays in the same formats.
"""

from __future__ import annotations

import dataclasses
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

from cnnbook.datasets import cifar, download, fetch
from cnnbook.datasets.errors import DataFormatError, DatasetNotFoundError, DownloadError
from cnnbook.datasets.idx import read_idx, to_idx_bytes
from cnnbook.datasets.loaders import load_mnist, read_available
from cnnbook.datasets.registry import REGISTRY
from cnnbook.datasets.spec import Dataset, RemoteFile
from tests.helpers import offline_data_dir

TARBALL = "cifar-10-python.tar.gz"


def _mnist_arrays() -> dict[str, np.ndarray]:
    root = offline_data_dir()
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
    """``/good/<name>`` serves a file (any ``?query`` is ignored), ``/missing/...`` 404,
    ``/busy/...`` 503, ``/drop/<name>`` promises the whole file but closes the connection
    half-way, ``/bad/<name>`` serves altered bytes, ``/moved/<name>`` answers 301 with
    ``/good/<name>`` on this server and ``/away/<name>`` 302 with ``redirect_to + /good/<name>``."""

    def __init__(self, files: dict[str, bytes], redirect_to: str = "") -> None:
        self.files, self.requests, self.redirect_to = files, [], redirect_to
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                mode, _, name = self.path.split("?")[0].strip("/").partition("/")
                body = server.files.get(name)
                if mode in ("moved", "away"):
                    base = server.base if mode == "moved" else server.redirect_to
                    self.send_response(301 if mode == "moved" else 302)
                    self.send_header("Location", f"{base}/good/{name}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
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


def _file(name: str, body: bytes, urls: list[str]) -> RemoteFile:
    return RemoteFile(name=name, size=len(body), sha256=hashlib.sha256(body).hexdigest(),
                      urls=tuple(urls))


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
    return {name: (a, gzip.compress(to_idx_bytes(a), mtime=0))
            for name, a in _mnist_arrays().items()}


@pytest.fixture
def server(mnist_files):
    srv = Server({name: body for name, (_, body) in mnist_files.items()})
    yield srv
    srv.close()


def _registry(server: Server, mnist_files, modes: tuple[str, ...] = ("good",)) -> dict:
    files = tuple(_file(n, b, [server.url(m, n) for m in modes])
                  for n, (_, b) in mnist_files.items())
    return {"mnist": dataclasses.replace(REGISTRY["mnist"], files=files)}


def _no_sockets(monkeypatch) -> list:
    """Make creating (or connecting) any socket fail; returns the list of attempts."""
    calls: list = []
    real = socket.socket

    class Refused(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs):
            calls.append(args)
            raise AssertionError("offline mode created a socket")

    def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError("offline mode opened a connection")

    monkeypatch.setattr(socket, "socket", Refused)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(real, "connect", refuse)
    return calls


def _leftovers(folder: Path) -> list[str]:
    return sorted(os.listdir(folder)) if folder.exists() else []


def test_good_download_is_verified_and_loads(env, server, mnist_files, monkeypatch):
    reg = _registry(server, mnist_files)
    folder = fetch.fetch_dataset("mnist", registry=reg)
    assert folder == env / "mnist" and _leftovers(folder) == sorted(mnist_files)
    for name, (_, body) in mnist_files.items():
        assert (folder / name).read_bytes() == body
    (x_train, y_train), (x_test, y_test) = read_available("mnist", registry=reg)
    np.testing.assert_array_equal(x_train, mnist_files["train-images-idx3-ubyte.gz"][0])
    np.testing.assert_array_equal(y_train, mnist_files["train-labels-idx1-ubyte.gz"][0])
    np.testing.assert_array_equal(y_test, mnist_files["t10k-labels-idx1-ubyte.gz"][0])
    assert x_train.dtype == np.uint8 and x_test.shape[1:] == (28, 28)
    # Cached now: offline mode reads it back, hash-verified, without creating a single socket.
    count = len(server.requests)
    monkeypatch.setenv("CNNBOOK_OFFLINE", "1")
    calls = _no_sockets(monkeypatch)
    assert fetch.resolve("mnist", registry=reg).kind == "cache"
    assert read_available("mnist", registry=reg)[1][1].tolist() == y_test.tolist()
    assert calls == [] and len(server.requests) == count


def test_wrong_hash_raises_and_leaves_the_cache_clean(env, server, mnist_files):
    name, (_, body) = next(iter(mnist_files.items()))
    file = _file(name, body, [server.url("bad", name)])
    with pytest.raises(DownloadError, match=f"{name}.*SHA-256 mismatch") as err:
        fetch.fetch_file(file, env / "mnist")
    assert "\n" not in str(err.value)
    assert _leftovers(env / "mnist") == []  # no partial, temporary or corrupt file


@pytest.mark.parametrize("first", ["missing", "busy", "refused", "bad"])
def test_a_failing_mirror_falls_back_to_the_next(env, server, mnist_files, first):
    name, (_, body) = next(iter(mnist_files.items()))
    if first == "refused":
        with socket.socket() as s:  # a port that nothing listens on
            s.bind(("127.0.0.1", 0))
            dead = f"http://127.0.0.1:{s.getsockname()[1]}/good/{name}"
    else:
        dead = server.url(first, name)
    file = _file(name, body, [dead, server.url("good", name)])
    path, downloaded = fetch.fetch_file(file, env / "mnist")
    assert downloaded and path.read_bytes() == body
    assert server.requests[-1] == f"/good/{name}"
    assert _leftovers(env / "mnist") == [name]


def test_every_mirror_failing_names_each_url(env, server, mnist_files):
    name, (_, body) = next(iter(mnist_files.items()))
    urls = [server.url("busy", name), server.url("missing", name), server.url("bad", name)]
    with pytest.raises(DownloadError) as err:
        download.download(_file(name, body, urls), env / "mnist")
    message = str(err.value)
    assert "\n" not in message and all(url in message for url in urls)
    assert "503" in message and "404" in message and "SHA-256 mismatch" in message
    assert _leftovers(env / "mnist") == []


def test_connection_dropped_mid_file_leaves_no_partial_file(env, server, mnist_files):
    name, (_, body) = next(iter(mnist_files.items()))
    file = _file(name, body, [server.url("drop", name)])
    with pytest.raises(DownloadError, match=name):
        fetch.fetch_file(file, env / "mnist")
    assert _leftovers(env / "mnist") == []


@pytest.mark.parametrize("mode", ["moved", "away"])
def test_redirects_are_followed_to_another_path_or_host(env, mnist_files, mode):
    name, (_, body) = next(iter(mnist_files.items()))
    target = Server({name: body})
    origin = Server({}, redirect_to=target.base)  # serves nothing itself
    try:
        source = origin.url(mode, name) if mode == "away" else target.url("moved", name)
        path, downloaded = fetch.fetch_file(_file(name, body, [source]), env / "mnist")
    finally:
        origin.close()
        target.close()
    assert downloaded and path.read_bytes() == body
    assert target.requests[-1] == f"/good/{name}"
    if mode == "away":
        assert origin.requests == [f"/away/{name}"]


def test_a_url_with_a_query_string_is_cached_under_the_file_name(env, server, mnist_files):
    name, (_, body) = next(iter(mnist_files.items()))
    file = _file(name, body, [server.url("busy", name), server.url("good", name) + "?download=1"])
    path, _ = fetch.fetch_file(file, env / "mnist")
    assert path == env / "mnist" / name and _leftovers(env / "mnist") == [name]
    assert server.requests[-1] == f"/good/{name}?download=1"


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
    calls = _no_sockets(monkeypatch)
    with pytest.raises(DownloadError, match="t10k-images-idx3-ubyte.gz.*no longer matches"):
        fetch.resolve("mnist", registry=reg)
    assert not target.exists() and calls == []


@pytest.mark.parametrize("with_data_dir", [False, True])
def test_offline_with_nothing_cached_is_a_clear_error_and_creates_no_socket(
        env, tmp_path, monkeypatch, with_data_dir):
    if with_data_dir:
        (tmp_path / "offline").mkdir()
        monkeypatch.setenv("CNNBOOK_DATA_DIR", str(tmp_path / "offline"))
    monkeypatch.setenv("CNNBOOK_OFFLINE", "1")
    calls = _no_sockets(monkeypatch)
    with pytest.raises(DatasetNotFoundError) as err:
        load_mnist()
    message = str(err.value)
    assert "\n" not in message and "mnist" in message and str(env / "mnist") in message
    assert "CNNBOOK_DATA_DIR" in message and "CNNBOOK_OFFLINE" in message
    if with_data_dir:
        assert str(tmp_path / "offline" / "mnist") in message
    assert calls == []
    assert not env.exists()  # offline mode did not even create the cache


def test_download_itself_refuses_when_offline(env, server, mnist_files, monkeypatch):
    name, (_, body) = next(iter(mnist_files.items()))
    monkeypatch.setenv("CNNBOOK_OFFLINE", "1")
    calls = _no_sockets(monkeypatch)
    with pytest.raises(DatasetNotFoundError, match=f"{name}.*CNNBOOK_OFFLINE"):
        download.download(_file(name, body, [server.url("good", name)]), env / "mnist")
    assert calls == [] and server.requests == [] and not env.exists()


def _tar_gz(members: dict[str, bytes]) -> bytes:
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


@pytest.fixture(scope="module")
def cifar_tarball() -> dict:
    b1, d1, l1 = _batch(20, 1)
    b2, d2, l2 = _batch(10, 2)
    tgz = _tar_gz({"cifar-10-batches-py/data_batch_1": b1, "cifar-10-batches-py/test_batch": b2})
    return {"tgz": tgz, "b1": b1, "d1": d1, "l1": l1, "d2": d2, "l2": l2}


def _cifar_registry(tgz: bytes, urls: list[str]) -> dict[str, Dataset]:
    return {"cifar10": dataclasses.replace(REGISTRY["cifar10"],
                                           files=(_file(TARBALL, tgz, urls),))}


def test_cifar_tarball_is_downloaded_extracted_and_read(env, monkeypatch, cifar_tarball):
    c = cifar_tarball
    srv = Server({TARBALL: c["tgz"]})
    try:
        reg = _cifar_registry(c["tgz"], [srv.url("good", TARBALL)])
        folder = fetch.fetch_dataset("cifar10", registry=reg)
    finally:
        srv.close()
    assert folder == env / "cifar10" / "cifar-10-batches-py"
    assert _leftovers(env / "cifar10") == ["cifar-10-batches-py", TARBALL]
    for read, path in ((cifar.read_folder, folder), (cifar.read_tar, folder.parent / TARBALL)):
        (x, y), (xt, yt) = read(path)
        assert x.shape == (20, 32, 32, 3) and xt.shape == (10, 32, 32, 3)
        np.testing.assert_array_equal(x[:, :, :, 0].reshape(20, -1), c["d1"][:, :1024])  # R
        np.testing.assert_array_equal(xt[:, :, :, 2].reshape(10, -1), c["d2"][:, 2048:])  # B
        np.testing.assert_array_equal(y, c["l1"])
        np.testing.assert_array_equal(yt, c["l2"])
    # A damaged extracted batch is rebuilt from the hash-verified tarball, with no network.
    (folder / "data_batch_1").write_bytes(b"junk")
    monkeypatch.setenv("CNNBOOK_OFFLINE", "1")
    calls = _no_sockets(monkeypatch)
    (x, y), _ = read_available("cifar10", registry=reg)
    np.testing.assert_array_equal(y, c["l1"])
    assert (folder / "data_batch_1").read_bytes() == c["b1"] and calls == []


def test_cifar_mirrors_redirect_then_fall_back_to_a_query_string_url(env, cifar_tarball):
    """Like the registry: the first host redirects to another (which answers 404), the second
    answers 503, the third has a query string; the cache holds cifar-10-python.tar.gz."""
    tgz = cifar_tarball["tgz"]
    mirror = Server({TARBALL: tgz})
    busy = Server({})
    toronto = Server({}, redirect_to=busy.base)
    try:
        urls = [toronto.url("away", TARBALL), mirror.url("busy", TARBALL),
                mirror.url("good", TARBALL) + "?download=1"]
        folder = fetch.fetch_dataset("cifar10", registry=_cifar_registry(tgz, urls))
    finally:
        for srv in (toronto, busy, mirror):
            srv.close()
    assert toronto.requests == [f"/away/{TARBALL}"] and busy.requests == [f"/good/{TARBALL}"]
    assert mirror.requests == [f"/busy/{TARBALL}", f"/good/{TARBALL}?download=1"]
    assert _leftovers(env / "cifar10") == ["cifar-10-batches-py", TARBALL]
    assert (env / "cifar10" / TARBALL).read_bytes() == tgz and folder.is_dir()


def test_cifar_tarball_with_a_wrong_hash_leaves_nothing(env, cifar_tarball):
    tgz = cifar_tarball["tgz"]
    srv = Server({TARBALL: tgz})
    try:
        reg = _cifar_registry(tgz, [srv.url("bad", TARBALL)])
        with pytest.raises(DownloadError, match="SHA-256 mismatch"):
            fetch.fetch_dataset("cifar10", registry=reg)
    finally:
        srv.close()
    assert _leftovers(env / "cifar10") == []


def test_failed_extraction_leaves_only_the_verified_tarball(env):
    tgz = _tar_gz({"elsewhere/data_batch_1": b"x"})  # no cifar-10-batches-py/ inside
    srv = Server({TARBALL: tgz})
    try:
        with pytest.raises(DataFormatError, match="has no cifar-10-batches-py/ folder"):
            fetch.fetch_dataset("cifar10",
                                registry=_cifar_registry(tgz, [srv.url("good", TARBALL)]))
    finally:
        srv.close()
    assert _leftovers(env / "cifar10") == [TARBALL]  # no half-extracted folder


def test_extraction_cannot_escape_the_destination(tmp_path):
    archive = tmp_path / "evil.tar.gz"
    archive.write_bytes(_tar_gz({"../escaped.txt": b"gotcha"}))
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(DataFormatError, match="evil.tar.gz"):
        cifar.extract(archive, dest)
    assert not (tmp_path / "escaped.txt").exists()
