"""The NumPy build of a spec (``cnnbook.models.numpy_build``) and its training loop
(``numpy_fit``): the same logits as the torch build on the same weights, every gradient equal to
torch autograd's (relative error <= 1e-6 in float64) and to finite differences, SGD equal to
``torch.optim.SGD``, dropout equal to ``nn.Dropout`` (exactly in evaluation, in distribution in
training), and a net that learns real MNIST digits."""

from __future__ import annotations

import numpy as np
import pytest

from cnnbook.models import catalogue, count_params
from cnnbook.models.numpy_build import build_numpy
from cnnbook.models.numpy_fit import SGD, evaluate_numpy, fit_numpy, predict_numpy

NUMPY_MODELS = [e.name for e in catalogue.entries(frameworks=("numpy",))]


def rel_error(a, b):
    """max |a - b| / max(|a|, |b|), elementwise over the arrays (CS231n's gradient check)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-12, np.abs(a) + np.abs(b))))


def inputs(name, n=4, seed=0):
    entry = catalogue.get(name)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, *entry.spec.input_shape))  # (N, C, H, W) float64
    y = rng.integers(0, entry.spec.output_shapes()[-1][0], size=n)
    return x, y


@pytest.mark.parametrize("name", NUMPY_MODELS)
def test_the_numpy_build_has_the_spec_s_parameters_named_as_torch(name):
    net = catalogue.get(name).build("numpy")
    assert count_params(net) == catalogue.get(name).count_params()
    pytest.importorskip("torch")
    state = catalogue.get(name).build("torch").state_dict()  # buffers too (batch norm's)
    assert {k: tuple(v.shape) for k, v in net.state_dict().items()} == {
        k: tuple(v.shape) for k, v in state.items()}
    assert list(net.state_dict()) == list(state)  # torch's order


@pytest.mark.parametrize("name", NUMPY_MODELS)
def test_logits_and_every_gradient_equal_torch_autograd_on_the_same_weights(name):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = catalogue.get(name).build("torch").double().eval()  # dropout off in both
    net = catalogue.get(name).build("numpy", dtype="float64")
    net.load_state_dict(model.state_dict())
    x, y = inputs(name)
    xt = torch.tensor(x, requires_grad=True)
    logits_t = model(xt)
    loss_t = torch.nn.functional.cross_entropy(logits_t, torch.tensor(y))
    loss_t.backward()
    from cnnbook import ops

    logits = net.forward(x)
    dx = net.backward(ops.cross_entropy_backward(logits, y))
    assert rel_error(logits, logits_t.detach().numpy()) <= 1e-10
    assert abs(ops.cross_entropy(logits, y) - loss_t.item()) <= 1e-12
    assert rel_error(dx, xt.grad.numpy()) <= 1e-6
    grads = dict(model.named_parameters())
    for key, grad in net.gradients().items():
        assert rel_error(grad, grads[key].grad.numpy()) <= 1e-6, key


def test_batch_norm_in_training_equals_torch_statistics_and_gradients():
    """post_pytorch_bn without dropout, in training mode: batch statistics in the forward pass,
    their gradient in the backward pass, and the running statistics after two batches."""
    torch = pytest.importorskip("torch")
    from cnnbook import ops

    torch.manual_seed(0)
    model = catalogue.get("post_pytorch_bn").build("torch", dropout=0.0).double().train()
    net = catalogue.get("post_pytorch_bn").build("numpy", dropout=0.0, dtype="float64")
    net.load_state_dict(model.state_dict())
    for step in range(2):
        x, y = inputs("post_pytorch_bn", n=6, seed=step)
        model.zero_grad()
        torch.nn.functional.cross_entropy(model(torch.from_numpy(x)),
                                          torch.from_numpy(y)).backward()
        logits = net.forward(x, train=True)
        net.backward(ops.cross_entropy_backward(logits, y))
    grads = dict(model.named_parameters())
    for key, grad in net.gradients().items():
        if key in ("conv1.bias", "conv2.bias"):  # batch norm subtracts the batch mean right
            assert np.abs(grad).max() < 1e-12  # after: a bias there gets no gradient at all
            assert np.abs(grads[key].grad.numpy()).max() < 1e-12
            continue
        assert rel_error(grad, grads[key].grad.numpy()) <= 1e-6, key
    for key, value in model.state_dict().items():  # running statistics, batch counts
        assert np.allclose(net.state_dict()[key], value.numpy(), rtol=1e-10, atol=0), key


def test_gradients_match_finite_differences_on_a_few_weights():
    """Central differences, h = 1e-6, in float64, on weights of every layer of the post's Keras
    model (two convolutions, two poolings, two dense layers)."""
    from cnnbook import ops

    net = catalogue.get("post_keras").build("numpy", dtype="float64", seed=1)
    x, y = inputs("post_keras", n=3, seed=2)
    net.backward(ops.cross_entropy_backward(net.forward(x), y))
    grads = {k: v.copy() for k, v in net.gradients().items()}
    rng = np.random.default_rng(3)
    checked = 0
    for key, param in net.parameters().items():
        for flat in rng.choice(param.size, size=3, replace=False):
            where = np.unravel_index(flat, param.shape)
            old = param[where]
            param[where] = old + 1e-6
            up = ops.cross_entropy(net.forward(x), y)
            param[where] = old - 1e-6
            down = ops.cross_entropy(net.forward(x), y)
            param[where] = old
            numeric = (up - down) / 2e-6
            assert abs(numeric - grads[key][where]) <= 1e-7 + 1e-5 * abs(numeric), (key, where)
            checked += 1
    assert checked == 3 * len(grads)


def test_sgd_is_torch_sgd_with_momentum_and_weight_decay():
    torch = pytest.importorskip("torch")
    from cnnbook import ops

    torch.manual_seed(0)
    model = catalogue.get("post_tensorflow").build("torch").double()
    net = catalogue.get("post_tensorflow").build("numpy", dtype="float64")
    net.load_state_dict(model.state_dict())
    reference = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    optimizer = SGD(net, lr=0.1, momentum=0.9, weight_decay=1e-3)
    for step in range(3):
        x, y = inputs("post_tensorflow", n=8, seed=step)
        reference.zero_grad()
        torch.nn.functional.cross_entropy(model(torch.tensor(x)), torch.tensor(y)).backward()
        reference.step()
        net.backward(ops.cross_entropy_backward(net.forward(x), y))
        optimizer.step()
    for key, value in model.state_dict().items():
        assert rel_error(net.state_dict()[key], value.numpy()) <= 1e-9, key


def test_dropout_is_nn_dropout_in_evaluation_and_in_distribution_in_training():
    torch = pytest.importorskip("torch")
    net = catalogue.get("post_pytorch").build("numpy", seed=0)
    layer = net.layers["dropout1"]
    x = np.ones((200, 32, 15, 15), np.float32)
    assert layer.forward(x, train=False) is x  # evaluation: the identity, as nn.Dropout.eval()
    ours = layer.forward(x, train=True)
    torch.manual_seed(0)
    theirs = torch.nn.Dropout(0.5).train()(torch.from_numpy(x)).numpy()
    for sample in (ours, theirs):
        assert set(np.unique(sample)) == {0.0, 2.0}  # dropped, or kept and scaled by 1/(1-p)
    n = x.size  # each value is 0 or 2 with probability 1/2: mean 1, variance 1
    for sample in (ours, theirs):
        assert abs(sample.mean() - 1.0) <= 4 * np.sqrt(1.0 / n)
        assert abs(sample.var() - 1.0) <= 4 * np.sqrt(2.0 / n)  # var of (s-1)^2 = 0 here: loose
    assert np.array_equal(layer.backward(np.ones_like(x)), ours)  # the gradient uses the mask


def test_refusals_are_one_line(tmp_path):
    with pytest.raises(ValueError, match="'cifar_small' has no numpy builder"):
        catalogue.get("cifar_small").build("numpy")
    with pytest.raises(ValueError, match="no NumPy layer for ActivationSpec 'gelu'"):
        build_numpy(catalogue.get("cifar_small").spec)
    net = catalogue.get("post_tensorflow").build("numpy")
    state = net.state_dict()
    with pytest.raises(ValueError, match=r"missing \['fc1.bias'\]"):
        net.load_state_dict({k: v for k, v in state.items() if k != "fc1.bias"})
    with pytest.raises(ValueError, match=r"fc1.bias: shape \(3,\)"):
        net.load_state_dict({**state, "fc1.bias": np.zeros(3)})
    with pytest.raises(ValueError, match="need epochs >= 1"):
        fit_numpy(net, np.zeros((2, 1, 28, 28)), np.zeros(3, int), epochs=1)
    with pytest.raises(ValueError, match="need lr > 0"):
        SGD(net, lr=0)


def test_the_post_s_keras_model_learns_real_digits_and_the_same_seed_repeats(shared_data):
    from cnnbook.datasets import load_mnist

    (x, y), (xt, yt) = load_mnist(limit=1000, test_limit=500, seed=0)
    x, xt = (x[:, None] / 255).astype(np.float32), (xt[:, None] / 255).astype(np.float32)
    runs = []
    for _ in range(2):
        net = catalogue.get("post_keras").build("numpy", seed=0)
        history = fit_numpy(net, x, y, epochs=2, batch_size=50, lr=0.05, seed=0,
                            validation=(xt, yt), verbose=False)
        runs.append((history, net.state_dict()))
    history = runs[0][0]
    assert len(history["step_loss"]) == 2 * 20 and len(history["loss"]) == 2
    assert history["step_loss"][0] > 2.0 > 0.6 > history["loss"][-1]  # from chance (ln 10)
    assert history["val_accuracy"][-1] == evaluate_numpy(net, xt, yt) > 0.8  # measured 0.9
    assert predict_numpy(net, xt[:7]).shape == (7, 10)
    assert runs[0][0] == runs[1][0]
    assert all(np.array_equal(runs[0][1][k], runs[1][1][k]) for k in runs[0][1])
