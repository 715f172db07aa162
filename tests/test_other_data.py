"""tools.other_data: a second offline folder, read back by the package's own loaders."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from cnnbook.datasets.cifar import read_folder
from cnnbook.datasets.idx import read_idx, write_idx
from tools import other_data


def _source(tmp_path):
    rng = np.random.default_rng(0)
    src = tmp_path / "src"
    for name, n_train, n_test in (("mnist", 40, 20), ("fashion-mnist", 30, 10)):
        (src / name).mkdir(parents=True)
        for (images, labels), n in zip(other_data.IDX_SPLITS, (n_train, n_test), strict=True):
            # each image's first pixel holds its label, so that pairs can be checked
            y = (np.arange(n) % 10).astype(np.uint8)
            x = rng.integers(0, 255, (n, 28, 28), dtype=np.uint8)
            x[:, 0, 0] = y
            write_idx(src / name / images, x)
            write_idx(src / name / labels, y)
    cifar = src / other_data.CIFAR
    cifar.mkdir()
    for name, n in (("data_batch_1", 12), ("data_batch_2", 12), ("test_batch", 20)):
        y = [i % 10 for i in range(n)]
        data = rng.integers(0, 255, (n, 3072), dtype=np.uint8)
        data[:, 0] = y
        (cifar / name).write_bytes(pickle.dumps({b"data": data, b"labels": y}, protocol=4))
    return src


def test_derived_folder_keeps_a_shuffled_share_of_every_class(tmp_path):
    src, dst = _source(tmp_path), tmp_path / "dst"
    counts = other_data.derive(src, dst, fraction=0.5, seed=1)
    # test splits whole, as in every edition; 3 of a class: round(1.5) = 2
    assert counts["mnist"] == {"train-images-idx3-ubyte.gz": 20, "t10k-images-idx3-ubyte.gz": 20}
    assert counts["fashion-mnist"] == {"train-images-idx3-ubyte.gz": 20,
                                       "t10k-images-idx3-ubyte.gz": 10}
    # training labels 0 and 1 hold 4 images, the rest 2: 2 + 2 + 8 * 1, dealt into two batches
    assert counts[other_data.CIFAR] == {"data_batch_1": 6, "data_batch_2": 6, "test_batch": 10}
    for name in other_data.IDX_SETS:
        for images, labels in other_data.IDX_SPLITS:
            x, y = read_idx(dst / name / images), read_idx(dst / name / labels)
            np.testing.assert_array_equal(x[:, 0, 0], y)           # pairs kept together
            original = read_idx(src / name / labels)
            if images.startswith("t10k"):
                np.testing.assert_array_equal(x, read_idx(src / name / images))  # whole, in order
                continue
            for label in range(10):
                assert (y == label).sum() == max(1, round((original == label).sum() * 0.5))
            assert list(y) != sorted(y) and list(y) != list(original[:len(y)])  # reordered
    (x_train, y_train), (x_test, y_test) = read_folder(dst / other_data.CIFAR)
    assert x_train.shape == (12, 32, 32, 3) and x_test.shape == (10, 32, 32, 3)
    np.testing.assert_array_equal(x_train[:, 0, 0, 0], y_train)   # R plane's first pixel
    np.testing.assert_array_equal(x_test[:, 0, 0, 0], y_test)
    assert sorted(y_test) == list(range(10))                      # a balanced split stays so
    assert not (tmp_path / "dst.partial").exists()


def test_an_existing_destination_or_an_empty_source_writes_nothing(tmp_path, capsys):
    src, dst = _source(tmp_path), tmp_path / "dst"
    dst.mkdir()
    assert other_data.main([str(src), str(dst)]) == 2
    assert "exists" in capsys.readouterr().err
    assert list(dst.iterdir()) == []
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="holds none of"):
        other_data.derive(empty, tmp_path / "new", 0.5, 1)
    assert not (tmp_path / "new").exists() and not (tmp_path / "new.partial").exists()
    with pytest.raises(ValueError, match="fraction"):
        other_data.derive(src, tmp_path / "new", 1.5, 1)
