"""Activations and cross-entropy against torch (float64): values, gradients, stability."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, target

from cnnbook.ops import (
    cross_entropy,
    cross_entropy_backward,
    log_softmax,
    one_hot,
    relu,
    relu_backward,
    softmax,
)
from tests.helpers import rel_err


@pytest.fixture(scope="module")
def torch():
    """PyTorch, the reference; only the tests that compare with it skip when it is missing."""
    return pytest.importorskip("torch", reason="torch is the reference for the NumPy ops")


TOL64 = 1e-10


@st.composite
def logits_and_labels(draw):
    n, k = draw(st.integers(1, 8)), draw(st.integers(2, 12))
    scale = draw(st.sampled_from([0.1, 1.0, 10.0, 100.0]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.standard_normal((n, k)) * scale, rng.integers(0, k, size=n), rng


@settings(max_examples=30, deadline=None)
@given(logits_and_labels())
def test_softmax_log_softmax_and_cross_entropy_match_torch(torch, case):
    F = torch.nn.functional
    z, y, _ = case
    zt = torch.tensor(z, requires_grad=True)
    for ours, theirs in ((softmax(z), F.softmax(zt, 1)), (log_softmax(z), F.log_softmax(zt, 1))):
        assert rel_err(ours, theirs.detach().numpy()) <= TOL64
    assert rel_err(softmax(z, axis=0), F.softmax(zt, 0).detach().numpy()) <= TOL64

    loss = F.cross_entropy(zt, torch.tensor(y))
    loss.backward()
    # The loss is a difference of terms as large as max|z| (z_y - logsumexp z), so both libraries
    # round it to about eps * max|z|; a confident prediction gives a loss near 1e-8 whose own size
    # is no fair scale. Measure the error against the scale the loss is computed at.
    scale = max(abs(loss.item()), float(np.abs(z).max()))
    err = abs(cross_entropy(z, y) - loss.item()) / scale
    target(err, label="cross_entropy float64 vs torch")
    assert err <= TOL64
    assert rel_err(cross_entropy(z, one_hot(y, z.shape[1])), loss.item()) <= TOL64
    err = rel_err(cross_entropy_backward(z, y), zt.grad.numpy())
    target(err, label="cross_entropy_backward float64 vs torch")
    assert err <= TOL64


@settings(max_examples=30, deadline=None)
@given(logits_and_labels())
def test_cross_entropy_from_logits_equals_from_softmax_probabilities(case):
    z, y, _ = case
    z = z / np.abs(z).max() * 5  # keep every probability above the clipping eps (1e-7)
    assert cross_entropy(softmax(z), y, from_logits=False) == pytest.approx(
        cross_entropy(z, y), rel=1e-9
    )


def test_softmax_is_stable_for_huge_logits():
    z = np.array([[1e4, 1e4 - 1.0, -1e4], [-1e5, -1e5, -1e5]])
    p = softmax(z)
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p, softmax(z - z.max(axis=1, keepdims=True)), rtol=1e-12)
    np.testing.assert_allclose(p[1], [1 / 3] * 3, rtol=1e-12)
    log_p = log_softmax(z)
    assert np.all(np.isfinite(log_p))
    np.testing.assert_allclose(log_p[0, 2], -2e4 - np.log1p(np.exp(-1.0)), rtol=1e-12)
    with np.errstate(over="ignore", invalid="ignore"):  # what the shift protects against
        naive = np.exp(z[0]) / np.exp(z[0]).sum()
    assert not np.all(np.isfinite(naive))


def test_probability_cross_entropy_is_clipped_not_infinite():
    probs = np.array([[1.0, 0.0]])
    assert cross_entropy(probs, np.array([1]), from_logits=False) == pytest.approx(-np.log(1e-7))


def test_relu_and_its_gradient_match_torch(torch):
    F = torch.nn.functional
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 5))
    x[0, 0, :3] = 0.0  # the kink: torch's gradient there is 0
    xt = torch.tensor(x, requires_grad=True)
    out = F.relu(xt)
    dout = rng.standard_normal(x.shape)
    out.backward(torch.tensor(dout))
    np.testing.assert_array_equal(relu(x), out.detach().numpy())
    np.testing.assert_array_equal(relu_backward(dout, x), xt.grad.numpy())


def test_bad_labels_raise_clear_errors():
    z = np.zeros((2, 3))
    with pytest.raises(ValueError, match="lie in"):
        cross_entropy(z, np.array([0, 3]))
    with pytest.raises(ValueError, match="2 predictions"):
        cross_entropy(z, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="one-hot targets"):
        cross_entropy(z, np.zeros((2, 4)))


# -- focal losses --------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha, gamma", [(0.25, 2.0), (0.5, 0.0), (None, 1.5)])
def test_sigmoid_focal_loss_equals_keras_binary_focal_crossentropy(alpha, gamma):
    keras = pytest.importorskip("keras", reason="needs the tf extra (keras)")
    from cnnbook.ops import sigmoid_focal_loss

    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, size=(8, 5))
    targets = (rng.random((8, 5)) < 0.3).astype(np.float64)
    loss = keras.losses.BinaryFocalCrossentropy(
        apply_class_balancing=alpha is not None, alpha=alpha or 0.25, gamma=gamma,
        from_logits=True)
    expected = float(keras.ops.convert_to_numpy(loss(targets, logits)))
    assert abs(sigmoid_focal_loss(logits, targets, alpha=alpha, gamma=gamma) - expected) <= \
        1e-6 * expected


def test_sigmoid_focal_loss_with_gamma_0_and_no_alpha_is_binary_cross_entropy(torch):
    from cnnbook.ops import sigmoid_focal_loss

    rng = np.random.default_rng(1)
    logits, targets = rng.normal(0, 20, size=(50,)), (rng.random(50) < 0.5).astype(float)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.from_numpy(logits), torch.from_numpy(targets)).item()
    assert rel_err(sigmoid_focal_loss(logits, targets, alpha=None, gamma=0.0), expected) < 1e-12


def test_penalty_reduced_focal_loss_is_the_detector_s_heatmap_loss(torch):
    from cnnbook.detection.loss import CenterNetLoss
    from cnnbook.detection.targets import DEFAULT_LAYOUT, encode_targets
    from cnnbook.ops import penalty_reduced_focal_loss

    lay = DEFAULT_LAYOUT
    boxes = [np.array([[4.0, 6.0, 18.0, 22.0], [30.0, 30.0, 44.0, 50.0]]),
             np.array([[10.0, 10.0, 30.0, 26.0]])]
    labels = [np.array([1, 7]), np.array([3])]
    targets, _ = encode_targets(boxes, labels, (64, 64))  # (2, channels, 16, 16)
    outputs = np.random.default_rng(2).normal(size=(2, lay.outputs, *targets.shape[2:]))
    expected = CenterNetLoss().parts(torch.from_numpy(outputs), torch.from_numpy(targets))
    ours = penalty_reduced_focal_loss(outputs[:, :lay.num_classes],
                                      targets[:, :lay.num_classes])
    assert rel_err(ours, expected["heatmap"].item()) < 1e-5  # the detector computes in float32
