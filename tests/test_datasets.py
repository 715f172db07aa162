"""The loaders against the real offline data folder, the subsets, statistics, adapters and CLI."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import cnnbook.datasets as ds
from cnnbook.cli import main as cli_main


@pytest.fixture
def data(shared_data, tmp_path, monkeypatch) -> Path:
    """The real offline folder as CNNBOOK_DATA_DIR, an empty cache, and no network."""
    monkeypatch.setenv("CNNBOOK_DATA_DIR", str(shared_data))
    monkeypatch.setenv("CNNBOOK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CNNBOOK_OFFLINE", "1")
    return shared_data


# Per-class counts documented in the offline folder's README (what the files hold).
EXPECTED = {
    "mnist": ((28, 28), [500] * 10, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]),
    "fashion-mnist": ((28, 28), [6000] * 10, [1000] * 10),
    "cifar10": ((32, 32, 3), [1000] * 10, [200] * 10),
}
LOADERS = {"mnist": ds.load_mnist, "fashion-mnist": ds.load_fashion_mnist,
           "cifar10": ds.load_cifar10}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_loaders_return_documented_shapes_and_class_counts(data, name):
    image_shape, train_counts, test_counts = EXPECTED[name]
    (x_train, y_train), (x_test, y_test) = LOADERS[name]()
    for x, y, counts in ((x_train, y_train, train_counts), (x_test, y_test, test_counts)):
        assert x.dtype == np.uint8 and y.dtype == np.uint8
        assert x.flags.writeable and y.flags.writeable and x.flags.c_contiguous
        assert x.shape == (sum(counts), *image_shape) and y.shape == (sum(counts),)
        assert np.bincount(y, minlength=10).tolist() == counts
    assert len(ds.class_names(name)) == 10
    assert ds.locate(name).kind == "offline"


def test_limit_is_balanced_deterministic_and_seeded(data):
    (x, y), (xt, yt) = ds.load_mnist(limit=2000, test_limit=1000)
    assert x.shape == (2000, 28, 28) and np.bincount(y).tolist() == [200] * 10
    assert xt.shape == (1000, 28, 28) and np.bincount(yt).tolist() == [100] * 10
    (x2, y2), (xt2, _) = ds.load_mnist(limit=2000, test_limit=1000)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_array_equal(xt, xt2)
    (x3, _), _ = ds.load_mnist(limit=2000, seed=1)
    assert not np.array_equal(x, x3)
    # Every selected image is one of the full set's images, in the file's order.
    (full, _), _ = ds.load_mnist()
    keep = ds.balanced_indices(ds.load_mnist()[0][1], 2000, seed=0, num_classes=10)
    np.testing.assert_array_equal(full[keep], x)
    assert np.all(np.diff(keep) > 0)


def test_limit_with_a_remainder_and_scarce_classes():
    labels = np.repeat(np.arange(3), [2, 50, 50])  # class 0 has only 2 items
    keep = ds.balanced_indices(labels, 31, seed=0)
    assert np.bincount(labels[keep]).tolist() == [2, 15, 14]
    assert ds.balanced_indices(labels, 1000).tolist() == list(range(102))
    with pytest.raises(ValueError, match="positive integer"):
        ds.balanced_indices(labels, 0)


def test_describe_data_names_the_source_without_paths(data):
    (x, _), (xt, _) = ds.load_mnist(limit=2000)
    assert ds.describe_data("mnist", x, xt) == (
        "mnist: 2,000 train / 10,000 test images of 28×28×1, "
        "from the offline folder ($CNNBOOK_DATA_DIR)")
    (c, _), (ct, _) = ds.load_cifar10(limit=100, test_limit=50)
    line = ds.describe_data("cifar10", c, ct)
    assert line.startswith("cifar10: 100 train / 50 test images of 32×32×3")
    assert str(data) not in line


def test_channel_stats_match_a_float64_computation(data):
    (x, _), _ = ds.load_cifar10(limit=500)
    mean, std = ds.channel_stats(x)
    scaled = x.reshape(-1, 3).astype(np.float64) / 255.0
    np.testing.assert_allclose(mean, scaled.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(std, scaled.std(axis=0), rtol=1e-6)
    m1, s1 = ds.channel_stats(ds.load_mnist(limit=100)[0][0])
    assert m1.shape == s1.shape == (1,)
    with pytest.raises(TypeError, match="uint8"):
        ds.channel_stats(x.astype(np.float32))


def test_torch_adapter_is_scaled_normalised_nchw_and_seeded(data):
    torch = pytest.importorskip("torch", reason="torch not installed")
    from cnnbook.datasets.torch_data import to_dataloader, to_tensor_dataset, to_tensors

    (x, y), _ = ds.load_cifar10(limit=64)
    mean, std = ds.channel_stats(x)
    images, labels = to_tensors(x, y, mean, std)
    assert images.shape == (64, 3, 32, 32) and images.dtype == torch.float32
    assert labels.dtype == torch.int64
    expected = (x.transpose(0, 3, 1, 2) / 255.0 - mean[:, None, None]) / std[:, None, None]
    np.testing.assert_allclose(images.numpy(), expected, atol=1e-5)
    plain = to_tensor_dataset(*ds.load_mnist(limit=20)[0])
    assert plain[0][0].shape == (1, 28, 28) and float(plain.tensors[0].max()) <= 1.0
    with warnings.catch_warnings():  # read-only inputs (views of file bytes) convert silently
        warnings.simplefilter("error")
        x_ro = np.frombuffer(x.tobytes(), np.uint8).reshape(x.shape)
        np.testing.assert_array_equal(to_tensors(x_ro, y)[0].numpy(), to_tensors(x, y)[0].numpy())
    order = [to_dataloader(x, y, batch_size=16, shuffle=True, seed=3) for _ in range(2)]
    first = [torch.cat([b[1] for b in loader]) for loader in order]
    assert torch.equal(first[0], first[1]) and not torch.equal(first[0], labels)
    with pytest.raises(ValueError, match="both mean and std"):
        to_tensors(x, y, mean=mean)


def test_tf_adapter_is_nhwc_in_unit_range(data):
    pytest.importorskip("tensorflow", reason="tensorflow not installed")
    from cnnbook.datasets.tf_data import to_tf_dataset

    (x, y), _ = ds.load_mnist(limit=40)
    batches = list(to_tf_dataset(x, y, batch_size=16, shuffle=False, seed=0, one_hot=True))
    images, labels = batches[0]
    assert images.shape == (16, 28, 28, 1) and images.dtype.name == "float32"
    np.testing.assert_allclose(images.numpy()[..., 0], x[:16] / 255.0, atol=1e-7)
    np.testing.assert_array_equal(labels.numpy().argmax(axis=1), y[:16])
    assert [b[0].shape[0] for b in batches] == [16, 16, 8]
    runs = [np.concatenate([b[1].numpy() for b in
                            to_tf_dataset(x, y, batch_size=8, shuffle=True, seed=5)])
            for _ in range(2)]
    np.testing.assert_array_equal(runs[0], runs[1])


def test_import_stays_light():
    code = ("import sys, cnnbook.datasets; "
            "print(sorted(m for m in ('torch', 'tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_list_verify_and_fetch(data, tmp_path, capsys):
    assert cli_main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert "mnist (MNIST): read from offline" in out and "ossci-datasets" in out
    assert cli_main(["data", "verify"]) == 0
    assert "offline cifar10: ok (10,000 train / 2,000 test" in capsys.readouterr().out
    # A cached download that no longer matches its hash makes verify fail.
    cached = tmp_path / "cache" / "mnist" / "t10k-labels-idx1-ubyte.gz"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"not the canonical file")
    assert cli_main(["data", "verify"]) == 1
    assert "SHA-256 MISMATCH" in capsys.readouterr().out
    # Offline, fetching what is not cached is a one-line error and exit status 1.
    assert cli_main(["data", "fetch", "fashion_mnist"]) == 1
    assert "fashion-mnist is not available offline" in capsys.readouterr().err
