"""cnnbook.explain.features: PCA by NumPy's SVD against scikit-learn (up to each component's
sign), and the between-class variance share against scikit-learn's Calinski-Harabasz index."""

from __future__ import annotations

import numpy as np
import pytest

from cnnbook import explain
from cnnbook.explain.features import flatten_features

decomposition = pytest.importorskip("sklearn.decomposition")
metrics = pytest.importorskip("sklearn.metrics")


def blobs(n: int = 300, d: int = 12, k: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points in ``d`` dimensions around ``k`` class means, anisotropic noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, size=n)
    means = rng.normal(0, 3, size=(k, d))
    noise = rng.normal(size=(n, d)) * np.linspace(2.0, 0.2, d)
    return means[labels] + noise, labels


@pytest.mark.parametrize(("shape", "k"), [((300, 12), 2), ((40, 3, 5, 5), 3), ((30, 200), 2)])
def test_pca_equals_scikit_learn_up_to_sign(shape, k):
    rng = np.random.default_rng(1)
    x = rng.normal(size=shape) * rng.uniform(0.1, 3.0, size=shape[1:])  # distinct variances
    ours = explain.pca(x, k=k)
    ref = decomposition.PCA(n_components=k, svd_solver="full").fit(x.reshape(len(x), -1))
    signs = np.sign((ours.components * ref.components_).sum(axis=1))  # (k,) +1 or -1
    assert np.all(np.abs(signs) == 1)
    np.testing.assert_allclose(ours.components, ref.components_ * signs[:, None], atol=1e-10)
    np.testing.assert_allclose(ours.points, ref.transform(x.reshape(len(x), -1)) * signs,
                               atol=1e-9)
    np.testing.assert_allclose(ours.explained_variance, ref.explained_variance_, rtol=1e-10)
    np.testing.assert_allclose(ours.explained_variance_ratio, ref.explained_variance_ratio_,
                               rtol=1e-10)
    np.testing.assert_allclose(ours.mean, ref.mean_, atol=1e-12)
    np.testing.assert_allclose(ours.transform(x[:5]), ours.points[:5], atol=1e-10)


def test_pca_signs_are_fixed_and_components_orthonormal():
    x, _ = blobs()
    a, b = explain.pca(x, k=3), explain.pca(x[::-1].copy(), k=3)  # same points, other order
    np.testing.assert_allclose(a.components, b.components, atol=1e-10)
    np.testing.assert_allclose(a.components @ a.components.T, np.eye(3), atol=1e-12)
    largest = a.components[np.arange(3), np.abs(a.components).argmax(axis=1)]
    assert np.all(largest > 0)
    assert np.all(np.diff(a.explained_variance) <= 0)


def test_class_separation_matches_calinski_harabasz():
    x, labels = blobs()
    n, k = len(x), len(np.unique(labels))
    ch = metrics.calinski_harabasz_score(x, labels)  # B / W * (n - k) / (k - 1)
    b_over_w = ch * (k - 1) / (n - k)
    assert explain.class_separation(x, labels) == pytest.approx(b_over_w / (1 + b_over_w),
                                                                rel=1e-10)


def test_class_separation_limits():
    labels = np.repeat([0, 1, 2], 4)
    on_means = np.repeat(np.eye(3), 4, axis=0)  # every point on its class mean
    assert explain.class_separation(on_means, labels) == pytest.approx(1.0)
    same_means = np.tile(np.array([[1.0], [-1.0]]), (6, 1))  # each class: +1 and -1 twice
    assert explain.class_separation(same_means, labels) == pytest.approx(0.0)
    assert np.isnan(explain.class_separation(np.ones((4, 2)), np.arange(4)))


@pytest.mark.parametrize(("call", "message"), [
    (lambda: explain.pca(np.ones(5)), r"\(N, D\)"),
    (lambda: explain.pca(np.ones((5, 3)), k=4), "k must lie in 1..3"),
    (lambda: explain.pca(np.ones((1, 3)), k=1), "at least 2 points"),
    (lambda: explain.class_separation(np.ones((4, 2)), np.arange(3)), "one per point"),
])
def test_bad_input_raises_one_line(call, message):
    with pytest.raises(ValueError, match=message) as err:
        call()
    assert "\n" not in str(err.value)


def test_flatten_keeps_one_row_per_image():
    assert flatten_features(np.zeros((6, 2, 3, 4))).shape == (6, 24)
