"""cnnbook.plots.detection: boxes over scenes, precision-recall curves."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.patches import Rectangle

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
