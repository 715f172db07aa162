"""cnnbook.explain's sanity-check helpers on small constructed cases whose answers are known
(the chapter measures the thresholds on trained models; these tests check the arithmetic)."""

from __future__ import annotations

import numpy as np
import pytest

from cnnbook import explain

scipy_stats = pytest.importorskip("scipy.stats")
scipy_ndimage = pytest.importorskip("scipy.ndimage")


# --- rank correlation --------------------------------------------------------------------------


def test_rank_correlation_equals_scipy_spearman_with_ties():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 5, (4, 6, 6)).astype(np.float32)  # many ties
    b = a + rng.integers(0, 3, (4, 6, 6))
    ours = explain.rank_correlation(a, b)
    ref = [scipy_stats.spearmanr(x.ravel(), y.ravel()).statistic for x, y in zip(a, b,
                                                                                 strict=True)]
    np.testing.assert_allclose(ours, ref, rtol=1e-12)


def test_rank_correlation_extremes():
    a = np.arange(20.0).reshape(1, 4, 5)
    assert explain.rank_correlation(a, a**3)[0] == pytest.approx(1.0)  # monotone: rho = 1
    assert explain.rank_correlation(a, -a)[0] == pytest.approx(-1.0)
    assert np.isnan(explain.rank_correlation(a, np.zeros_like(a))[0])  # a constant map
    with pytest.raises(ValueError, match="one shape"):
        explain.rank_correlation(a, a[:, :2])


# --- deletion test -----------------------------------------------------------------------------


def test_masks_pick_the_top_pixels_and_a_seeded_random_set():
    saliency = np.arange(2 * 5 * 4, dtype=np.float32).reshape(2, 5, 4)
    top = explain.top_mask(saliency, 0.25)  # 5 of 20 pixels: the 5 largest
    assert top.sum(axis=(1, 2)).tolist() == [5, 5]
    np.testing.assert_array_equal(top[0].ravel(), np.arange(20) >= 15)
    rand = explain.random_mask((2, 5, 4), 0.25, seed=3)
    assert rand.sum(axis=(1, 2)).tolist() == [5, 5]
    np.testing.assert_array_equal(rand, explain.random_mask((2, 5, 4), 0.25, seed=3))
    assert not np.array_equal(rand, explain.random_mask((2, 5, 4), 0.25, seed=4))


def evidence_model(region: np.ndarray):
    """Two classes; class 0's logit is the sum of the image (all channels) over ``region``."""
    def forward(x: np.ndarray) -> np.ndarray:  # (N, C, H, W) -> (N, 2) probabilities
        z = (x * region).sum(axis=(1, 2, 3))
        p0 = 1.0 / (1.0 + np.exp(-z))
        return np.stack([p0, 1.0 - p0], axis=1)
    return forward


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_deletion_test_on_a_model_whose_evidence_is_known(layout):
    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 0.3, (3, 2, 10, 10)).astype(np.float32)  # (N, C, H, W)
    region = np.zeros((10, 10), dtype=np.float32)
    region[2:6, 3:8] = 1.0  # 20 pixels, 20 % of the image
    forward = evidence_model(region)
    saliency = np.broadcast_to(region + rng.uniform(0, 0.01, (3, 10, 10)), (3, 10, 10))
    arrays = x if layout == "NCHW" else x.transpose(0, 2, 3, 1)
    model = forward if layout == "NCHW" else (lambda z: forward(z.transpose(0, 3, 1, 2)))
    result = explain.deletion_test(model, arrays, 0, saliency, fraction=0.2, baseline=0.0,
                                   seed=1, layout=layout)
    sigmoid = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    np.testing.assert_allclose(result.original, sigmoid((x * region).sum(axis=(1, 2, 3))),
                               rtol=1e-6)
    np.testing.assert_allclose(result.salient, 0.5, rtol=1e-6)  # all the evidence is gone
    mask = explain.random_mask((3, 10, 10), 0.2, seed=1)
    kept = (x * region * ~mask[:, None]).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(result.random, sigmoid(kept), rtol=1e-6)
    assert result.salient_drop > result.random_drop > 0
    assert result.gap == pytest.approx(result.salient_drop - result.random_drop) and result.gap > 0


def test_deletion_uses_one_baseline_value_per_channel():
    seen = []
    x = np.ones((1, 3, 4, 4), dtype=np.float32)
    saliency = np.zeros((1, 4, 4))
    saliency[0, 0, 0] = 1.0

    def forward(batch: np.ndarray) -> np.ndarray:
        seen.append(batch.copy())
        return np.full((len(batch), 2), 0.5)

    explain.deletion_test(forward, x, 0, saliency, fraction=1 / 16,
                          baseline=np.array([-1.0, -2.0, -3.0]))
    salient = seen[1]
    np.testing.assert_array_equal(salient[0, :, 0, 0], [-1, -2, -3])
    assert (salient[0, :, 1:, :] == 1).all() and (salient[0, :, 0, 1:] == 1).all()


