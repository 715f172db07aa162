"""cnnbook.detection: targets round trip, decoding, the loss, the baseline, the model."""

from __future__ import annotations

import numpy as np
import pytest

from cnnbook.detection import (
    Detections,
    TargetLayout,
    centre_box_detections,
    decode_detections,
    encode_targets,
    mean_box_size,
    peaks,
)
from cnnbook.metrics.detection import evaluate_detections


def scenes_boxes(seed: int = 0, n: int = 40):
    rng = np.random.default_rng(seed)
    boxes, labels = [], []
    for _ in range(n):  # non-overlapping boxes on a 64x64 canvas, integer corners
        k = int(rng.integers(1, 5))
        taken: list[np.ndarray] = []
        while len(taken) < k:
            x1, y1 = rng.integers(0, 48, 2)
            w, h = rng.integers(3, 17), rng.integers(6, 17)
            box = np.array([x1, y1, x1 + w, y1 + h], np.float32)
            if all(box[0] >= t[2] or t[0] >= box[2] or box[1] >= t[3] or t[1] >= box[3]
                   for t in taken):
                taken.append(box)
        boxes.append(np.stack(taken))
        labels.append(rng.integers(0, 10, k))
    return boxes, labels


def test_encode_then_decode_gives_the_boxes_back_exactly():
    boxes, labels = scenes_boxes()
    targets, collisions = encode_targets(boxes, labels, (64, 64))
    assert targets.shape == (40, 15, 16, 16) and targets.dtype == np.float32
    assert collisions == 0
    decoded = decode_detections(targets, score_threshold=0.5, nms_iou=None)
    for b, lab, db, ds, dl in zip(boxes, labels, decoded.boxes, decoded.scores, decoded.labels,
                                  strict=True):
        ours = sorted(zip(dl.tolist(), db.tolist(), strict=True))
        assert ours == sorted(zip(lab.tolist(), b.tolist(), strict=True))  # exact, no tolerance
        assert (ds == 1).all()
    scores = evaluate_detections(boxes, labels, decoded.boxes, decoded.scores, decoded.labels,
                                 num_classes=10)
    assert scores.map == 1.0


def test_the_real_scenes_encode_and_decode_exactly(shared_data):
    from cnnbook.datasets.scenes import make_scenes

    scenes = make_scenes(60, split="test", seed=3)
    targets, collisions = encode_targets(scenes.boxes, scenes.labels, (64, 64))
    assert collisions == 0
    decoded = decode_detections(targets, score_threshold=0.5)
    for b, lab, db, dl in zip(scenes.boxes, scenes.labels, decoded.boxes, decoded.labels,
                              strict=True):
        assert (sorted(zip(dl.tolist(), db.tolist(), strict=True))
                == sorted(zip(lab.tolist(), b.tolist(), strict=True)))


def test_target_maps_hold_what_the_docstring_says():
    layout = TargetLayout()
    t, _ = encode_targets([np.array([[10, 20, 18, 40.0]])], [np.array([7])], (64, 64), layout)
    row, col = 30 // 4, 14 // 4  # centre (14, 30) in pixels
    assert t[0, 7, row, col] == 1 and t[0, 7].max() == 1 and t[0, :7].max() == 0
    assert np.array_equal(t[0, layout.size, row, col], [2.0, 5.0])  # 8 x 20 pixels, in cells
    assert np.array_equal(t[0, layout.offset, row, col], [0.5, 0.5])
    assert t[0, layout.mask].sum() == 1
    assert (peaks(t[:, :10]) & (t[:, :10] > 0))[0, 7].sum() == 1  # the centre: the one peak


def test_decoding_keeps_top_k_and_applies_nms():
    layout = TargetLayout(num_classes=2)
    maps = np.zeros((1, 6, 8, 8), np.float32)
    maps[0, 0, 2, 2], maps[0, 1, 2, 3], maps[0, 0, 6, 6] = 0.9, 0.8, 0.3
    maps[0, layout.size] = 2.0
    kept = decode_detections(maps, layout, nms_iou=None)
    assert kept.labels[0].tolist() == [0, 1, 0] and np.allclose(kept.scores[0], [0.9, 0.8, 0.3])
    assert len(decode_detections(maps, layout, top_k=2).boxes[0]) == 2
    # class-aware NMS keeps overlapping boxes of different classes
    assert len(decode_detections(maps, layout, nms_iou=0.1).boxes[0]) == 3
    with pytest.raises(ValueError, match="maps must be"):
        decode_detections(np.zeros((1, 3, 8, 8)), layout)


