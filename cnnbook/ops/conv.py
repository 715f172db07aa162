"""2-D convolution in NumPy: a vectorised version, a teaching loop, and the backward pass.

Layouts follow PyTorch: inputs are NCHW ``(N, C_in, H, W)`` and weights are OIHW
``(C_out, C_in, kH, kW)``. Like every deep-learning framework, "convolution" here is a
*cross-correlation*: the kernel is not flipped.

The vectorised version is *im2col*: :func:`numpy.lib.stride_tricks.sliding_window_view` gives a
view with one ``(C_in, kH, kW)`` window per output position, the windows are laid out as the
columns of a matrix ``(C_in*kH*kW, N*H_out*W_out)``, and one matrix product with the weights
reshaped to ``(C_out, C_in*kH*kW)`` computes every output of every filter at once.

Padding is an int, a pair ``(pH, pW)``, ``"valid"`` (no padding) or ``"same"``. ``"same"`` follows
TensorFlow's rule, also for strides above 1: the output has ``ceil(H / stride)`` rows and the odd
padding pixel goes to the bottom / right. (PyTorch refuses ``padding="same"`` with a stride
above 1.)

References: Dumoulin & Visin, "A guide to convolution arithmetic for deep learning" (2016);
CS231n notes on convolutional networks.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnbook.ops._args import (
    IntPair,
    Padding,
    check_ndim,
    pair,
    positive_pair,
    resolve_padding,
    same_padding,
)

__all__ = ["conv2d", "conv2d_backward", "conv2d_loop", "conv_output_size", "conv_transpose2d"]


def conv_output_size(
    size: int, kernel_size: int, stride: int = 1, padding: int | str = 0, dilation: int = 1
) -> int:
    """Output length along one axis: ``floor((size + 2p - d(k - 1) - 1) / s) + 1``.

    ``padding="valid"`` means ``p = 0``; ``padding="same"`` gives ``ceil(size / stride)``
    (TensorFlow's rule). Raises ``ValueError`` when the (dilated) kernel does not fit.
    """
    if isinstance(padding, str):
        if padding.lower() == "same":
            before, after = same_padding(size, kernel_size, stride, dilation)
            total = before + after
        elif padding.lower() == "valid":
            total = 0
        else:
            raise ValueError(f"padding must be an int, 'valid' or 'same', got {padding!r}")
    else:
        total = 2 * padding
    out = (size + total - dilation * (kernel_size - 1) - 1) // stride + 1
    if out < 1:
        raise ValueError(
            f"kernel {kernel_size} (dilation {dilation}) does not fit size {size} "
            f"with padding {padding!r}"
        )
    return out


def _prepare(
    x: np.ndarray, w: np.ndarray, stride: IntPair, padding: Padding, dilation: IntPair
) -> tuple[np.ndarray, tuple[int, int], tuple[int, int], tuple[tuple[int, int], tuple[int, int]]]:
    """Validate the arguments; return the zero-padded input, stride, dilation and the padding."""
    x, w = np.asarray(x), np.asarray(w)
    check_ndim(x, 4, "x", "NCHW (N, C_in, H, W)")
    check_ndim(w, 4, "w", "OIHW (C_out, C_in, kH, kW)")
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"x has {x.shape[1]} channels but w expects {w.shape[1]} (w is OIHW)")
    s = positive_pair(stride, "stride")
    d = positive_pair(dilation, "dilation")
    pads = resolve_padding(padding, x.shape[2:], w.shape[2:], s, d)
    xp = np.pad(x, ((0, 0), (0, 0), pads[0], pads[1]))  # (N, C_in, H + pads, W + pads)
    reach = ((w.shape[2] - 1) * d[0] + 1, (w.shape[3] - 1) * d[1] + 1)  # dilated kernel extent
    if xp.shape[2] < reach[0] or xp.shape[3] < reach[1]:
        raise ValueError(
            f"the dilated kernel ({reach[0]}x{reach[1]}) is larger than the padded input "
            f"({xp.shape[2]}x{xp.shape[3]})"
        )
    return xp, s, d, pads


def _windows(
    xp: np.ndarray, kernel: tuple[int, int], s: tuple[int, int], d: tuple[int, int]
) -> np.ndarray:
    """View of every (dilated, strided) window: ``(N, C, H_out, W_out, kH, kW)``, no copy."""
    reach = ((kernel[0] - 1) * d[0] + 1, (kernel[1] - 1) * d[1] + 1)
    win = sliding_window_view(xp, reach, axis=(2, 3))  # (N, C, Hp - rH + 1, Wp - rW + 1, rH, rW)
    return win[:, :, :: s[0], :: s[1], :: d[0], :: d[1]]  # (N, C, H_out, W_out, kH, kW)


def _im2col(win: np.ndarray) -> np.ndarray:
    """Windows ``(N, C, H_out, W_out, kH, kW)`` -> columns ``(C*kH*kW, N*H_out*W_out)``, copied."""
    n, c, h_out, w_out, kh, kw = win.shape
    return win.transpose(1, 4, 5, 0, 2, 3).reshape(c * kh * kw, n * h_out * w_out)


def conv2d(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    *,
    stride: IntPair = 1,
    padding: Padding = 0,
    dilation: IntPair = 1,
) -> np.ndarray:
    """Vectorised 2-D cross-correlation, the version the book uses.

    Args:
        x: input, NCHW ``(N, C_in, H, W)``.
        w: weights, OIHW ``(C_out, C_in, kH, kW)``.
        b: optional bias ``(C_out,)``.
        stride, dilation: int or pair ``(sH, sW)``.
        padding: int, pair, ``"valid"`` or ``"same"`` (TensorFlow's rule).

    Returns:
        ``(N, C_out, H_out, W_out)`` with ``H_out = floor((H + pads - dH*(kH-1) - 1) / sH) + 1``.
    """
    xp, s, d, _ = _prepare(x, w, stride, padding, dilation)
    w = np.asarray(w)
    win = _windows(xp, w.shape[2:], s, d)  # (N, C_in, H_out, W_out, kH, kW)
    cols = _im2col(win)  # (C_in*kH*kW, N*H_out*W_out): one column per output position
    out = w.reshape(w.shape[0], -1) @ cols  # (C_out, N*H_out*W_out): a single matrix product
    out = out.reshape(w.shape[0], win.shape[0], *win.shape[2:4])  # (C_out, N, H_out, W_out)
    out = np.ascontiguousarray(out.transpose(1, 0, 2, 3))  # (N, C_out, H_out, W_out)
    return _add_bias(out, b)


def _add_bias(out: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """``out`` ``(N, C_out, H, W)`` plus the bias ``(C_out,)`` of each channel, if any."""
    if b is None:
        return out
    b = np.asarray(b)
    if b.shape != (out.shape[1],):
        raise ValueError(f"b must have shape ({out.shape[1]},), got {b.shape}")
    return out + b[:, None, None]


def conv2d_loop(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    *,
    stride: IntPair = 1,
    padding: Padding = 0,
    dilation: IntPair = 1,
) -> np.ndarray:
    """The same result as :func:`conv2d`, written as plain loops for reading (slow).

    For every image ``n``, output channel ``o`` and output position ``(i, j)``, multiply the
    window of the padded input that starts at ``(i * sH, j * sW)`` (taking every ``dH``-th row and
    ``dW``-th column) with the kernel ``w[o]`` element by element and add everything up.
    """
    xp, (sh, sw), (dh, dw), _ = _prepare(x, w, stride, padding, dilation)
    w = np.asarray(w)
    n_images, _, hp, wp = xp.shape
    c_out, _, kh, kw = w.shape
    h_out = (hp - (kh - 1) * dh - 1) // sh + 1
    w_out = (wp - (kw - 1) * dw - 1) // sw + 1
    out = np.zeros((n_images, c_out, h_out, w_out), dtype=np.result_type(xp, w))
    for n in range(n_images):
        for o in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    top, left = i * sh, j * sw
                    window = xp[
                        n,
                        :,
                        top : top + (kh - 1) * dh + 1 : dh,
                        left : left + (kw - 1) * dw + 1 : dw,
                    ]
                    out[n, o, i, j] = np.sum(window * w[o])  # (C_in, kH, kW) summed to a number
                    if b is not None:
                        out[n, o, i, j] += b[o]
    return out


def conv2d_backward(
    dout: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    *,
    stride: IntPair = 1,
    padding: Padding = 0,
    dilation: IntPair = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`conv2d` given the upstream gradient ``dout``.

    Args:
        dout: gradient of the loss w.r.t. the output, ``(N, C_out, H_out, W_out)``.
        x, w, stride, padding, dilation: the forward pass's arguments.

    Returns:
        ``(dx, dw, db)`` with the shapes of ``x`` ``(N, C_in, H, W)``, of ``w``
        ``(C_out, C_in, kH, kW)`` and of the bias ``(C_out,)``.
    """
    x = np.asarray(x)
    xp, s, d, pads = _prepare(x, w, stride, padding, dilation)
    w = np.asarray(w)
    kh, kw = w.shape[2:]
    win = _windows(xp, (kh, kw), s, d)  # (N, C_in, H_out, W_out, kH, kW)
    dout = np.asarray(dout)
    expected = (x.shape[0], w.shape[0], win.shape[2], win.shape[3])
    if dout.shape != expected:
        raise ValueError(f"dout must have the output's shape {expected}, got {dout.shape}")
    n, c_out, h_out, w_out = dout.shape
    dout_mat = dout.transpose(1, 0, 2, 3).reshape(c_out, -1)  # (C_out, N*H_out*W_out)
    db = dout_mat.sum(axis=1)  # (C_out,)
    cols = _im2col(win)  # (C_in*kH*kW, N*H_out*W_out)
    dw = (dout_mat @ cols.T).reshape(w.shape)  # (C_out, C_in, kH, kW)
    dxp = _col2im(dout_mat, w, n, (h_out, w_out), xp.shape[2:], s, d)  # (N, C_in, Hp, Wp)
    (top, bottom), (left, right) = pads
    dx = dxp[:, :, top : dxp.shape[2] - bottom, left : dxp.shape[3] - right]  # (N, C_in, H, W)
    return np.ascontiguousarray(dx), dw, db


def _col2im(
    dout_mat: np.ndarray,
    w: np.ndarray,
    n: int,
    out: tuple[int, int],
    padded: tuple[int, ...],
    s: tuple[int, int],
    d: tuple[int, int],
) -> np.ndarray:
    """The gradient of a convolution with respect to its zero-padded input ``(N, C_in, Hp, Wp)``,
    from the upstream gradient as a matrix ``(C_out, N*H_out*W_out)`` and the weights OIHW: one
    matrix product back to columns, then each kernel tap's column scattered back to the pixels it
    read (col2im)."""
    c_out, c_in, kh, kw = w.shape
    h_out, w_out = out
    dcols = w.reshape(c_out, -1).T @ dout_mat  # (C_in*kH*kW, N*H_out*W_out)
    dcols = dcols.reshape(c_in, kh, kw, n, h_out, w_out)  # (C_in, kH, kW, N, H_out, W_out)
    dcols = dcols.transpose(3, 0, 1, 2, 4, 5)  # (N, C_in, kH, kW, H_out, W_out)
    dxp = np.zeros((n, c_in, *padded), dtype=dcols.dtype)  # (N, C_in, Hp, Wp)
    for i in range(kh):  # col2im: scatter each kernel tap back to the pixels it read
        for j in range(kw):
            row_sel = slice(i * d[0], i * d[0] + (h_out - 1) * s[0] + 1, s[0])
            col_sel = slice(j * d[1], j * d[1] + (w_out - 1) * s[1] + 1, s[1])
            dxp[:, :, row_sel, col_sel] += dcols[:, :, i, j]
    return dxp


def conv_transpose2d(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    *,
    stride: IntPair = 1,
    padding: IntPair = 0,
    output_padding: IntPair = 0,
    dilation: IntPair = 1,
) -> np.ndarray:
    """Transposed convolution: the gradient of :func:`conv2d` with respect to its input, used as
    a layer that upsamples (``nn.ConvTranspose2d``, Keras ``Conv2DTranspose``).

    Each input pixel scatters a copy of the kernel, scaled by its value, into the output, ``stride``
    pixels apart; overlapping copies add up. It is exactly what :func:`conv2d_backward` does to
    send a gradient back to a convolution's input, here applied to a feature map.

    Args:
        x: input, NCHW ``(N, C_in, H, W)``.
        w: weights in torch's ``ConvTranspose2d`` layout ``(C_in, C_out, kH, kW)`` (the OIHW
            weights of the convolution whose gradient this is).
        b: optional bias ``(C_out,)``.
        stride, padding, dilation: those of that convolution (``padding`` crops the output).
        output_padding: extra rows and columns at the bottom and right, ``< stride``, to pick one
            of the input sizes that a strided convolution maps to the same output size.

    Returns:
        ``(N, C_out, H_out, W_out)`` with ``H_out = (H - 1) * sH - 2 * pH + dH * (kH - 1) +
        output_padding + 1``.
    """
    x, w = np.asarray(x), np.asarray(w)
    check_ndim(x, 4, "x", "NCHW (N, C_in, H, W)")
    check_ndim(w, 4, "w", "(C_in, C_out, kH, kW), torch's ConvTranspose2d layout")
    if x.shape[1] != w.shape[0]:
        raise ValueError(f"x has {x.shape[1]} channels but w expects {w.shape[0]} (w is "
                         "(C_in, C_out, kH, kW))")
    s, d = positive_pair(stride, "stride"), positive_pair(dilation, "dilation")
    p, extra = pair(padding, "padding"), pair(output_padding, "output_padding")
    if min(p) < 0 or not all(0 <= e < max(si, di) for e, si, di in zip(extra, s, d, strict=True)):
        raise ValueError(f"need padding >= 0 and 0 <= output_padding < stride (or dilation), got "
                         f"{padding!r} and {output_padding!r}")
    n, _, h, wd = x.shape
    kh, kw = w.shape[2:]
    size = [(h - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + extra[0] + 1,
            (wd - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + extra[1] + 1]
    if min(size) < 1:
        raise ValueError(f"the padding {padding!r} crops the whole output")
    x_mat = x.transpose(1, 0, 2, 3).reshape(x.shape[1], -1)  # (C_in, N*H*W)
    padded = (size[0] + 2 * p[0], size[1] + 2 * p[1])
    out = _col2im(x_mat, w, n, (h, wd), padded, s, d)  # (N, C_out, Hp, Wp)
    out = np.ascontiguousarray(out[:, :, p[0] : p[0] + size[0], p[1] : p[1] + size[1]])
    return _add_bias(out, b)
