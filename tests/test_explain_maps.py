"""cnnbook.explain's framework-free pieces (resizing, SmoothGrad's noise, occlusion's windows) and
the package's lazy loading; resizing is checked against torch's bilinear interpolation."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from cnnbook import explain
from cnnbook.explain.perturbation import window_starts
from tests.helpers import rel_err

# --- resize, normalize -------------------------------------------------------------------------


@pytest.mark.parametrize(("size_in", "size_out"), [((5, 5), (28, 28)), ((13, 11), (5, 7)),
                                                   ((8, 8), (32, 32)), ((4, 6), (4, 6))])
def test_resize_equals_torch_bilinear_without_corner_alignment(size_in, size_out):
    torch = pytest.importorskip("torch")
    maps = np.random.default_rng(0).standard_normal((2, 3, *size_in)).astype(np.float32)
    ref = torch.nn.functional.interpolate(torch.from_numpy(maps), size=size_out,
                                          mode="bilinear", align_corners=False)
    assert rel_err(explain.resize(maps, size_out), ref.numpy()) <= 1e-5  # float32 rounding


def test_normalize_scales_each_map_to_the_unit_interval():
    maps = np.stack([np.arange(6.0).reshape(2, 3) - 2, np.full((2, 3), 7.0)])
    out = explain.normalize(maps)
    np.testing.assert_allclose(out[0], (maps[0] + 2) / 5)
    np.testing.assert_array_equal(out[1], 0)  # a constant map


# --- SmoothGrad --------------------------------------------------------------------------------


def test_smooth_grad_noise_is_seeded_and_scaled_by_each_images_range():
    x = np.zeros((2, 1, 30, 30), dtype=np.float32)
    x[0, 0, 0, 0], x[1, 0, 0, 0] = 1.0, 4.0  # value ranges 1 and 4
    variance = explain.smooth_grad(lambda z: (z - x) ** 2, x, samples=200, sigma=0.1, seed=5)
    np.testing.assert_allclose(variance.mean(axis=(1, 2, 3)), [0.1**2, 0.4**2], rtol=0.05)
    same = explain.smooth_grad(lambda z: z, x, samples=3, seed=5)
    np.testing.assert_array_equal(same, explain.smooth_grad(lambda z: z, x, samples=3, seed=5))
    assert not np.array_equal(same, explain.smooth_grad(lambda z: z, x, samples=3, seed=6))
    np.testing.assert_array_equal(explain.smooth_grad(lambda z: z * 2, x, sigma=0.0), x * 2)


def test_torch_saliency_methods_are_related_as_defined():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.Tanh(), torch.nn.Flatten(),
                              torch.nn.Linear(3 * 6 * 6, 4))
    x = np.random.default_rng(0).standard_normal((3, 2, 8, 8)).astype(np.float32)
    gradient = explain.saliency(net, x, [0, 1, 3])
    np.testing.assert_array_equal(explain.saliency(net, x, [0, 1, 3], absolute=True),
                                  np.abs(gradient))
    np.testing.assert_array_equal(explain.saliency(net, x, [0, 1, 3], method="gradient_x_input"),
                                  gradient * x)
    smooth = explain.saliency(net, x, [0, 1, 3], method="smoothgrad", samples=4, sigma=0.2,
                              seed=1)
    by_hand = explain.smooth_grad(lambda z: explain.saliency(net, z, [0, 1, 3]), x, samples=4,
                                  sigma=0.2, seed=1)
    np.testing.assert_array_equal(smooth, by_hand)
    with pytest.raises(ValueError, match="method must be one of gradient"):
        explain.saliency(net, x, 0, method="lrp")


# --- occlusion ---------------------------------------------------------------------------------


def test_window_starts_follow_captum_and_cover_every_pixel():
    assert window_starts(28, 8, 6) == [0, 6, 12, 18, 24]  # the last is cut
    assert window_starts(32, 8, 8) == [0, 8, 16, 24]
    with pytest.raises(ValueError, match="stride 9 > window 8"):
        window_starts(28, 8, 9)


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_occlusion_of_a_linear_score_is_the_mean_covered_evidence(layout):
    """Score = sum of pixel weights * values: occluding to 0 drops the window's share, and with
    non-overlapping windows each pixel gets its own window's total."""
    weights = np.random.default_rng(0).random((2, 6, 6)).astype(np.float32)  # (C, H, W)
    x = np.ones((1, 2, 6, 6), dtype=np.float32)

    def forward(batch: np.ndarray) -> np.ndarray:
        nchw = batch if layout == "NCHW" else batch.transpose(0, 3, 1, 2)
        return (nchw * weights).sum(axis=(1, 2, 3))[:, None]  # (B, 1)

    arrays = x if layout == "NCHW" else x.transpose(0, 2, 3, 1)
    out = explain.occlusion(forward, arrays, 0, window=3, stride=3, layout=layout)
    blocks = weights.sum(axis=0).reshape(2, 3, 2, 3).sum(axis=(1, 3))  # (2, 2) window totals
    np.testing.assert_allclose(out[0], np.kron(blocks, np.ones((3, 3))), rtol=1e-6)


# --- the package stays light -------------------------------------------------------------------


def test_import_loads_no_framework_and_names_resolve_to_functions():
    code = ("import sys, cnnbook.explain as e\n"
            "light = [e.top_patches, e.occlusion, e.rank_correlation, e.resize, e.ink_mass]\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'torch', 'tensorflow', 'keras', 'jax'}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=120)
    assert done.stdout.strip() == "[]"
    assert callable(explain.occlusion) and callable(explain.activations)
    assert callable(explain.saliency)  # a function, not the module of the same concept
    with pytest.raises(AttributeError, match="no attribute 'gradcam2'"):
        explain.gradcam2  # noqa: B018