def test_bad_targets_are_one_line_errors():
    with pytest.raises(ValueError, match="multiple of the stride"):
        encode_targets([np.zeros((0, 4))], [np.zeros(0)], (62, 64))
    with pytest.raises(ValueError, match="class 12"):
        encode_targets([np.array([[0, 0, 4, 4.0]])], [np.array([12])], (64, 64))
    with pytest.raises(ValueError, match="empty box"):
        encode_targets([np.array([[5, 0, 5, 4.0]])], [np.array([1])], (64, 64))


def test_centre_baseline():
    boxes, labels = scenes_boxes(1)
    w, h = mean_box_size(boxes)
    base = centre_box_detections(len(boxes), (64, 64), (w, h))
    assert isinstance(base, Detections) and len(base) == len(boxes)
    assert np.allclose(base.boxes[0][0], [32 - w / 2, 32 - h / 2, 32 + w / 2, 32 + h / 2])
    assert base.labels[0].tolist() == list(range(10))
    scores = evaluate_detections(boxes, labels, base.boxes, base.scores, base.labels,
                                 num_classes=10)
    assert 0 <= scores.map50 < 0.3


def test_loss_is_zero_only_where_it_should_be_and_trains_the_model():
    torch = pytest.importorskip("torch")
    from cnnbook.detection import CenterNetLoss
    from cnnbook.models import catalogue

    layout = TargetLayout()
    boxes, labels = scenes_boxes(2, n=8)
    targets = torch.from_numpy(encode_targets(boxes, labels, (64, 64))[0])
    loss = CenterNetLoss(layout)
    perfect = targets[:, : layout.outputs].clone()
    perfect[:, :10] = torch.where(targets[:, :10] == 1, 30.0, -30.0)  # confident logits
    parts = loss.parts(perfect, targets)
    assert float(parts["size"]) == 0 and float(parts["offset"]) == 0
    assert float(parts["heatmap"]) < 1e-6
    worse = perfect.clone()
    worse[:, layout.size] += 1.0
    assert float(loss.parts(worse, targets)["size"]) == pytest.approx(2.0)  # L1 of w and h
    assert float(loss(worse, targets)) == pytest.approx(0.1 * 2.0, abs=1e-5)
    model = catalogue.get("scene_centernet").build("torch")
    out = model(torch.zeros(2, 1, 64, 64))
    assert out.shape == (2, layout.outputs, 16, 16)
    assert torch.allclose(torch.sigmoid(out[:, :10]).mean(), torch.tensor(0.1), atol=0.05)
    with pytest.raises(ValueError, match="outputs must be"):
        loss(out[:, :5], targets[:2])


def test_decoding_clamps_negative_sizes_so_every_box_is_well_formed():
    layout = TargetLayout(num_classes=1)
    maps = np.zeros((1, 5, 4, 4), np.float32)
    maps[0, 0, 1, 1], maps[0, 0, 3, 3] = 0.9, 0.8
    maps[0, layout.size, 1, 1] = (-2.0, 3.0)  # a negative width: an empty box, not a reversed one
    maps[0, layout.size, 3, 3] = (1.0, -0.5)
    found = decode_detections(maps, layout, nms_iou=0.5)
    assert found.boxes[0].tolist() == [[4, -2, 4, 10], [10, 12, 14, 12]]


def test_an_untrained_detectors_boxes_are_all_well_formed():
    """An untrained scene_centernet predicts negative sizes; decoding clamps them at 0, so NMS
    (which refuses reversed boxes) runs and every box has x2 >= x1 and y2 >= y1."""
    torch = pytest.importorskip("torch")
    from cnnbook.detection import detect, predict_maps
    from cnnbook.models import catalogue

    images = np.random.default_rng(0).random((4, 1, 64, 64), dtype=np.float32)
    layout = TargetLayout()
    for seed in range(20):  # the first initialisation that predicts a negative size
        torch.manual_seed(seed)
        model = catalogue.get("scene_centernet").build("torch").eval()
        if (predict_maps(model, images, layout, device="cpu")[:, layout.size] < 0).any():
            break
    else:
        pytest.fail("no initialisation predicted a negative size")
    found = detect(model, images, layout, score_threshold=0.0, device="cpu")
    boxes = np.concatenate(found.boxes)
    assert len(boxes) > 50 and np.isfinite(boxes).all()
    assert (boxes[:, 2] >= boxes[:, 0]).all() and (boxes[:, 3] >= boxes[:, 1]).all()
    scores = evaluate_detections([np.zeros((0, 4))] * 4, [np.zeros(0, int)] * 4, found.boxes,
                                 found.scores, found.labels, num_classes=10)
    assert scores.num_ground_truth.sum() == 0
