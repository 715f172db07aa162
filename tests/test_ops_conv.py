"""cnnbook.ops convolution against torch.nn.functional.conv2d in float64, forward and backward."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, target

from cnnbook.ops import conv2d, conv2d_backward, conv2d_loop, conv_output_size
from tests.helpers import rel_err


@pytest.fixture(scope="module")
def torch():
    """PyTorch, the reference; only the tests that compare with it skip when it is missing."""
    return pytest.importorskip("torch", reason="torch is the reference for the NumPy ops")


TOL64 = 1e-10


@st.composite
def conv_cases(draw, allow_same_stride: bool = False):
    """Small random conv problems: shapes, strides, dilations and every padding form."""
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    padding = draw(
        st.one_of(
            st.integers(0, 2),
            st.tuples(st.integers(0, 2), st.integers(0, 2)),
            st.sampled_from(["valid", "same"]),
        )
    )
    if padding == "same" and not allow_same_stride:
        sh = sw = 1  # torch only knows "same" for stride 1
    else:
        sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = (
        (padding, padding)
        if isinstance(padding, int)
        else (padding if isinstance(padding, tuple) else (0, 0))
    )
    reach_h, reach_w = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    h = draw(st.integers(max(1, reach_h - 2 * ph), reach_h + 6))
    w = draw(st.integers(max(1, reach_w - 2 * pw), reach_w + 6))
    n, c_in, c_out = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    return {
        "x": (n, c_in, h, w),
        "w": (c_out, c_in, kh, kw),
        "stride": (sh, sw),
        "padding": padding,
        "dilation": (dh, dw),
        "seed": seed,
    }


def arrays(case: dict, dtype=np.float64):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal(case["x"]).astype(dtype)
    w = rng.standard_normal(case["w"]).astype(dtype)
    b = rng.standard_normal(case["w"][0]).astype(dtype)
    return rng, x, w, b


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")
@settings(max_examples=40, deadline=None)
@given(conv_cases())
def test_conv2d_forward_and_backward_match_torch(torch, case):
    F = torch.nn.functional
    rng, x, w, b = arrays(case)
    kwargs = {"stride": case["stride"], "padding": case["padding"], "dilation": case["dilation"]}
    out = conv2d(x, w, b, **kwargs)  # (N, C_out, H_out, W_out)

    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ref = F.conv2d(xt, wt, bt, **kwargs)
    err = rel_err(out, ref.detach().numpy())
    target(err, label="conv2d forward float64 vs torch")
    assert err <= TOL64

    pad_h, pad_w = (
        (case["padding"],) * 2 if not isinstance(case["padding"], tuple) else case["padding"]
    )
    assert out.shape[2] == conv_output_size(
        x.shape[2], w.shape[2], case["stride"][0], pad_h, case["dilation"][0]
    )
    assert out.shape[3] == conv_output_size(
        x.shape[3], w.shape[3], case["stride"][1], pad_w, case["dilation"][1]
    )

    dout = rng.standard_normal(out.shape)
    ref.backward(torch.tensor(dout))
    dx, dw, db = conv2d_backward(dout, x, w, **kwargs)
    for name, ours, theirs in (("dx", dx, xt.grad), ("dw", dw, wt.grad), ("db", db, bt.grad)):
        err = rel_err(ours, theirs.numpy())
        target(err, label=f"conv2d {name} float64 vs torch")
        assert err <= TOL64, name


@settings(max_examples=25, deadline=None)
@given(conv_cases(allow_same_stride=True))
def test_conv2d_loop_equals_vectorised(case):
    _, x, w, b = arrays(case)
    kwargs = {"stride": case["stride"], "padding": case["padding"], "dilation": case["dilation"]}
    fast = conv2d(x, w, b, **kwargs)
    assert rel_err(conv2d_loop(x, w, b, **kwargs), fast) <= TOL64
    assert rel_err(conv2d_loop(x, w, **kwargs), conv2d(x, w, **kwargs)) <= TOL64


def test_conv2d_is_cross_correlation_not_convolution():
    """A kernel with a single 1 in its top-left corner copies the pixel *up-left* of each centre."""
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    w = np.zeros((1, 1, 3, 3))
    w[0, 0, 0, 0] = 1.0
    out = conv2d(x, w)  # (1, 1, 3, 3)
    np.testing.assert_array_equal(out[0, 0], x[0, 0, :3, :3])


def test_torch_rejects_same_padding_with_stride(torch):
    F = torch.nn.functional
    x, w = torch.zeros(1, 1, 5, 5), torch.zeros(1, 1, 3, 3)
    with pytest.raises(RuntimeError, match="same"):
        F.conv2d(x, w, stride=2, padding="same")
    assert conv2d(x.numpy(), w.numpy(), stride=2, padding="same").shape == (1, 1, 3, 3)


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "kwargs", "message"),
    [
        ((3, 5, 5), (1, 3, 3, 3), {}, "4-D NCHW"),
        ((1, 2, 5, 5), (1, 3, 3, 3), {}, "channels"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"padding": "full"}, "padding"),
        ((1, 1, 5, 5), (1, 1, 3, 3), {"stride": 0}, "stride"),
        ((1, 1, 2, 2), (1, 1, 3, 3), {}, "larger than the padded input"),
    ],
)
def test_conv2d_bad_input_raises_clear_error(x_shape, w_shape, kwargs, message):
    with pytest.raises(ValueError, match=message):
        conv2d(np.zeros(x_shape), np.zeros(w_shape), **kwargs)


# -- transposed convolution ----------------------------------------------------------------------


@pytest.mark.parametrize("stride, padding, output_padding, dilation", [
    (1, 0, 0, 1), (2, 0, 0, 1), (2, 1, 1, 1), (3, 1, 2, 1), ((2, 1), (1, 0), (1, 0), 1),
    (1, 1, 0, 2), (2, 2, 1, 2)])
def test_conv_transpose2d_equals_torch(torch, stride, padding, output_padding, dilation):
    from cnnbook.ops import conv_transpose2d

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 5, 4))  # (N, C_in, H, W)
    w = rng.normal(size=(3, 4, 3, 2))  # (C_in, C_out, kH, kW): ConvTranspose2d's layout
    b = rng.normal(size=4)
    ours = conv_transpose2d(x, w, b, stride=stride, padding=padding,
                            output_padding=output_padding, dilation=dilation)
    theirs = torch.nn.functional.conv_transpose2d(
        torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), stride=stride,
        padding=padding, output_padding=output_padding, dilation=dilation).numpy()
    assert ours.shape == theirs.shape
    assert rel_err(ours, theirs) < 1e-12


def test_conv_transpose2d_is_the_gradient_of_conv2d():
    """The transposed convolution of g with w is what conv2d_backward sends back to the input
    of conv2d(x, w) for the upstream gradient g."""
    from cnnbook.ops import conv_transpose2d

    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 4, 9, 9))
    w = rng.normal(size=(3, 4, 3, 3))  # OIHW of the convolution
    g = rng.normal(size=conv2d(x, w, stride=2, padding=1).shape)  # (2, 3, 5, 5)
    dx, _, _ = conv2d_backward(g, x, w, stride=2, padding=1)
    assert np.array_equal(conv_transpose2d(g, w, stride=2, padding=1), dx)


def test_conv_transpose2d_refusals():
    from cnnbook.ops import conv_transpose2d

    x, w = np.zeros((1, 3, 4, 4)), np.zeros((3, 2, 3, 3))
    with pytest.raises(ValueError, match="x has 2 channels but w expects 3"):
        conv_transpose2d(x[:, :2], w)
    with pytest.raises(ValueError, match="output_padding < stride"):
        conv_transpose2d(x, w, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="crops the whole output"):
        conv_transpose2d(x[:, :, :1, :1], w, padding=2)
