"""Cross-entropy in NumPy, from logits or from probabilities, and its gradient w.r.t. the logits.

Two conventions meet in the book:

- **From logits** (PyTorch's ``F.cross_entropy``, Keras's ``from_logits=True``): the model's last
  layer is linear, and the loss applies ``log_softmax`` itself. This is the stable choice.
- **From probabilities** (Keras's default ``categorical_crossentropy`` after a ``softmax`` layer):
  the loss takes ``-log(p)`` of the probability of the true class. To avoid ``log(0)`` Keras first
  rescales the rows to sum to 1 and clips them to ``[eps, 1 - eps]`` with ``eps = 1e-7``; we do the
  same, so a confident wrong prediction costs at most ``-log(1e-7) ~= 16.1`` instead of infinity.

Both give the same number when ``probs == softmax(logits)`` and no probability is below ``eps``.
"""

from __future__ import annotations

import numpy as np

from cnnbook.ops.activations import log_softmax, softmax

__all__ = ["cross_entropy", "cross_entropy_backward", "one_hot", "penalty_reduced_focal_loss",
           "sigmoid_focal_loss"]

EPSILON = 1e-7  # keras.config.epsilon()


def one_hot(y: np.ndarray, num_classes: int) -> np.ndarray:
    """Integer labels ``(N,)`` -> one-hot float rows ``(N, num_classes)``."""
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"labels must be a 1-D integer array, got {y.dtype} with shape {y.shape}")
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes}), got {y.min()}..{y.max()}")
    return np.eye(num_classes)[y]  # (N, K)


def _targets(y: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Integer labels ``(N,)`` or one-hot / soft targets ``(N, K)`` -> ``(N, K)`` rows."""
    if len(shape) != 2:
        raise ValueError(f"predictions must be 2-D (N, K), got shape {shape}")
    y = np.asarray(y)
    if y.ndim == 1:
        if y.shape[0] != shape[0]:
            raise ValueError(f"{y.shape[0]} labels for {shape[0]} predictions")
        return one_hot(y, shape[1])
    if y.shape != shape:
        raise ValueError(f"one-hot targets must have shape {shape}, got {y.shape}")
    return y


def cross_entropy(
    pred: np.ndarray, y: np.ndarray, *, from_logits: bool = True, eps: float = EPSILON
) -> float:
    """Mean cross-entropy over the batch.

    Args:
        pred: ``(N, K)`` logits (``from_logits=True``) or probabilities (``from_logits=False``).
        y: integer labels ``(N,)`` or one-hot targets ``(N, K)``.
        from_logits: logits go through :func:`log_softmax` (exact, stable); probabilities are
            renormalised, clipped to ``[eps, 1 - eps]`` and logged, like Keras's
            ``categorical_crossentropy``.
        eps: the clipping constant for probabilities (Keras's ``epsilon()``, ``1e-7``).

    Returns:
        ``mean_n( -sum_k y[n, k] * log p[n, k] )`` as a Python float.
    """
    pred = np.asarray(pred, dtype=np.result_type(pred, np.float32))
    targets = _targets(y, pred.shape)  # (N, K)
    if from_logits:
        log_p = log_softmax(pred, axis=1)  # (N, K)
    else:
        p = pred / pred.sum(axis=1, keepdims=True)
        log_p = np.log(np.clip(p, eps, 1.0 - eps))  # (N, K)
    return float(-(targets * log_p).sum(axis=1).mean())


def cross_entropy_backward(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of ``cross_entropy(logits, y)`` (from logits, mean) w.r.t. the logits.

    Returns ``(softmax(logits) - onehot(y)) / N``, shape ``(N, K)``.
    """
    logits = np.asarray(logits, dtype=np.result_type(logits, np.float32))
    targets = _targets(y, logits.shape)  # (N, K)
    return (softmax(logits, axis=1) - targets) / logits.shape[0]


def _log_sigmoid(z: np.ndarray) -> np.ndarray:
    """``log(sigmoid(z))``, stable for large ``|z|``."""
    return -np.logaddexp(0.0, -z)


def sigmoid_focal_loss(
    logits: np.ndarray, targets: np.ndarray, *, alpha: float | None = 0.25, gamma: float = 2.0
) -> float:
    """The focal loss of Lin et al. ("Focal Loss for Dense Object Detection", 2017), per element
    binary, averaged: ``-w (1 - p_t)^gamma log(p_t)``.

    ``p = sigmoid(logits)``, ``p_t = p`` where the target is 1 and ``1 - p`` where it is 0, so
    ``(1 - p_t)^gamma`` shrinks the loss of the examples that are already right (with
    ``gamma = 0`` it is binary cross-entropy); ``w = alpha`` for positives and ``1 - alpha`` for
    negatives (``alpha=None``: 1 for both). Keras' ``BinaryFocalCrossentropy(
    apply_class_balancing=True, alpha=alpha, gamma=gamma, from_logits=True)`` with targets in
    ``{0, 1}``.

    Args:
        logits: any shape; targets: the same shape, 0 or 1 (or soft targets in ``[0, 1]``).
    """
    z = np.asarray(logits, dtype=np.result_type(logits, np.float32))
    y = np.asarray(targets, dtype=z.dtype)
    if y.shape != z.shape:
        raise ValueError(f"targets must have the logits' shape {z.shape}, got {y.shape}")
    bce = -(y * _log_sigmoid(z) + (1 - y) * _log_sigmoid(-z))
    p = 1.0 / (1.0 + np.exp(-z))
    p_t = y * p + (1 - y) * (1 - p)
    weight = 1.0 if alpha is None else y * alpha + (1 - y) * (1 - alpha)
    return float(np.mean(weight * (1 - p_t) ** gamma * bce))


def penalty_reduced_focal_loss(
    logits: np.ndarray, heatmap: np.ndarray, *, alpha: float = 2.0, beta: float = 4.0
) -> float:
    """CenterNet's focal loss on a heatmap (Zhou et al., "Objects as Points", 2019, eq. 1, after
    CornerNet): cells where the target is 1 (object centres) are pushed to 1 with weight
    ``(1 - p)^alpha``; every other cell is pushed to 0 with weight ``p^alpha (1 - y)^beta``, less
    near a centre, where the target heatmap ``y`` is a Gaussian bump. The sum is divided by the
    number of centres (at least 1). The detector's loss
    (:class:`cnnbook.detection.loss.CenterNetLoss`) uses it on its class heatmaps.

    Args:
        logits: ``(N, C, H, W)`` heatmap logits; heatmap: the targets, the same shape, in
            ``[0, 1]`` with exactly 1 at centres.
    """
    z = np.asarray(logits, dtype=np.result_type(logits, np.float32))
    y = np.asarray(heatmap, dtype=z.dtype)
    if y.shape != z.shape:
        raise ValueError(f"heatmap must have the logits' shape {z.shape}, got {y.shape}")
    p = 1.0 / (1.0 + np.exp(-z))
    centre = y == 1
    pos = _log_sigmoid(z) * (1 - p) ** alpha
    neg = _log_sigmoid(-z) * p**alpha * (1 - y) ** beta
    return float(-np.where(centre, pos, neg).sum() / max(int(centre.sum()), 1))
