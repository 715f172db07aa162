"""train_val_split: disjoint, complete, class-balanced, seeded, with one-line errors."""

from __future__ import annotations

import numpy as np
import pytest

from cnnbook.datasets.splits import train_val_split


def data(n: int = 1000, k: int = 10):
    rng = np.random.default_rng(0)
    y = rng.integers(0, k, n)
    x = np.arange(n)[:, None, None] * np.ones((1, 4, 4), dtype=np.int64)  # (N, 4, 4), id per image
    return x, y


def test_parts_are_disjoint_complete_and_keep_order():
    x, y = data()
    (xt, yt), (xv, yv) = train_val_split(x, y, val_fraction=0.2, seed=1)
    ids_t, ids_v = xt[:, 0, 0], xv[:, 0, 0]
    assert len(ids_v) == 200 and len(ids_t) == 800
    assert set(ids_t).isdisjoint(ids_v) and set(ids_t) | set(ids_v) == set(range(1000))
    assert (np.diff(ids_t) > 0).all() and (np.diff(ids_v) > 0).all()
    np.testing.assert_array_equal(yt, y[ids_t])
    np.testing.assert_array_equal(yv, y[ids_v])


def test_validation_is_class_balanced_and_seeded():
    x, y = data()
    _, (_, yv) = train_val_split(x, y, val_fraction=0.1, seed=3)
    counts = np.bincount(yv, minlength=10)
    assert counts.max() - counts.min() <= 1
    again = train_val_split(x, y, val_fraction=0.1, seed=3)[1][0]
    other = train_val_split(x, y, val_fraction=0.1, seed=4)[1][0]
    assert np.array_equal(again[:, 0, 0], train_val_split(x, y, val_fraction=0.1,
                                                          seed=3)[1][0][:, 0, 0])
    assert not np.array_equal(again[:, 0, 0], other[:, 0, 0])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"val_fraction": 0.0}, "between 0 and 1"),
    ({"val_fraction": 1.0}, "between 0 and 1"),
])
def test_bad_fractions_are_one_line_errors(kwargs, message):
    x, y = data(20)
    with pytest.raises(ValueError, match=message):
        train_val_split(x, y, **kwargs)


def test_mismatched_lengths_are_an_error():
    x, y = data(20)
    with pytest.raises(ValueError, match="20 examples but y has 19 labels"):
        train_val_split(x, y[:19])
