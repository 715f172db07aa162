"""Max and average pooling in NumPy (NCHW), forward and backward, with PyTorch's semantics.

- ``stride`` defaults to ``kernel_size`` (non-overlapping windows), as in ``torch.nn.MaxPool2d``.
- ``padding`` is added on both sides; max pooling pads with ``-inf`` (padding never wins), average
  pooling pads with zeros and always divides by ``kH * kW`` (PyTorch's default
  ``count_include_pad=True``). As in PyTorch, ``padding`` may be at most half the kernel.
- The max-pool gradient goes to the position of the maximum; on ties, to the *first* maximum of the
  window in row-major order, which is what PyTorch's CPU kernel does. Overlapping windows add up.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnbook.ops._args import IntPair, check_ndim, pair, positive_pair

__all__ = ["max_pool2d", "avg_pool2d", "max_pool2d_backward", "avg_pool2d_backward"]


def _setup(
    x: np.ndarray, kernel_size: IntPair, stride: IntPair | None, padding: IntPair
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Validate; return kernel, stride, padding and the output size ``(H_out, W_out)``."""
    check_ndim(x, 4, "x", "NCHW (N, C, H, W)")
    k = positive_pair(kernel_size, "kernel_size")
    s = k if stride is None else positive_pair(stride, "stride")
    p = pair(padding, "padding")
    if p[0] < 0 or p[1] < 0 or 2 * p[0] > k[0] or 2 * p[1] > k[1]:
        raise ValueError(f"padding must be between 0 and half the kernel {k}, got {padding!r}")
    h_out = (x.shape[2] + 2 * p[0] - k[0]) // s[0] + 1
    w_out = (x.shape[3] + 2 * p[1] - k[1]) // s[1] + 1
    if h_out < 1 or w_out < 1:
        raise ValueError(f"kernel {k} is larger than the padded input {x.shape[2:]} + 2*{p}")
    return k, s, p, (h_out, w_out)


def _windows(
    xp: np.ndarray, k: tuple[int, int], s: tuple[int, int], out: tuple[int, int]
) -> np.ndarray:
    """``(N, C, H_out, W_out, kH, kW)`` view of the pooling windows."""
    win = sliding_window_view(xp, k, axis=(2, 3))[:, :, :: s[0], :: s[1]]
    return win[:, :, : out[0], : out[1]]


def _pad(x: np.ndarray, p: tuple[int, int], value: float) -> np.ndarray:
    return np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])), constant_values=value)


def max_pool2d(
    x: np.ndarray, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0
) -> np.ndarray:
    """Max pooling ``(N, C, H, W)`` -> ``(N, C, H_out, W_out)``; ``H_out = (H + 2p - k) // s + 1``.

    Padding counts as ``-inf``, so it never wins.
    """
    x = np.asarray(x)
    k, s, p, out = _setup(x, kernel_size, stride, padding)
    xp = _pad(x.astype(np.result_type(x, np.float32), copy=False), p, -np.inf)
    return _windows(xp, k, s, out).max(axis=(4, 5))  # (N, C, H_out, W_out)


def avg_pool2d(
    x: np.ndarray, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0
) -> np.ndarray:
    """Average pooling, zero padding counted in the mean (``count_include_pad=True``)."""
    x = np.asarray(x)
    k, s, p, out = _setup(x, kernel_size, stride, padding)
    xp = _pad(x.astype(np.result_type(x, np.float32), copy=False), p, 0.0)
    return _windows(xp, k, s, out).mean(axis=(4, 5))  # (N, C, H_out, W_out)


def max_pool2d_backward(
    dout: np.ndarray,
    x: np.ndarray,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
) -> np.ndarray:
    """Gradient of :func:`max_pool2d` w.r.t. ``x``: each ``dout`` value goes to its window's argmax.

    Args:
        dout: ``(N, C, H_out, W_out)``, the upstream gradient.
        x: the forward input ``(N, C, H, W)``.

    Returns:
        ``dx`` with the shape of ``x``.
    """
    x = np.asarray(x)
    k, s, p, out = _setup(x, kernel_size, stride, padding)
    dout = _check_dout(dout, x, out)
    xp = _pad(x.astype(np.result_type(x, np.float32), copy=False), p, -np.inf)
    win = _windows(xp, k, s, out)  # (N, C, H_out, W_out, kH, kW)
    flat = win.reshape(*win.shape[:4], k[0] * k[1])  # (N, C, H_out, W_out, kH*kW)
    arg = flat.argmax(axis=-1)  # first maximum in row-major order, like torch; (N, C, H_out, W_out)
    rows = np.arange(out[0])[:, None] * s[0] + arg // k[1]  # (N, C, H_out, W_out) in padded coords
    cols = np.arange(out[1])[None, :] * s[1] + arg % k[1]
    n_img, n_ch, hp, wp = xp.shape
    plane = (np.arange(n_img)[:, None] * n_ch + np.arange(n_ch)[None, :])[:, :, None, None]
    index = (plane * hp + rows) * wp + cols  # linear index into the padded input
    dtype = np.result_type(dout, xp)
    dxp = np.bincount(index.ravel(), weights=dout.ravel(), minlength=xp.size).astype(dtype)
    dxp = dxp.reshape(xp.shape)  # (N, C, Hp, Wp)
    return np.ascontiguousarray(dxp[:, :, p[0] : hp - p[0], p[1] : wp - p[1]])  # (N, C, H, W)


def avg_pool2d_backward(
    dout: np.ndarray,
    x: np.ndarray,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
) -> np.ndarray:
    """Gradient of :func:`avg_pool2d` w.r.t. ``x``: each ``dout`` value spread over its window."""
    x = np.asarray(x)
    k, s, p, out = _setup(x, kernel_size, stride, padding)
    dout = _check_dout(dout, x, out)
    dtype = np.result_type(dout, x, np.float32)
    dxp = np.zeros((x.shape[0], x.shape[1], x.shape[2] + 2 * p[0], x.shape[3] + 2 * p[1]), dtype)
    share = dout / (k[0] * k[1])  # (N, C, H_out, W_out)
    for i in range(k[0]):
        for j in range(k[1]):
            rows = slice(i, i + (out[0] - 1) * s[0] + 1, s[0])
            cols = slice(j, j + (out[1] - 1) * s[1] + 1, s[1])
            dxp[:, :, rows, cols] += share
    hp, wp = dxp.shape[2:]
    return np.ascontiguousarray(dxp[:, :, p[0] : hp - p[0], p[1] : wp - p[1]])  # (N, C, H, W)


def _check_dout(dout: np.ndarray, x: np.ndarray, out: tuple[int, int]) -> np.ndarray:
    dout = np.asarray(dout)
    expected = (x.shape[0], x.shape[1], *out)
    if dout.shape != expected:
        raise ValueError(f"dout must have the output's shape {expected}, got {dout.shape}")
    return dout
