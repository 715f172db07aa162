"""cnnbook.metrics.detection against pycocotools (COCOeval, bbox) and a brute-force NMS."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from cnnbook.metrics.coco import coco_reference
from cnnbook.metrics.detection import (
    COCO_IOU_THRESHOLDS,
    batched_nms,
    box_iou,
    evaluate_detections,
    nms,
)

pytest.importorskip("pycocotools.cocoeval")
mask_utils = pytest.importorskip("pycocotools.mask")

NUM_CLASSES = 5


def xywh(boxes: np.ndarray) -> list[list[float]]:
    """pycocotools' box format: (x, y, width, height)."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return np.stack([b[:, 0], b[:, 1], b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], 1).tolist()


def coco_eval(gt_boxes, gt_labels, det_boxes, det_scores, det_labels, num_classes):
    """COCOeval (iouType bbox, area "all", maxDets 100): (precision (T, R, K), recall, stats)."""
    ref = coco_reference(gt_boxes, gt_labels, det_boxes, det_scores, det_labels,
                         num_classes=num_classes)
    return ref.precision, ref.recall, ref.stats


def random_case(seed: int, *, no_dets: bool = False, empty_class: bool = True):
    """Boxes on a 0.5-pixel grid (exact in float64, so xywh round trips), near-duplicates,
    exact duplicates, random false positives, scores rounded to one decimal (ties)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 7))
    gt_boxes, gt_labels, det_boxes, det_scores, det_labels = [], [], [], [], []
    classes = NUM_CLASSES - 1 if empty_class else NUM_CLASSES  # class 4 may have no ground truth
    for _ in range(n):
        g = int(rng.integers(0, 5))
        xy = rng.integers(0, 100, (g, 2)) / 2
        wh = rng.integers(2, 60, (g, 2)) / 2
        boxes = np.concatenate([xy, xy + wh], 1)
        labels = rng.integers(0, classes, g)
        gt_boxes.append(boxes)
        gt_labels.append(labels)
        if no_dets or rng.random() < 0.15:
            det_boxes.append(np.zeros((0, 4)))
            det_scores.append(np.zeros(0))
            det_labels.append(np.zeros(0, dtype=np.int64))
            continue
        jitter = boxes + rng.integers(-6, 7, boxes.shape) / 2
        jitter[:, 2:] = np.maximum(jitter[:, 2:], jitter[:, :2] + 0.5)
        dup = rng.random(g) < 0.4  # exact duplicates of some ground truth, same class
        f = int(rng.integers(0, 6))  # false positives anywhere, any class
        fxy = rng.integers(0, 100, (f, 2)) / 2
        false = np.concatenate([fxy, fxy + rng.integers(2, 60, (f, 2)) / 2], 1)
        boxes_d = np.concatenate([jitter, boxes[dup], jitter[: g // 2], false])
        labels_d = np.concatenate([
            np.where(rng.random(g) < 0.85, labels, rng.integers(0, NUM_CLASSES, g)),
            labels[dup], labels[: g // 2], rng.integers(0, NUM_CLASSES, f)]).astype(np.int64)
        det_boxes.append(boxes_d)
        det_scores.append(np.round(rng.random(len(boxes_d)), 1))
        det_labels.append(labels_d)
    return gt_boxes, gt_labels, det_boxes, det_scores, det_labels


def assert_matches_coco(case, num_classes=NUM_CLASSES):
    ours = evaluate_detections(*case, num_classes=num_classes)
    precision, recall, stats = coco_eval(*case, num_classes)
    np.testing.assert_allclose(ours.precision, precision, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.recall, recall, rtol=0, atol=1e-6)
    if stats[0] == -1:  # no class with ground truth
        assert np.isnan(ours.map)
        return ours
    assert abs(ours.map - stats[0]) <= 1e-6
    assert abs(ours.map50 - stats[1]) <= 1e-6
    assert abs(ours.map75 - stats[2]) <= 1e-6
    for c in range(num_classes):  # per class, as pycocotools' precision gives it
        p = precision[:, :, c]
        if (p > -1).any():
            assert abs(ours.ap_per_class[c] - p[p > -1].mean()) <= 1e-6
            assert abs(ours.ap50_per_class[c] - p[0].mean()) <= 1e-6
        else:
            assert np.isnan(ours.ap_per_class[c]) and np.isnan(ours.ap50_per_class[c])
    return ours


@pytest.mark.parametrize("seed", range(40))
def test_ap_equals_pycocotools_on_random_cases(seed):
    assert_matches_coco(random_case(seed))


def test_no_detections_at_all():
    ours = assert_matches_coco(random_case(3, no_dets=True))
    assert ours.map == 0.0


def test_a_class_without_ground_truth_is_left_out():
    case = random_case(5)
    ours = assert_matches_coco(case)
    assert not any((labels == 4).any() for labels in case[1])
    assert any((labels == 4).any() for labels in case[4])  # detected, but never present
    assert np.isnan(ours.ap_per_class[4]) and (ours.precision[:, :, 4] == -1).all()


def test_duplicates_and_tied_scores():
    gt = [np.array([[0, 0, 10, 10], [20, 20, 30, 30.0]])]
    dets = [np.array([[0, 0, 10, 10], [0, 0, 10, 10], [20, 20, 30, 30],
                      [21, 21, 30, 30.0]])]
    case = (gt, [np.array([1, 1])], dets, [np.array([0.9, 0.9, 0.9, 0.9])],
            [np.array([1, 1, 1, 1])])
    ours = assert_matches_coco(case, num_classes=3)
    assert ours.map50 < 1.0  # the duplicate, tied with the hits, costs precision


def test_more_than_100_detections_per_image_and_class():
    rng = np.random.default_rng(0)
    gt = [np.array([[10, 10, 20, 20.0]])]
    boxes = np.concatenate([rng.integers(30, 60, (150, 2)), rng.integers(61, 90, (150, 2))], 1)
    boxes = np.concatenate([boxes, gt[0]]).astype(np.float64)
    scores = np.r_[rng.random(150) * 0.5 + 0.5, 0.1]  # the hit comes 151st: cut by the cap
    case = (gt, [np.array([0])], [boxes], [scores], [np.zeros(151, dtype=np.int64)])
    ours = assert_matches_coco(case, num_classes=1)
    assert ours.map == 0.0
    assert evaluate_detections(*case, num_classes=1, max_detections=200).map > 0.0


def test_perfect_detections_score_one():
    case = random_case(7)
    ours = evaluate_detections(case[0], case[1], case[0],
                               [np.ones(len(b)) for b in case[0]], case[1],
                               num_classes=NUM_CLASSES)
    assert ours.map == pytest.approx(1.0) and ours.map50 == pytest.approx(1.0)


def test_pr_curve_and_thresholds():
    ours = evaluate_detections(*random_case(1), num_classes=NUM_CLASSES)
    recall, precision = ours.pr_curve(iou_threshold=0.5)
    assert recall.shape == precision.shape == (101,)
    assert np.all(np.diff(precision) <= 1e-12)  # the interpolated curve never rises
    assert precision.mean() == pytest.approx(ours.map50)
    np.testing.assert_array_equal(ours.iou_thresholds, COCO_IOU_THRESHOLDS)
    with pytest.raises(ValueError, match="not evaluated"):
        ours.pr_curve(iou_threshold=0.52)


def test_box_iou_equals_pycocotools():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 40, (30, 2)) / 2
    a = np.concatenate([a, a + rng.integers(1, 40, (30, 2)) / 2], 1)
    b = rng.integers(0, 40, (20, 2)) / 2
    b = np.concatenate([b, b + rng.integers(1, 40, (20, 2)) / 2], 1)
    reference = mask_utils.iou(xywh(a), xywh(b), [0] * len(b))
    np.testing.assert_allclose(box_iou(a, b), reference, rtol=0, atol=1e-12)


def test_bad_input_is_one_line_error():
    with pytest.raises(ValueError, match=r"\(K, 4\)"):
        box_iou(np.zeros((3, 3)), np.zeros((1, 4)))
    with pytest.raises(ValueError, match=r"^gt_labels\[0\] has class 3 at 0, outside \[0, 2\)$"):
        evaluate_detections([np.zeros((1, 4))], [np.array([3])], [np.zeros((0, 4))],
                            [np.zeros(0)], [np.zeros(0)], num_classes=2)
    with pytest.raises(ValueError, match="iou_threshold"):
        nms(np.zeros((1, 4)), np.ones(1), 1.5)


# --- NMS against a brute-force reference ----------------------------------------------------

def iou_pair(a, b) -> float:
    """One IoU with plain Python floats, in pycocotools' order of operations."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def brute_force_nms(boxes, scores, threshold, labels=None):
    """Pick the best remaining box (highest score, then lowest index), drop every remaining box
    of its class that overlaps it by more than ``threshold``, repeat."""
    remaining = list(range(len(boxes)))
    keep = []
    while remaining:
        best = max(remaining, key=lambda i: (scores[i], -i))
        keep.append(best)
        remaining = [j for j in remaining if j != best and (
            (labels is not None and labels[j] != labels[best])
            or iou_pair(boxes[best], boxes[j]) <= threshold)]
    return sorted(keep, key=lambda i: (-scores[i], i))


box = st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(0, 12),
                st.integers(0, 12)).map(lambda t: [t[0], t[1], t[0] + t[2], t[1] + t[3]])
detections = st.lists(st.tuples(box, st.sampled_from([0.1, 0.5, 0.5, 0.7, 0.9]),
                                st.integers(0, 2)), max_size=25)


@given(detections, st.sampled_from([0.0, 0.3, 0.5, 0.7, 1.0]))
def test_nms_equals_brute_force(dets, threshold):
    boxes = [[float(v) for v in d[0]] for d in dets]
    scores = [d[1] for d in dets]
    kept = nms(np.array(boxes).reshape(-1, 4), np.array(scores), threshold)
    assert kept.tolist() == brute_force_nms(boxes, scores, threshold)


@given(detections, st.sampled_from([0.0, 0.3, 0.5, 0.7]))
def test_batched_nms_equals_brute_force_per_class(dets, threshold):
    boxes = [[float(v) for v in d[0]] for d in dets]
    scores = [d[1] for d in dets]
    labels = [d[2] for d in dets]
    kept = batched_nms(np.array(boxes).reshape(-1, 4), np.array(scores), np.array(labels),
                       threshold)
    assert kept.tolist() == brute_force_nms(boxes, scores, threshold, labels)
