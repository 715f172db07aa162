"""Activation functions in NumPy: ReLU and a numerically stable softmax / log-softmax.

Softmax is shift-invariant, ``softmax(z) == softmax(z - c)``, so subtracting the largest logit
before ``exp`` keeps every exponent <= 0: nothing overflows, even for logits like ``1e4``.
``log_softmax`` uses the same shift plus the log-sum-exp trick, so it never takes ``log(0)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["relu", "relu_backward", "softmax", "log_softmax"]


def relu(x: np.ndarray) -> np.ndarray:
    """``max(x, 0)`` element-wise; any shape."""
    x = np.asarray(x)
    return np.maximum(x, 0).astype(x.dtype, copy=False)


def relu_backward(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Gradient of :func:`relu`: ``dout`` where ``x > 0``, else 0 (0 at ``x == 0``, as in torch)."""
    dout, x = np.asarray(dout), np.asarray(x)
    if dout.shape != x.shape:
        raise ValueError(f"dout {dout.shape} and x {x.shape} must have the same shape")
    return np.where(x > 0, dout, 0).astype(dout.dtype, copy=False)


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax along ``axis``: ``exp(z - max) / sum(exp(z - max))``."""
    z = np.asarray(z, dtype=np.result_type(z, np.float32))
    e = np.exp(z - z.max(axis=axis, keepdims=True))  # every exponent <= 0
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log(softmax(z))`` computed as ``(z - max) - log(sum(exp(z - max)))`` (no ``log(0)``)."""
    z = np.asarray(z, dtype=np.result_type(z, np.float32))
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
