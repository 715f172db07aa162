"""Shape arithmetic: conv_output_size, output_shapes and count_params of specs against real
forward passes, and receptive fields against the gradient footprint of one output in torch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

from cnnbook.models import (
    ActivationSpec,
    Architecture,
    Conv2dSpec,
    DenseSpec,
    DropoutSpec,
    FlattenSpec,
    Pool2dSpec,
    catalogue,
    count_params,
    format_param_table,
    output_shapes,
    param_table,
    receptive_field,
)
from cnnbook.ops import conv2d, conv_output_size, max_pool2d, relu


@settings(max_examples=40, deadline=None)
@given(
    size=st.integers(1, 40),
    kernel=st.integers(1, 5),
    stride=st.integers(1, 4),
    dilation=st.integers(1, 3),
    padding=st.one_of(st.integers(0, 3), st.sampled_from(["same", "valid"])),
)
def test_conv_output_size_equals_the_computed_shape(size, kernel, stride, dilation, padding):
    pad = 0 if padding in ("same", "valid") else padding
    assume(padding == "same" or size + 2 * pad >= (kernel - 1) * dilation + 1)
    x, w = np.zeros((1, 1, size, 3)), np.zeros((1, 1, kernel, 1))
    out = conv2d(
        x,
        w,
        stride=(stride, 1),
        padding=(padding if isinstance(padding, str) else (pad, 0)),
        dilation=(dilation, 1),
    )
    assert out.shape[2] == conv_output_size(size, kernel, stride, padding, dilation)
    if padding == "same":
        assert out.shape[2] == math.ceil(size / stride)


def test_conv_output_size_rejects_kernels_that_do_not_fit():
    with pytest.raises(ValueError, match="does not fit"):
        conv_output_size(4, 3, dilation=2)
    with pytest.raises(ValueError, match="padding"):
        conv_output_size(4, 3, padding="full")


def numpy_forward_shapes(layers, input_shape_chw, seed=0):
    """Run the specs with the NumPy ops on a random input; return every layer's output shape."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, *input_shape_chw))  # (1, C, H, W)
    shapes, params = [], 0
    for layer in layers:
        if isinstance(layer, Conv2dSpec):
            kh, kw = (
                (layer.kernel_size,) * 2
                if isinstance(layer.kernel_size, int)
                else layer.kernel_size
            )
            w = rng.standard_normal((layer.out_channels, x.shape[1], kh, kw))
            b = rng.standard_normal(layer.out_channels)
            x = conv2d(x, w, b, stride=layer.stride, padding=layer.padding, dilation=layer.dilation)
            params += w.size + b.size
        elif isinstance(layer, Pool2dSpec):
            x = max_pool2d(x, layer.kernel_size, layer.stride, layer.padding)
        elif isinstance(layer, FlattenSpec):
            x = x.reshape(x.shape[0], -1)  # (1, C*H*W)
        elif isinstance(layer, DenseSpec):
            w = rng.standard_normal((x.shape[1], layer.out_features))
            b = rng.standard_normal(layer.out_features)
            x = x @ w + b
            params += w.size + b.size
        elif isinstance(layer, ActivationSpec):
            x = relu(x)
        shapes.append(x.shape[1:])
    return shapes, params


@st.composite
def stacks(draw):
    """A random conv/pool stack that fits its input, then Flatten and one or two Dense layers."""
    channels, size = draw(st.integers(1, 3)), draw(st.integers(8, 24))
    layers, c, h = [], channels, size
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            k, s, d = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
            p = draw(st.one_of(st.integers(0, 1), st.just("same"), st.just("valid")))
            if h + 2 * (0 if isinstance(p, str) else p) < (k - 1) * d + 1:
                continue
            out = draw(st.integers(1, 4))
            layers += [Conv2dSpec(c, out, k, s, p, d), ActivationSpec("relu")]
            c, h = out, conv_output_size(h, k, s, p, d)
        elif h >= 2:
            layers.append(Pool2dSpec(2, draw(st.sampled_from([None, 1, 2]))))
            h = conv_output_size(h, 2, layers[-1].stride or 2)
        layers.append(DropoutSpec(0.25))
    layers += [FlattenSpec(), DenseSpec(None, draw(st.integers(2, 9)))]
    return layers, (channels, size, size)


@settings(max_examples=30, deadline=None)
@given(stacks())
def test_output_shapes_and_count_params_match_a_numpy_forward_pass(stack):
    layers, input_shape = stack
    shapes, params = numpy_forward_shapes(layers, input_shape)
    assert output_shapes(layers, input_shape) == shapes
    assert count_params(Architecture(input_shape, tuple(layers))) == params
    rows = param_table(layers, input_shape)
    assert [row[1] for row in rows] == shapes and sum(row[2] for row in rows) == params
    assert format_param_table(layers, input_shape).splitlines()[-1].endswith(f"{params:,}")


