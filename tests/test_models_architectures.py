"""The architectures chapter's arithmetic against references: multiply-accumulates against
``torch.utils.flop_counter.FlopCounterMode``, LeNet-5 against a hand count, receptive fields of the
catalogue's CIFAR-10 classifiers against the footprint of input gradients, and grouped
(depthwise) convolutions against torch's ``groups``."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cnnbook.models import (
    Architecture,
    Conv2dSpec,
    DenseSpec,
    FlattenSpec,
    catalogue,
    count_macs,
    count_params,
)

torch = pytest.importorskip("torch", reason="the references are torch's")
nn = torch.nn

TORCH = list(catalogue.entries(frameworks=("torch",)))
CIFAR = [e for e in TORCH if e.dataset == "cifar10"]


@pytest.mark.parametrize("entry", TORCH, ids=[e.name for e in TORCH])
def test_macs_are_half_the_flops_that_torch_counts(entry):
    from torch.utils.flop_counter import FlopCounterMode

    net = entry.build("torch").eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net(torch.zeros(1, *entry.spec.input_shape))
    assert counter.get_total_flops() == 2 * entry.count_macs() > 0
    assert entry.count_macs() == entry.spec.count_macs() == count_macs(
        list(entry.spec.layers), entry.spec.input_shape)


def test_lenet5_against_a_hand_count():
    """LeNet-5 on a 3x32x32 image: 5x5 convolutions (every channel pair), 2x2 pooling, dense
    400 -> 120 -> 84 -> 10."""
    entry = catalogue.get("lenet5")
    conv1 = (3 * 5 * 5 + 1) * 6  # 456: 6 filters of 3x5x5, a bias each
    conv2 = (6 * 5 * 5 + 1) * 16  # 2,416
    fc1, fc2, fc3 = (16 * 5 * 5 + 1) * 120, (120 + 1) * 84, (84 + 1) * 10  # 48,120 10,164 850
    assert entry.count_params() == conv1 + conv2 + fc1 + fc2 + fc3 == 62_006
    macs = 6 * 3 * 25 * 28 * 28 + 16 * 6 * 25 * 10 * 10 + 400 * 120 + 120 * 84 + 84 * 10
    assert entry.count_macs() == macs == 651_720
    assert count_params(entry.build("torch")) == 62_006
    shapes = entry.spec.output_shapes()
    assert shapes[0] == (6, 28, 28) and shapes[2] == (6, 14, 14) and shapes[5] == (16, 5, 5)
    # the paper's C3 connected 60 of the 16 x 6 channel pairs: 60 * 25 + 16 = 1,516 parameters
    assert 60 * 25 + 16 == 1_516 < conv2


def _geometry_only(net: nn.Module) -> nn.Module:
    """``net`` with what can hide a footprint taken out and the geometry kept: positive
    weights, average pools for max pools (a max sends its gradient to one input), identities for
    activations (a ReLU can be off), float64."""
    for name, module in list(net.named_modules()):
        parent = net.get_submodule(name.rpartition(".")[0]) if "." in name else net
        leaf = name.rpartition(".")[2]
        if isinstance(module, nn.MaxPool2d):
            setattr(parent, leaf, nn.AvgPool2d(module.kernel_size, module.stride,
                                               module.padding))
        elif isinstance(module, (nn.ReLU, nn.GELU, nn.Tanh, nn.Sigmoid)):
            setattr(parent, leaf, nn.Identity())
    with torch.no_grad():
        for param in net.parameters():
            param.copy_(param.abs() + 0.01)
    return net.double().eval()


@pytest.mark.parametrize("entry", CIFAR, ids=[e.name for e in CIFAR])
def test_receptive_fields_of_the_cifar_classifiers_are_the_footprints_of_input_gradients(entry):
    """For every spatial layer and three units of its map (a corner, the centre, the last),
    the input pixels that the unit's gradient reaches are exactly its field, clipped to the
    image (padding lies outside it)."""
    net = _geometry_only(entry.build_spec("torch"))  # every layer a submodule
    spec = entry.spec
    _, height, width = spec.input_shape
    fields = {axis: spec.receptive_field(axis=axis) for axis in (0, 1)}
    top_level = {name for name, _ in net.named_children()}
    checked = 0
    for rows, cols in zip(fields[0], fields[1], strict=True):
        if rows.name not in top_level:
            continue
        outputs: list = []
        hook = net.get_submodule(rows.name).register_forward_hook(
            lambda _m, _i, out, kept=outputs: kept.append(out))
        x = torch.ones(1, *spec.input_shape, dtype=torch.float64, requires_grad=True)
        net(x)
        hook.remove()
        out = outputs[0]  # (1, C, H_out, W_out)
        h_out, w_out = out.shape[2:]
        for i, j in {(0, 0), (h_out // 2, w_out // 2), (h_out - 1, w_out - 1)}:
            (grad,) = torch.autograd.grad(out[0, :, i, j].sum(), x, retain_graph=True)
            hit_rows, hit_cols = np.nonzero(grad[0].sum(0).numpy())
            for field, unit, hits, size in ((rows, i, hit_rows, height),
                                            (cols, j, hit_cols, width)):
                centre = field.start + unit * field.jump
                low, high = centre - (field.size - 1) / 2, centre + (field.size - 1) / 2
                assert (hits.min(), hits.max()) == (max(0, math.ceil(low)),
                                                    min(size - 1, math.floor(high))), (
                    rows.name, unit)
        checked += 1
    assert checked >= 3, entry.name


def test_grouped_convolution_counts_and_builds_like_torch_groups():
    depthwise = Conv2dSpec(8, 16, 3, 2, 1, groups=8, bias=False)
    arch = Architecture((8, 9, 9), (depthwise, FlattenSpec(), DenseSpec(None, 3)))
    net = nn.Conv2d(8, 16, 3, 2, 1, groups=8, bias=False)
    assert arch.param_table()[0][2] == count_params(net) == 16 * 1 * 9
    assert arch.output_shapes()[0] == tuple(net(torch.zeros(1, 8, 9, 9)).shape[1:])
    assert depthwise.weight_shapes((8, 9, 9))["weight"] == tuple(net.weight.shape)
    assert depthwise.macs((8, 9, 9), 0) == 16 * 9 * 5 * 5
    with pytest.raises(ValueError, match="groups=3 must divide in_channels"):
        Conv2dSpec(8, 16, 3, groups=3)
    from cnnbook.models.numpy_build import supports

    assert not supports(arch)
    with pytest.raises(ValueError, match="ungrouped"):
        depthwise.export_form("dw1")


def test_the_separable_block_costs_what_its_formula_says():
    """A depthwise-separable block costs ``k*k*C + C*C'`` weights against ``k*k*C*C'`` for a
    full convolution: for mobilenet_small's blocks, every one is cheaper by the ratio
    ``1/C' + 1/k^2``."""
    spec = catalogue.get("mobilenet_small").spec
    rows = {name: params for name, _, params in spec.param_table()}
    for index in range(1, 6):
        dw = next(layer for layer in spec.layers if layer.label == f"dw{index}")
        pw = next(layer for layer in spec.layers if layer.label == f"pw{index}")
        c, c_out = dw.in_channels, pw.out_channels
        assert rows[f"dw{index}"] + rows[f"pw{index}"] == 9 * c + c * c_out
        ratio = (9 * c + c * c_out) / (9 * c * c_out)
        assert ratio == pytest.approx(1 / c_out + 1 / 9)
