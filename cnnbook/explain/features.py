"""The feature-space view: a layer's features projected to a few dimensions with PCA, and how far
apart the classes lie in them. Framework-free (NumPy only), so the GPU machine, which has no
scikit-learn, runs it.

- :func:`pca`: principal component analysis by the singular value decomposition of the centred
  features, as ``sklearn.decomposition.PCA`` (full solver) computes it; the tests compare the two
  up to the sign of each component. Each component's sign is fixed so that its largest entry in
  absolute value is positive, so a run gives the same picture every time.
- :func:`class_separation`: the share of the features' variance that lies *between* the class
  means (0: every class has the same mean; 1: every point sits on its class mean), the statistic
  behind the Calinski-Harabasz index (``B / (B + W)`` where that index is
  ``B / W * (n - k) / (k - 1)``).

Features are ``(N, D)``: one row per image; a feature map ``(N, C, h, w)`` (or any ``(N, ...)``)
is flattened to ``(N, C * h * w)`` first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Projection", "class_separation", "flatten_features", "pca"]


@dataclass(frozen=True)
class Projection:
    """The result of :func:`pca` for ``N`` points of ``D`` features and ``k`` components.

    Attributes:
        points: ``(N, k)`` the centred features in the components' basis.
        components: ``(k, D)`` orthonormal directions, by decreasing variance.
        mean: ``(D,)`` the features' mean, subtracted before projecting.
        explained_variance: ``(k,)`` the variance along each component (``ddof=1``).
        explained_variance_ratio: ``(k,)`` each one's share of the total variance.
    """

    points: np.ndarray
    components: np.ndarray
    mean: np.ndarray
    explained_variance: np.ndarray
    explained_variance_ratio: np.ndarray

    def transform(self, features: np.ndarray) -> np.ndarray:
        """Other features ``(M, D)`` (or ``(M, ...)``) in the same basis: ``(M, k)``."""
        return (flatten_features(features) - self.mean) @ self.components.T


def flatten_features(features: np.ndarray) -> np.ndarray:
    """``(N, ...)`` -> ``(N, D)`` float64, one row per image; a one-line ValueError for 1-D."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim < 2:
        raise ValueError(f"features must be (N, D) or (N, ...), got shape {features.shape}")
    return features.reshape(len(features), -1)


def pca(features: np.ndarray, k: int = 2) -> Projection:
    """The first ``k`` principal components of ``features`` ``(N, D)`` (or ``(N, ...)``).

    Computed with NumPy's SVD of the centred ``(N, D)`` matrix ``X = U S V^T``: the components are
    the first ``k`` rows of ``V^T``, the points ``U S``, the variances ``S^2 / (N - 1)``.
    """
    x = flatten_features(features)
    n, d = x.shape
    if not 1 <= k <= min(n, d):
        raise ValueError(f"k must lie in 1..{min(n, d)} for {n} points of {d} features, got {k}")
    if n < 2:
        raise ValueError(f"PCA needs at least 2 points, got {n}")
    mean = x.mean(axis=0)  # (D,)
    centred = x - mean  # (N, D)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)  # (N, r), (r,), (r, D)
    # Fix each component's sign: its largest |entry| positive (deterministic pictures).
    signs = np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])
    signs[signs == 0] = 1.0
    u, vt = u * signs, vt * signs[:, None]
    variance = s**2 / (n - 1)  # (r,)
    total = centred.var(axis=0, ddof=1).sum()
    ratio = variance / total if total > 0 else np.zeros_like(variance)
    return Projection(points=u[:, :k] * s[:k], components=vt[:k], mean=mean,
                      explained_variance=variance[:k], explained_variance_ratio=ratio[:k])


def class_separation(features: np.ndarray, labels: np.ndarray) -> float:
    """The share of the variance of ``features`` ``(N, D)`` between the class means, in [0, 1].

    ``sum_c n_c |mean_c - mean|^2 / sum_i |x_i - mean|^2`` with ``labels`` ``(N,)`` the classes;
    ``nan`` when every point is the same.
    """
    x = flatten_features(features)
    labels = np.asarray(labels)
    if labels.shape != (len(x),):
        raise ValueError(f"labels must be ({len(x)},), one per point, got {labels.shape}")
    centred = x - x.mean(axis=0)
    total = float((centred**2).sum())
    between = 0.0
    for c in np.unique(labels):
        members = centred[labels == c]
        between += len(members) * float((members.mean(axis=0) ** 2).sum())
    return between / total if total > 0 else float("nan")