def test_specs_catch_mismatched_layers():
    with pytest.raises(ValueError, match="expects 3 channels"):
        output_shapes([Conv2dSpec(3, 8, 3)], (1, 28, 28))
    with pytest.raises(ValueError, match="FlattenSpec"):
        output_shapes([DenseSpec(None, 10)], (1, 28, 28))
    with pytest.raises(ValueError, match="expects 100 features"):
        output_shapes([FlattenSpec(), DenseSpec(100, 10)], (1, 28, 28))
    with pytest.raises(ValueError, match="out_features"):
        DenseSpec(10)
    with pytest.raises(ValueError, match="'max' or 'avg'"):
        Pool2dSpec(2, mode="min")


def test_param_table_names_layers_by_label_or_kind():
    layers = [
        Conv2dSpec(1, 4, 3),
        Pool2dSpec(2),
        Conv2dSpec(4, 4, 3, label="conv_b"),
        Pool2dSpec(2, mode="avg"),
        FlattenSpec(),
        DenseSpec(None, 3),
    ]
    names = [row[0] for row in param_table(layers, (1, 16, 16))]
    assert names == ["conv2d_1", "max_pool2d_1", "conv_b", "avg_pool2d_1", "flatten_1", "dense_1"]
    assert [f.name for f in receptive_field(layers)] == names[:4]


# ---- receptive fields, checked by where the gradient of one output lands in the input -------


@st.composite
def spatial_stacks(draw):
    layers = []
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
            layers.append(
                Conv2dSpec(
                    1,
                    1,
                    (kh, kw),
                    (draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                    (draw(st.integers(0, 2)), draw(st.integers(0, 2))),
                    (draw(st.integers(1, 2)), draw(st.integers(1, 2))),
                )
            )
        else:
            k = draw(st.integers(1, 3))
            stride = draw(st.one_of(st.none(), st.integers(1, 3)))
            layers.append(Pool2dSpec(k, stride, draw(st.integers(0, k // 2)), mode="avg"))
    return layers, draw(st.integers(0, 2**16)), draw(st.integers(0, 40))


@settings(max_examples=30, deadline=None)
@given(spatial_stacks())
def test_receptive_field_equals_gradient_footprint(case):
    torch = pytest.importorskip("torch", reason="torch autograd gives the brute-force footprint")
    layers, seed, extra = case
    fields = [receptive_field(layers, axis=a)[-1] for a in (0, 1)]
    sizes = [f.size + extra for f in fields]  # big enough for at least one full field (mostly)
    x = torch.ones(1, 1, *sizes, dtype=torch.float64, requires_grad=True)
    y = x
    for layer in layers:  # all-positive weights and average pools: no gradient can cancel
        if isinstance(layer, Conv2dSpec):
            w = torch.ones(1, 1, *layer.kernel_size, dtype=torch.float64)
            y = torch.nn.functional.conv2d(
                y, w, stride=layer.stride, padding=layer.padding, dilation=layer.dilation
            )
        else:
            y = torch.nn.functional.avg_pool2d(y, layer.kernel_size, layer.stride, layer.padding)
    # An output whose whole field lies inside the input (padding would clip the footprint).
    rng = np.random.default_rng(seed)
    index = []
    for f, n_out, n_in in zip(fields, y.shape[2:], sizes, strict=True):
        first = [
            i
            for i in range(n_out)
            if f.start + i * f.jump - (f.size - 1) / 2 >= 0
            and f.start + i * f.jump + (f.size - 1) / 2 <= n_in - 1
        ]
        assume(first)
        index.append(int(rng.choice(first)))
    y[0, 0, index[0], index[1]].backward()
    rows, cols = np.nonzero(x.grad[0, 0].numpy())
    for f, i, hits in zip(fields, index, (rows, cols), strict=True):
        centre = f.start + i * f.jump
        assert hits.min() == centre - (f.size - 1) / 2
        assert hits.max() == centre + (f.size - 1) / 2


def test_receptive_field_of_the_post_keras_model():
    spec = catalogue.get("post_keras").spec
    fields = spec.receptive_field()
    assert fields == receptive_field(list(spec.layers))
    conv_pool = [f for f in fields if f.name.startswith(("conv", "pool"))]
    # Each 3x3 conv adds 2 * jump pixels, each 2x2 pool adds 1 * jump and doubles the jump.
    expected, size, jump = [], 1, 1
    for k, s in ((3, 1), (2, 2), (3, 1), (2, 2)):
        size, jump = size + (k - 1) * jump, jump * s
        expected.append((size, jump))
    assert [(f.size, f.jump) for f in conv_pool] == expected
    assert len(fields) < len(spec.layers)  # stops at Flatten


def test_receptive_field_refuses_same_padding():
    with pytest.raises(ValueError, match="same"):
        receptive_field([Conv2dSpec(1, 1, 3, padding="same")])
