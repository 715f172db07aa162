"""Batch normalisation in NumPy, forward and backward, NCHW.

In training, each channel is normalised with the mean and the (biased) variance of the batch over
``(N, H, W)``, then scaled by ``gamma`` and shifted by ``beta``; running averages of those
statistics are updated for evaluation, where they replace the batch's (so a prediction does not
depend on the rest of the batch). The frameworks agree on that and differ in the bookkeeping:

================================  ==========================  ===============================
                                  ``nn.BatchNorm2d``          Keras ``BatchNormalization``
================================  ==========================  ===============================
running average update            ``r = (1 - m) r + m b``     ``r = m r + (1 - m) b``
default ``m``                     0.1 (weight of the batch)   0.99 (weight of the old average)
running variance from the batch   unbiased (``n / (n - 1)``)  biased
``eps`` added to the variance     1e-5                        1e-3
================================  ==========================  ===============================

:func:`batch_norm2d` takes torch's ``momentum`` (the weight of the new batch) and ``unbiased``,
so ``momentum=1 - 0.99, unbiased=False, eps=1e-3`` is Keras' layer. Reference: Ioffe & Szegedy,
"Batch Normalization" (2015).
"""

from __future__ import annotations

import numpy as np

from cnnbook.ops._args import check_ndim

__all__ = ["batch_norm2d", "batch_norm2d_backward"]

_AXES = (0, 2, 3)


def _channel(v: np.ndarray) -> np.ndarray:
    return np.asarray(v)[None, :, None, None]  # (C,) -> (1, C, 1, 1)


def batch_norm2d(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    *,
    training: bool,
    momentum: float = 0.1,
    eps: float = 1e-5,
    unbiased: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batch normalisation of ``x`` ``(N, C, H, W)`` with per-channel ``gamma``, ``beta``.

    Args:
        running_mean, running_var: ``(C,)``, the running statistics (not changed in place).
        training: normalise with the batch's statistics and update the running ones; else
            normalise with the running ones.
        momentum: the weight of the batch in the running averages (torch's convention).
        eps: added to the variance before its square root.
        unbiased: update the running variance with the unbiased batch variance (torch) or the
            biased one (Keras); the batch itself is always normalised with the biased one.

    Returns:
        ``(out (N, C, H, W), running_mean, running_var)``: the new running statistics in
        training, the given ones in evaluation.
    """
    x = np.asarray(x)
    check_ndim(x, 4, "x", "NCHW (N, C, H, W)")
    if training:
        count = x.size // x.shape[1]
        if count < 2:
            raise ValueError("batch norm in training needs more than one value per channel")
        mean, var = x.mean(axis=_AXES), x.var(axis=_AXES)  # (C,), biased
        batch_var = var * count / (count - 1) if unbiased else var
        running_mean = (1 - momentum) * np.asarray(running_mean) + momentum * mean
        running_var = (1 - momentum) * np.asarray(running_var) + momentum * batch_var
    else:
        mean, var = np.asarray(running_mean), np.asarray(running_var)
    out = _channel(gamma) * (x - _channel(mean)) / np.sqrt(_channel(var) + eps) + _channel(beta)
    return out, running_mean, running_var


def batch_norm2d_backward(
    dout: np.ndarray,
    x: np.ndarray,
    gamma: np.ndarray,
    *,
    eps: float = 1e-5,
    running: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`batch_norm2d`.

    In training mode (``running=None``) the batch's statistics depend on ``x``, so every value's
    gradient reaches every other of its channel: with ``m = N * H * W`` values per channel,
    ``x_hat = (x - mean) / sqrt(var + eps)`` and ``g = dout * gamma``,
    ``dx = (m g - sum(g) - x_hat sum(g x_hat)) / (m sqrt(var + eps))``. In evaluation mode
    (``running=(running_mean, running_var)``, the statistics the forward pass used) the layer is
    an affine map per channel: ``dx = g / sqrt(running_var + eps)``.

    Returns:
        ``(dx (N, C, H, W), dgamma (C,), dbeta (C,))``.
    """
    x, dout = np.asarray(x), np.asarray(dout)
    if dout.shape != x.shape:
        raise ValueError(f"dout must have the shape of x {x.shape}, got {dout.shape}")
    if running is None:
        mean, var = x.mean(axis=_AXES), x.var(axis=_AXES)
    else:
        mean, var = np.asarray(running[0]), np.asarray(running[1])
    inv_std = 1.0 / np.sqrt(_channel(var) + eps)
    x_hat = (x - _channel(mean)) * inv_std
    dbeta = dout.sum(axis=_AXES)
    dgamma = (dout * x_hat).sum(axis=_AXES)
    g = dout * _channel(gamma)
    if running is not None:
        return g * inv_std, dgamma, dbeta
    count = x.size // x.shape[1]
    dx = (count * g - g.sum(axis=_AXES, keepdims=True)
          - x_hat * (g * x_hat).sum(axis=_AXES, keepdims=True)) * inv_std / count
    return dx, dgamma, dbeta