# --- ink mass ----------------------------------------------------------------------------------


def test_dilate_matches_scipy_with_a_square():
    mask = np.zeros((2, 9, 9), dtype=bool)
    mask[0, 4, 4] = mask[1, 0, 8] = mask[1, 8, 0] = True
    ours = explain.dilate(mask, 2)
    for m, o in zip(mask, ours, strict=True):
        np.testing.assert_array_equal(o, scipy_ndimage.binary_dilation(m, np.ones((5, 5))))
    assert ours.sum(axis=(1, 2)).tolist() == [25, 9 + 9]  # a 5x5 square; two clipped corners
    np.testing.assert_array_equal(explain.dilate(mask, 0), mask)


def test_ink_mass_of_constructed_maps():
    images = np.zeros((3, 12, 12), dtype=np.float32)
    images[:, 5:7, 2:10] = 1.0  # a bar: 2 x 8 ink, 6 x 12 after dilation by 2
    on_ink = images.copy()
    uniform = np.ones_like(images)
    off_ink = np.zeros_like(images)
    off_ink[:, 0, 0] = 1.0  # far from the ink
    result = explain.ink_mass(np.stack([on_ink[0], uniform[0], off_ink[0]]), images)
    area = 6 * 12 / 144
    np.testing.assert_allclose(result.area, area)
    np.testing.assert_allclose(result.mass, [1.0, area, 0.0])
    assert result.margin == pytest.approx(np.mean([1 - area, 0.0, -area]))
    assert np.isnan(explain.ink_mass(np.zeros_like(images), images).mass).all()
    with pytest.raises(ValueError, match="non-negative"):
        explain.ink_mass(-uniform, images)


@pytest.mark.usefixtures("shared_data")
def test_a_uniform_map_scores_the_ink_area_on_real_digits():
    from cnnbook.datasets import load_mnist

    (x, _), _ = load_mnist(limit=20, test_limit=10)
    images = x / np.float32(255)  # (20, 28, 28)
    result = explain.ink_mass(np.ones_like(images), images)
    np.testing.assert_allclose(result.mass, result.area)
    assert 0.1 < result.area.mean() < 0.6  # dilated strokes cover a fair share of the image
    digit = explain.ink_mass(images, images)  # a map that is the digit itself
    assert np.all(digit.mass > 0.99)


# --- model randomisation -----------------------------------------------------------------------


@pytest.fixture
def torch_one_thread():
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)


def tiny_net(torch):
    """Registered output-first, so the top-down order must come from running it."""
    from torch import nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 3)
            self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
            self.bn = nn.BatchNorm2d(4)
            self.conv1 = nn.Conv2d(1, 4, 3, padding=1)

        def forward(self, x):
            x = torch.relu(self.bn(self.conv1(x)))
            x = torch.relu(self.conv2(x))
            return self.fc(x.mean(dim=(2, 3)))

    torch.manual_seed(0)
    return Net().eval()


def test_cascading_randomization_order_copy_and_known_answers(torch_one_thread):
    torch = torch_one_thread
    net = tiny_net(torch)
    x = np.random.default_rng(0).random((4, 1, 8, 8), dtype=np.float32)
    assert explain.layers_top_down(net, x) == ["fc", "conv2", "bn", "conv1"]
    before = {k: v.clone() for k, v in net.state_dict().items()}

    blind = explain.cascading_randomization(net, lambda m, xs, t: xs[:, 0], x, 0)
    assert list(blind) == ["fc", "conv2", "bn", "conv1"]
    for rho in blind.values():  # a map that ignores the model (an edge detector) never changes
        np.testing.assert_allclose(rho, 1.0)

    def gradient(m, xs, t):
        return np.abs(explain.saliency(m, xs, t))[:, 0]

    first = explain.cascading_randomization(net, gradient, x, [0, 1, 2, 0])
    again = explain.cascading_randomization(net, gradient, x, [0, 1, 2, 0])
    for name in first:
        np.testing.assert_array_equal(first[name], again[name])  # seeded
    assert first["conv1"].mean() < 0.9  # every layer re-initialised: the gradient has changed
    for key, value in net.state_dict().items():
        assert torch.equal(value, before[key]), f"{key}: the trained model was modified"
    with pytest.raises(ValueError, match=r"no layer 'conv3'"):
        explain.cascading_randomization(net, gradient, x, 0, layers=["conv3"])
