"""Batch normalisation from scratch against ``nn.BatchNorm2d`` and Keras ``BatchNormalization``:
outputs and running statistics in training and evaluation, each framework's momentum and variance
convention, and the backward pass against autograd (float64)."""

from __future__ import annotations

import numpy as np
import pytest

from cnnbook.ops import batch_norm2d, batch_norm2d_backward


def _batch(seed=0, shape=(6, 3, 5, 4)):
    rng = np.random.default_rng(seed)
    x = rng.normal(2.0, 3.0, shape)  # (N, C, H, W), far from mean 0, std 1
    return x, rng.normal(1, 0.2, shape[1]), rng.normal(0, 0.5, shape[1])


def test_training_and_evaluation_equal_torch_batchnorm2d():
    torch = pytest.importorskip("torch")
    x, gamma, beta = _batch()
    layer = torch.nn.BatchNorm2d(3).double()
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(gamma))
        layer.bias.copy_(torch.from_numpy(beta))
    mean, var = np.zeros(3), np.ones(3)
    for step in range(3):  # three training batches update the running statistics
        xs = x + step
        out, mean, var = batch_norm2d(xs, gamma, beta, mean, var, training=True)
        expected = layer.train()(torch.from_numpy(xs)).detach().numpy()
        np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(mean, layer.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(var, layer.running_var.numpy(), rtol=1e-12)  # unbiased
    out, same_mean, _ = batch_norm2d(x, gamma, beta, mean, var, training=False)
    assert same_mean is mean  # evaluation leaves the running statistics alone
    expected = layer.eval()(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)


def test_keras_is_the_same_layer_with_its_own_conventions():
    keras = pytest.importorskip("keras", reason="needs the tf extra (keras)")
    x, gamma, beta = _batch(1)
    layer = keras.layers.BatchNormalization(axis=1, momentum=0.99, epsilon=1e-3, dtype="float64")
    layer.build(x.shape)
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    mean, var = np.zeros(3), np.ones(3)
    for step in range(3):
        xs = x + step
        out, mean, var = batch_norm2d(xs, gamma, beta, mean, var, training=True,
                                      momentum=1 - 0.99, eps=1e-3, unbiased=False)
        expected = keras.ops.convert_to_numpy(layer(xs, training=True))
        np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(mean, keras.ops.convert_to_numpy(layer.moving_mean), rtol=1e-9)
    np.testing.assert_allclose(var, keras.ops.convert_to_numpy(layer.moving_variance),
                               rtol=1e-9)
    out, _, _ = batch_norm2d(x, gamma, beta, mean, var, training=False, eps=1e-3)
    np.testing.assert_allclose(out, keras.ops.convert_to_numpy(layer(x, training=False)),
                               rtol=1e-9, atol=1e-10)
    # torch's convention differs from Keras' by the n / (n - 1) of the variance alone
    _, _, torch_var = batch_norm2d(x, gamma, beta, np.zeros(3), np.ones(3), training=True,
                                   momentum=0.01, eps=1e-3)
    _, _, keras_var = batch_norm2d(x, gamma, beta, np.zeros(3), np.ones(3), training=True,
                                   momentum=0.01, eps=1e-3, unbiased=False)
    n = x.size // 3
    np.testing.assert_allclose(torch_var - 0.99, (keras_var - 0.99) * n / (n - 1), rtol=1e-12)


def test_the_backward_pass_equals_autograd():
    torch = pytest.importorskip("torch")
    x, gamma, beta = _batch(2)
    dout = np.random.default_rng(3).normal(size=x.shape)
    xt = torch.from_numpy(x).requires_grad_()
    gt, bt = torch.from_numpy(gamma).requires_grad_(), torch.from_numpy(beta).requires_grad_()
    out = torch.nn.functional.batch_norm(xt, None, None, gt, bt, training=True, eps=1e-5)
    out.backward(torch.from_numpy(dout))
    dx, dgamma, dbeta = batch_norm2d_backward(dout, x, gamma)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(dgamma, gt.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(dbeta, bt.grad.numpy(), rtol=1e-10)


def test_the_backward_pass_in_evaluation_mode_equals_autograd():
    """With the running statistics fixed, the layer is an affine map per channel."""
    torch = pytest.importorskip("torch")
    x, gamma, beta = _batch(4)
    mean, var = np.array([1.0, 2.0, -1.0]), np.array([4.0, 0.5, 9.0])
    dout = np.random.default_rng(5).normal(size=x.shape)
    xt = torch.from_numpy(x).requires_grad_()
    gt, bt = torch.from_numpy(gamma).requires_grad_(), torch.from_numpy(beta).requires_grad_()
    out = torch.nn.functional.batch_norm(xt, torch.from_numpy(mean), torch.from_numpy(var), gt,
                                         bt, training=False, eps=1e-5)
    out.backward(torch.from_numpy(dout))
    dx, dgamma, dbeta = batch_norm2d_backward(dout, x, gamma, running=(mean, var))
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dgamma, gt.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(dbeta, bt.grad.numpy(), rtol=1e-10)


def test_one_line_refusals():
    x, gamma, beta = _batch()
    with pytest.raises(ValueError, match="NCHW"):
        batch_norm2d(x[0], gamma, beta, np.zeros(3), np.ones(3), training=True)
    with pytest.raises(ValueError, match="more than one value per channel"):
        batch_norm2d(x[:1, :, :1, :1], gamma, beta, np.zeros(3), np.ones(3), training=True)
    with pytest.raises(ValueError, match="shape of x"):
        batch_norm2d_backward(x[:2], x, gamma)
