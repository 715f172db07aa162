"""cnnbook.explain's torch methods against captum, the reference implementation.

Grad-CAM against ``captum.attr.LayerGradCam`` (``relu_attributions=True`` and ``False``, at layer
resolution), the input gradient against ``captum.attr.Saliency`` and occlusion against
``captum.attr.Occlusion`` with the same window, stride, baseline and target output (logits, and
probabilities through a softmax), to a maximum relative error of 1e-5. On the book's models
(untrained, batch-norm statistics randomised so that they matter) and on a small model built here
with a residual connection and a strided convolution.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
captum_attr = pytest.importorskip("captum.attr")

from torch import nn
from torch.nn import functional as F

from cnnbook import explain
from cnnbook.models import catalogue
from tests.helpers import rel_err

TOL = 1e-5
N = 3  # images per check


class ResidualStrided(nn.Module):
    """``(N, 3, 16, 16)`` -> logits ``(N, 10)``: stem conv, a residual block (``x + body(x)``),
    a stride-2 convolution, global average pooling, linear."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.body = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(8, 8, 3, padding=1))
        self.down = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.stem(x))  # (N, 8, 16, 16)
        x = F.relu(x + self.body(x))  # (N, 8, 16, 16)
        x = F.relu(self.down(x))  # (N, 16, 8, 8)
        return self.fc(x.mean(dim=(2, 3)))  # (N, 10)


# model -> the layers Grad-CAM is checked at (dotted module names)
LAYERS = {
    "post_keras": ["conv1", "conv2"],
    "post_pytorch": ["conv1", "conv2"],
    "cifar_resnet_small": ["conv1", "res1", "res1.conv2", "conv3"],
    "residual_strided": ["stem", "body", "body.2", "down"],
}


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The models are tiny; on two busy shared cores one thread is many times faster."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def build(name: str) -> tuple[nn.Module, torch.Tensor, np.ndarray]:
    """A seeded untrained model in eval mode, ``N`` inputs in [0, 1] and one target each."""
    torch.manual_seed(0)
    if name == "residual_strided":
        net, shape = ResidualStrided(), (3, 16, 16)
    else:
        entry = catalogue.get(name)
        net, shape = entry.build("torch"), entry.input_shape("torch")
    for module in net.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    x = torch.rand(N, *shape)
    return net.eval(), x, np.arange(N) * 3 % 10


@pytest.mark.parametrize(("name", "layer"),
                         [(name, layer) for name, layers in LAYERS.items() for layer in layers])
def test_grad_cam_equals_captum_layer_grad_cam(name, layer):
    net, x, targets = build(name)
    reference = captum_attr.LayerGradCam(net, explain.find_layer(net, layer))
    for relu in (True, False):
        ref = reference.attribute(x, target=torch.as_tensor(targets),
                                  relu_attributions=relu)  # (N, 1, h, w)
        ours = explain.grad_cam(net, x.numpy(), layer, targets, relu=relu)  # (N, h, w)
        assert rel_err(ours, ref[:, 0].detach().numpy()) <= TOL, relu
        assert (ref > 0).any(), "a degenerate all-zero map proves nothing"


@pytest.mark.parametrize("name", list(LAYERS))
def test_gradient_equals_captum_saliency(name):
    net, x, targets = build(name)
    for absolute in (False, True):
        ref = captum_attr.Saliency(net).attribute(x.clone().requires_grad_(True),
                                                  target=torch.as_tensor(targets), abs=absolute)
        ours = explain.saliency(net, x, targets, absolute=absolute)  # (N, C, H, W)
        assert rel_err(ours, ref.numpy()) <= TOL


@pytest.mark.parametrize("name", list(LAYERS))
def test_occlusion_equals_captum_occlusion(name):
    net, x, targets = build(name)
    x = x[:2]
    side = x.shape[-1]
    window, stride = (side // 4, side // 6)  # strides that leave a cut window at the border
    c = x.shape[1]
    for output, forward in (("logits", net), ("probabilities", lambda z: net(z).softmax(1))):
        ref = captum_attr.Occlusion(forward).attribute(
            x, sliding_window_shapes=(c, window, window), strides=(c, stride, stride),
            baselines=0.25, target=torch.as_tensor(targets[:2]), perturbations_per_eval=64)
        assert torch.equal(ref, ref[:, :1].expand_as(ref))  # the window spans every channel
        ref = ref[:, 0].numpy()  # (N, H, W)
        ours = explain.occlusion(explain.predictor(net, output=output), x.numpy(), targets[:2],
                                 window=window, stride=stride, baseline=0.25)  # (N, H, W)
        if output == "logits":
            # An occlusion value is a difference of two logits, so its float32 rounding scales
            # with the logits, not with the (small) difference: relative to the largest logit.
            # (Measured: 5e-8 apart on logits of order 0.1; which kernels oneDNN picks for the
            # two batch sizes depends on the CPU, so a bound relative to the difference, 2e-5
            # on one machine, is not portable.)
            with torch.no_grad():
                scale = float(net(x).abs().max())
            assert np.abs(ours - ref).max() <= TOL * scale, (np.abs(ours - ref).max(), scale)
        else:
            # Untrained nets barely move a probability near 0.1: the drops (~1e-4) are
            # differences of float32 numbers whose rounding (~1e-8) both sides share only in part.
            assert np.abs(ours - ref).max() <= 1e-6


def test_grad_cam_and_saliency_leave_the_model_as_they_found_it():
    net, x, targets = build("post_pytorch")
    net.train()
    before = [p.detach().clone() for p in net.parameters()]
    first = explain.grad_cam(net, x, "conv2", targets)
    assert net.training and all(m.training for m in net.modules())
    assert all(p.grad is None for p in net.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))
    np.testing.assert_array_equal(first, explain.grad_cam(net, x, "conv2", targets))  # eval: no
    # dropout noise between the calls


def test_layer_errors_are_one_line():
    net, x, targets = build("post_keras")
    with pytest.raises(ValueError, match=r"no layer 'conv9'; layers: conv1, conv2") as err:
        explain.grad_cam(net, x, "conv9", targets)
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="'pool' ran 2 times") as err:
        explain.activations(net, x, "pool")  # PostKeras uses one MaxPool2d twice
    with pytest.raises(ValueError, match=r"needs a \(N, C, H, W\) layer output; 'fc1'"):
        explain.grad_cam(net, x, "fc1", targets)
    with pytest.raises(ValueError, match="target must be one class index or 3"):
        explain.saliency(net, x, [1, 2])
