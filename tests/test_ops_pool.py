"""cnnbook.ops pooling against torch.nn.functional (float64), forward and backward, with ties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, target

from cnnbook.ops import (
    avg_pool2d,
    avg_pool2d_backward,
    conv_output_size,
    max_pool2d,
    max_pool2d_backward,
)
from tests.helpers import rel_err

torch = pytest.importorskip("torch", reason="torch is the reference for the NumPy ops")
F = torch.nn.functional

TOL64 = 1e-10


@st.composite
def pool_cases(draw):
    """Overlapping and strided windows, padding up to half the kernel, and inputs with ties."""
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = (draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2)))
    h = draw(st.integers(max(1, kh - 2 * padding[0]), kh + 7))
    w = draw(st.integers(max(1, kw - 2 * padding[1]), kw + 7))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()):  # few distinct values: many windows hold several equal maxima
        x = rng.integers(-2, 3, size=shape).astype(np.float64)
    else:
        x = rng.standard_normal(shape)
    return x, (kh, kw), stride, padding, rng


@pytest.mark.parametrize(
    ("ours", "ours_backward", "theirs"),
    [
        (max_pool2d, max_pool2d_backward, F.max_pool2d),
        (avg_pool2d, avg_pool2d_backward, F.avg_pool2d),
    ],
    ids=["max", "avg"],
)
@settings(max_examples=35, deadline=None)
@given(case=pool_cases())
def test_pool_forward_and_backward_match_torch(ours, ours_backward, theirs, case):
    x, kernel, stride, padding, rng = case
    out = ours(x, kernel, stride, padding)  # (N, C, H_out, W_out)
    xt = torch.tensor(x, requires_grad=True)
    ref = theirs(xt, kernel, stride, padding)
    err = rel_err(out, ref.detach().numpy())
    target(err, label=f"{ours.__name__} forward float64 vs torch")
    assert err <= TOL64

    s = kernel if stride is None else stride
    assert out.shape[2:] == tuple(
        conv_output_size(x.shape[2 + i], kernel[i], s[i], padding[i]) for i in (0, 1)
    )

    dout = rng.standard_normal(out.shape)
    ref.backward(torch.tensor(dout))
    dx = ours_backward(dout, x, kernel, stride, padding)
    err = rel_err(dx, xt.grad.numpy())
    target(err, label=f"{ours.__name__} backward float64 vs torch")
    assert err <= TOL64


def test_max_pool_gradient_goes_to_first_maximum_on_ties():
    x = np.ones((1, 1, 2, 2))
    dx = max_pool2d_backward(np.array([[[[5.0]]]]), x, 2)
    np.testing.assert_array_equal(dx[0, 0], [[5.0, 0.0], [0.0, 0.0]])


def test_stride_defaults_to_kernel_size():
    x = np.arange(36.0).reshape(1, 1, 6, 6)
    np.testing.assert_array_equal(max_pool2d(x, 2), max_pool2d(x, 2, 2))
    assert avg_pool2d(x, 3).shape == (1, 1, 2, 2)


def test_average_pool_counts_padding_like_torch_default():
    x = np.ones((1, 1, 2, 2))
    out = avg_pool2d(x, 3, 1, 1)  # every window holds 4 ones and 5 padded zeros
    np.testing.assert_allclose(out, np.full((1, 1, 2, 2), 4 / 9))


@pytest.mark.parametrize(
    ("shape", "kwargs", "message"),
    [
        ((4, 4), {"kernel_size": 2}, "4-D NCHW"),
        ((1, 1, 4, 4), {"kernel_size": 2, "padding": 2}, "half the kernel"),
        ((1, 1, 2, 2), {"kernel_size": 3}, "larger than the padded input"),
        ((1, 1, 4, 4), {"kernel_size": 0}, "kernel_size"),
    ],
)
def test_pool_bad_input_raises_clear_error(shape, kwargs, message):
    with pytest.raises(ValueError, match=message):
        max_pool2d(np.zeros(shape), **kwargs)
