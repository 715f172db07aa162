"""cnnbook.plots.detection: boxes over scenes, precision-recall curves."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors
import numpy as np
import pytest
from matplotlib.patches import Rectangle

from cnnbook.plots import style
from cnnbook.plots.detection import plot_pr_curves, show_detections

pytestmark = pytest.mark.usefixtures("close_figures")


def test_show_detections_draws_kept_boxes_and_ground_truth():
    images = np.zeros((2, 1, 16, 16))
    boxes = [np.array([[1, 2, 5, 9.0], [3, 3, 4, 4]]), np.zeros((0, 4))]
    labels = [np.array([7, 1]), np.zeros(0, np.int64)]
    scores = [np.array([0.9, 0.1]), np.zeros(0)]
    fig = show_detections(images, boxes, labels, scores, gt_boxes=[boxes[0][:1], boxes[1]],
                          gt_labels=[np.array([7]), np.zeros(0)], titles=["a", "b"])
    ax = fig.axes[0]
    rects = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(rects) == 2  # the ground truth and the one detection above the threshold
    solid = next(r for r in rects if r.get_linestyle() == "-")
    assert solid.get_xy() == (0.5, 1.5) and solid.get_width() == 4 and solid.get_height() == 7
    assert [t.get_text() for t in ax.texts] == ["7", "7 0.90"]
    assert not fig.axes[1].patches and fig.axes[1].get_title() == "b"
    with pytest.raises(ValueError, match="2 images but 1"):
        show_detections(images, boxes[:1], labels, scores)


def test_pr_curves_show_their_ap():
    recall = np.linspace(0, 1, 101)
    fig = plot_pr_curves({"all": (recall, np.ones(101)), "x": (recall, 1 - recall)})
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["all (AP 1.000)",
                                                                     "x (AP 0.500)"]
    assert np.allclose(ax.lines[1].get_ydata(), 1 - recall)
    with pytest.raises(ValueError, match="no curve"):
        plot_pr_curves({})


def crowded_scenes():
    """Two 64 x 64 scenes of boxes close together, each found two or three times (as a detector
    does before its duplicates are removed), with their ground truth."""
    rng = np.random.default_rng(0)
    truth = [np.array([[10, 10, 30, 34], [31, 12, 50, 36], [12, 36, 30, 60]], dtype=float),
             np.array([[20, 20, 40, 44], [22, 22, 42, 46]], dtype=float)]
    boxes = [np.concatenate([t + rng.normal(0, 1, t.shape) for _ in range(3)]).clip(0, 63)
             for t in truth]
    for b in boxes:
        b[:, 2:] = np.maximum(b[:, 2:], b[:, :2] + 1)
    labels = [rng.integers(0, 10, len(b)) for b in boxes]
    scores = [rng.uniform(0.3, 1.0, len(b)) for b in boxes]
    gt_labels = [rng.integers(0, 10, len(t)) for t in truth]
    return np.zeros((2, 1, 64, 64)), boxes, labels, scores, truth, gt_labels


def test_labels_of_boxes_close_together_do_not_overlap():
    images, boxes, labels, scores, truth, gt_labels = crowded_scenes()
    fig = show_detections(images, boxes, labels, scores, gt_boxes=truth, gt_labels=gt_labels,
                          titles=["a", "b"], title="crowded")
    fig.canvas.draw()  # Agg, as the book's figures are drawn
    renderer = fig.canvas.get_renderer()
    texts = [t for ax in fig.axes for t in ax.texts]
    assert len(texts) == sum(map(len, boxes)) + sum(map(len, truth))  # every label is drawn
    assert all(t.get_visible() for t in texts)
    extents = [t.get_window_extent(renderer) for t in texts]
    for i, first in enumerate(extents):
        for j in range(i + 1, len(extents)):
            assert not first.overlaps(extents[j]), (texts[i].get_text(), texts[j].get_text())
    for ax in fig.axes:  # inside its panel: clear of the titles and the other panels
        area = ax.get_window_extent(renderer)
        for t in ax.texts:
            e = t.get_window_extent(renderer)
            assert area.x0 - 1 <= e.x0 and e.x1 <= area.x1 + 1
            assert area.y0 - 1 <= e.y0 and e.y1 <= area.y1 + 1


def test_a_panel_too_full_for_its_labels_hides_some_rather_than_overlapping_them():
    rng = np.random.default_rng(1)
    corners = rng.uniform(0, 6, (120, 2))
    boxes = np.hstack([corners, corners + 2])  # 120 boxes in an 8 x 8 scene
    fig = show_detections(np.zeros((1, 8, 8)), [boxes], [rng.integers(0, 10, 120)],
                          [rng.uniform(0.5, 1, 120)])
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    shown = [t.get_window_extent(renderer) for t in fig.axes[0].texts if t.get_visible()]
    assert 0 < len(shown) < 120
    assert not any(a.overlaps(b) for i, a in enumerate(shown) for b in shown[i + 1:])


def test_boxes_and_labels_have_their_class_colour():
    images, boxes, labels, scores, truth, gt_labels = crowded_scenes()
    fig = show_detections(images, boxes, labels, scores, gt_boxes=truth, gt_labels=gt_labels)
    for ax, classes in zip(fig.axes, labels, strict=True):
        solid = [p for p in ax.patches if p.get_linestyle() == "-"]
        found = [t for t in ax.texts if " " in t.get_text()]  # "class score"
        assert len(solid) == len(found) == len(classes)
        for text in found:
            c = int(text.get_text().split()[0])
            assert mcolors.to_hex(text.get_color()) == style.class_colour(c).lower()
        edges = sorted(mcolors.to_hex(p.get_edgecolor()) for p in solid)
        assert edges == sorted(style.class_colour(int(c)).lower() for c in classes)
