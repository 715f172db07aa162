"""cnnbook.metrics._checks, and every public function that takes boxes, class masks, class labels
or scores: a box with its corners in the wrong order, a class out of range or not an integer, a
score that is not finite, is a one-line ValueError that names the argument and the first bad
index, before anything is computed or drawn; valid input, NumPy or torch, gives what it gave."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from cnnbook.detection import (
    TargetLayout,
    centre_box_detections,
    decode_detections,
    encode_targets,
    mean_box_size,
)
from cnnbook.metrics._checks import (
    check_box_list,
    check_boxes,
    check_label_list,
    check_labels,
    check_mask,
    check_score_list,
    check_scores,
)
from cnnbook.metrics.detection import batched_nms, box_iou, evaluate_detections, nms
from cnnbook.metrics.segmentation import confusion_matrix, segmentation_scores
from cnnbook.plots.detection import show_detections
from cnnbook.plots.segmentation import show_segmentations
from cnnbook.plots.training import plot_confusion_matrix, show_predictions

GOOD = np.array([[0, 0, 4, 4], [2, 2, 6, 8.0]])
X_REVERSED = np.array([[0, 0, 4, 4], [1, 1, 2, 3], [6, 2, 2, 8.0]])  # boxes[2]: x2 < x1
Y_REVERSED = np.array([[0, 5, 4, 1.0]])  # boxes[0]: y2 < y1


pytestmark = pytest.mark.usefixtures("close_figures")


def one_line_error(call, match: str) -> str:
    with pytest.raises(ValueError, match=match) as info:
        call()
    message = str(info.value)
    assert "\n" not in message, message
    return message


def test_check_boxes_names_the_first_bad_box():
    assert check_boxes(GOOD).dtype == np.float64 and check_boxes(GOOD).shape == (2, 4)
    assert check_boxes([]).shape == (0, 4)
    assert check_boxes([[3, 3, 3, 3]]).shape == (1, 4)  # empty (area 0) but well-formed
    assert one_line_error(lambda: check_boxes(X_REVERSED, "det"), "x2 < x1").startswith(
        "det[2] = (6, 2, 2, 8) has x2 < x1")
    assert one_line_error(lambda: check_boxes(Y_REVERSED), "y2 < y1").startswith("boxes[0] =")
    one_line_error(lambda: check_boxes([[0, 0, np.nan, 1], [0, 0, 1, np.inf]]),
                   r"boxes\[0\] = \(0, 0, nan, 1\) has a non-finite")
    one_line_error(lambda: check_boxes(np.zeros((2, 3))), r"\(K, 4\)")
    one_line_error(lambda: check_boxes([["a", 0, 1, 1]]), "numbers")
    one_line_error(lambda: check_box_list([GOOD, X_REVERSED], "gt_boxes"),
                   r"^gt_boxes\[1\]\[2\] = ")
    one_line_error(lambda: check_box_list([GOOD], "det_boxes", 2), "1 images, expected 2")


def test_check_mask_names_the_first_bad_pixel():
    mask = np.zeros((2, 3, 4), np.int64)
    assert check_mask(mask, 11) is not None
    mask[1, 2, 3], mask[1, 2, 1] = 12, -1
    assert one_line_error(lambda: check_mask(mask, 11, "truth"), "outside") == (
        "truth has class -1 at (1, 2, 1), outside [0, 11)")
    assert one_line_error(lambda: check_mask(np.array([0, 11]), 11), "outside") == (
        "mask has class 11 at 1, outside [0, 11)")
    one_line_error(lambda: check_mask(np.zeros(3), 11), "integer classes")
    one_line_error(lambda: check_mask(np.zeros(3, int), 0), "num_classes")


def _coco(gt, det):
    from cnnbook.metrics.coco import coco_reference

    pytest.importorskip("pycocotools.cocoeval")
    return coco_reference(gt, [np.array([0])] * len(gt), det,
                          [np.ones(len(d)) for d in det], [np.zeros(len(d), int) for d in det],
                          num_classes=1)


def _evaluate(gt, det):
    return evaluate_detections(gt, [np.zeros(len(g), int) for g in gt], det,
                               [np.ones(len(d)) for d in det],
                               [np.zeros(len(d), int) for d in det], num_classes=1)


def _show(gt, det):
    return show_detections(np.zeros((1, 16, 16)), det, [np.zeros(len(d), int) for d in det],
                           [np.ones(len(d)) for d in det], gt_boxes=gt)


# Each public function that takes boxes, called with a reversed box in the named argument.
BOX_TAKERS = {
    "box_iou a": (lambda: box_iou(X_REVERSED, GOOD), r"^a\[2\]"),
    "box_iou b": (lambda: box_iou(GOOD, Y_REVERSED), r"^b\[0\]"),
    "nms": (lambda: nms(X_REVERSED, np.ones(3), 0.5), r"^boxes\[2\]"),
    "batched_nms": (lambda: batched_nms(X_REVERSED, np.ones(3), np.zeros(3), 0.5),
                    r"^boxes\[2\]"),
    "evaluate_detections gt": (lambda: _evaluate([GOOD[:1], Y_REVERSED], [GOOD[:1]] * 2),
                               r"^gt_boxes\[1\]\[0\]"),
    "evaluate_detections det": (lambda: _evaluate([GOOD[:1]], [X_REVERSED]),
                                r"^det_boxes\[0\]\[2\]"),
    "coco_reference gt": (lambda: _coco([Y_REVERSED], [GOOD[:1]]), r"^gt_boxes\[0\]\[0\]"),
    "coco_reference det": (lambda: _coco([GOOD[:1]], [X_REVERSED]), r"^det_boxes\[0\]\[2\]"),
    "encode_targets": (lambda: encode_targets([GOOD, X_REVERSED], [np.zeros(2, int),
                                                                   np.zeros(3, int)], (16, 16)),
                       r"^boxes\[1\]\[2\]"),
    "mean_box_size": (lambda: mean_box_size([X_REVERSED]), r"^boxes\[0\]\[2\]"),
    "centre_box_detections": (lambda: centre_box_detections(1, (16, 16), (-2.0, 4.0)),
                              "box_size"),
    "show_detections boxes": (lambda: _show(None, [X_REVERSED]), r"^boxes\[0\]\[2\]"),
    "show_detections gt_boxes": (lambda: _show([Y_REVERSED], [GOOD]), r"^gt_boxes\[0\]\[0\]"),
}


@pytest.mark.parametrize("case", BOX_TAKERS, ids=str)
def test_every_function_that_takes_boxes_refuses_a_reversed_box(case):
    call, match = BOX_TAKERS[case]
    one_line_error(call, match)


def _masks(bad_in: str) -> tuple[np.ndarray, np.ndarray]:
    good = np.zeros((2, 8, 8), np.int64)
    bad = good.copy()
    bad[1, 3, 5] = 11
    return (bad, good) if bad_in == "first" else (good, bad)


MASK_TAKERS = {
    "confusion_matrix target": (lambda: confusion_matrix(*_masks("first"), 11),
                                r"^target has class 11 at \(1, 3, 5\)"),
    "confusion_matrix prediction": (lambda: confusion_matrix(*_masks("second"), 11),
                                    r"^prediction has class 11"),
    "segmentation_scores": (lambda: segmentation_scores(*_masks("first"), 11), r"^target has"),
    "show_segmentations truth": (lambda: show_segmentations(
        np.zeros((2, 1, 8, 8)), *_masks("first"), num_classes=11), r"^truth has class 11"),
    "show_segmentations predicted": (lambda: show_segmentations(
        np.zeros((2, 8, 8)), *_masks("second"), num_classes=11), r"^predicted has class 11"),
    "show_segmentations float mask": (lambda: show_segmentations(
        np.zeros((1, 8, 8)), np.zeros((1, 8, 8)), np.zeros((1, 8, 8), int), num_classes=11),
        "integer classes"),
}


@pytest.mark.parametrize("case", MASK_TAKERS, ids=str)
def test_every_function_that_takes_masks_refuses_an_out_of_range_class(case):
    call, match = MASK_TAKERS[case]
    one_line_error(call, match)


def test_check_labels_and_scores_name_the_first_bad_item():
    assert check_labels([2, 0], "labels", 3).dtype == np.int64
    assert check_labels(np.zeros(0), "labels", 3).shape == (0,)  # no labels: any dtype
    assert check_label_list([[5], []], "labels", None, [1, 0])[1].dtype == np.int64
    assert one_line_error(lambda: check_labels([0, 3], "y_true", 3), "outside") == (
        "y_true has class 3 at 1, outside [0, 3)")
    assert one_line_error(lambda: check_labels([0, -2], "labels", None), "negative") == (
        "labels has class -2 at 1, negative")
    one_line_error(lambda: check_labels([0.0, 1.5], "gt_labels[0]", 3),
                   r"^gt_labels\[0\] must hold integer classes, not float64$")
    one_line_error(lambda: check_labels([0, 1], "labels", 3, 3), "2 labels, expected 3")
    one_line_error(lambda: check_label_list([[0]], "gt_labels", 3, [1, 1]),
                   "1 images, expected 2")
    np.testing.assert_array_equal(check_scores([0.5, 1], "scores", 2), [0.5, 1.0])
    assert one_line_error(lambda: check_scores([0.5, np.nan, np.inf], "s", 3), "finite") == (
        "s[1] = nan is not finite")
    one_line_error(lambda: check_scores([0.5], "scores", 2), "1 scores, expected 2")
    one_line_error(lambda: check_scores(["x"], "scores", 1), "numbers")
    one_line_error(lambda: check_score_list([[1.0], [np.inf]], "det_scores", [1, 1]),
                   r"^det_scores\[1\]\[0\] = inf")


def _lists(**bad):
    """The five per-image lists of evaluate_detections (two images, one class of three), with
    ``bad`` replacing some of them."""
    lists = {"gt_boxes": [GOOD, GOOD[:1]], "gt_labels": [np.array([0, 2]), np.array([1])],
             "det_boxes": [GOOD, GOOD[:1]], "det_scores": [np.array([0.9, 0.2]), np.ones(1)],
             "det_labels": [np.array([0, 2]), np.array([1])]}
    return {**lists, **bad}


def _coco_of(**bad):
    from cnnbook.metrics.coco import coco_reference

    pytest.importorskip("pycocotools.cocoeval")
    return coco_reference(**_lists(**bad), num_classes=3)


# Each public function that takes class labels or scores, with a bad one in the named argument.
LABEL_AND_SCORE_TAKERS = {
    "evaluate_detections gt_labels out of range": (
        lambda: evaluate_detections(**_lists(gt_labels=[np.array([0, 3]), np.array([1])]),
                                    num_classes=3),
        r"^gt_labels\[0\] has class 3 at 1, outside \[0, 3\)$"),
    "evaluate_detections det_labels not integers": (  # a 1.5 or a nan used to match no class
        lambda: evaluate_detections(**_lists(det_labels=[np.array([0, 1.5]), np.array([1])]),
                                    num_classes=3),
        r"^det_labels\[0\] must hold integer classes"),
    "evaluate_detections det_labels count": (
        lambda: evaluate_detections(**_lists(det_labels=[np.array([0]), np.array([1])]),
                                    num_classes=3),
        r"^det_labels\[0\] has 1 labels, expected 2$"),
    "evaluate_detections det_scores nan": (
        lambda: evaluate_detections(**_lists(det_scores=[np.array([0.9, np.nan]), np.ones(1)]),
                                    num_classes=3),
        r"^det_scores\[0\]\[1\] = nan is not finite$"),
    "coco_reference gt_labels": (lambda: _coco_of(gt_labels=[np.array([0, -1]), np.array([1])]),
                                 r"^gt_labels\[0\] has class -1 at 1"),
    "coco_reference det_scores": (lambda: _coco_of(det_scores=[np.ones(2), np.array([np.inf])]),
                                  r"^det_scores\[1\]\[0\] = inf"),
    "nms scores": (lambda: nms(GOOD, [0.5, np.nan], 0.5), r"^scores\[1\] = nan"),
    "batched_nms labels": (lambda: batched_nms(GOOD, np.ones(2), [0, -1], 0.5),
                           r"^labels has class -1 at 1, negative$"),
    "batched_nms scores": (lambda: batched_nms(GOOD, [np.inf, 1], [0, 1], 0.5),
                           r"^scores\[0\] = inf"),
    "encode_targets labels": (
        lambda: encode_targets([GOOD], [np.array([0.0, 1.5])], (16, 16)),
        r"^labels\[0\] must hold integer classes"),
    "encode_targets labels out of range": (
        lambda: encode_targets([GOOD], [np.array([0, 10])], (16, 16)),
        r"^labels\[0\] has class 10 at 1, outside \[0, 10\)$"),
    "show_detections labels": (
        lambda: show_detections(np.zeros((1, 16, 16)), [GOOD], [np.array([0, -3])],
                                [np.ones(2)]), r"^labels\[0\] has class -3 at 1, negative$"),
    "show_detections scores": (
        lambda: show_detections(np.zeros((1, 16, 16)), [GOOD], [np.array([0, 1])],
                                [np.array([np.nan, 1])]), r"^scores\[0\]\[0\] = nan"),
    "show_detections gt_labels": (
        lambda: show_detections(np.zeros((1, 16, 16)), [GOOD], [np.zeros(2, int)],
                                [np.ones(2)], gt_boxes=[GOOD], gt_labels=[np.array([0.5, 1])]),
        r"^gt_labels\[0\] must hold integer classes"),
    "plot_confusion_matrix y_true": (
        lambda: plot_confusion_matrix([0, 1, 3], [0, 1, 2], ["a", "b", "c"]),
        r"^y_true has class 3 at 2, outside \[0, 3\)$"),
    "plot_confusion_matrix y_pred": (
        lambda: plot_confusion_matrix([0, 1, 2], [0, -1, 2], ["a", "b", "c"]),
        r"^y_pred has class -1 at 1, outside \[0, 3\)$"),
    "show_predictions y_pred": (
        lambda: show_predictions(np.zeros((2, 8, 8)), [0, 1], [1, 2], ["a", "b"]),
        r"^y_pred has class 2 at 1, outside \[0, 2\)$"),
    "show_predictions count": (
        lambda: show_predictions(np.zeros((2, 8, 8)), [0, 1, 1], [1, 0], ["a", "b"]),
        r"^y_true has 3 labels, expected 2$"),
    "decode_detections maps": (
        lambda: decode_detections(np.where(np.arange(5 * 16).reshape(1, 5, 4, 4) == 70, np.nan,
                                           0.0), TargetLayout(num_classes=1)),
        r"^maps has a non-finite value, nan, at \(0, 4, 1, 2\)"),
}


@pytest.mark.parametrize("case", LABEL_AND_SCORE_TAKERS, ids=str)
def test_every_function_that_takes_labels_or_scores_refuses_a_bad_one(case):
    call, match = LABEL_AND_SCORE_TAKERS[case]
    one_line_error(call, match)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(*[st.integers(-50, 50)] * 4), min_size=1, max_size=8))
def test_a_box_is_refused_exactly_when_its_corners_are_reversed(rows):
    boxes = np.array(rows, dtype=np.float64)
    reversed_ = (boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1])
    if reversed_.any():  # the first bad box is named, whichever of its axes is reversed
        first = int(np.argmax(reversed_))
        one_line_error(lambda: box_iou(boxes, boxes), rf"^a\[{first}\] = ")
        one_line_error(lambda: nms(boxes, np.ones(len(boxes)), 0.5), rf"^boxes\[{first}\] = ")
    else:  # well-formed, empty ones included: scored, IoU in [0, 1]
        iou = box_iou(boxes, boxes[::-1])
        assert iou.shape == (len(boxes),) * 2 and ((iou >= 0) & (iou <= 1)).all()
        assert 1 <= len(nms(boxes, np.linspace(1, 0.5, len(boxes)), 0.5)) <= len(boxes)


def test_torch_tensors_give_what_numpy_gives():
    """On the CPU, with a gradient or not: the checks detach and copy what np.asarray can't."""
    torch = pytest.importorskip("torch")
    boxes = torch.tensor([[0, 0, 4, 4], [1, 1, 5, 4], [8, 8, 9, 9.0]], requires_grad=True)
    scores = torch.tensor([0.9, 0.8, 0.3], requires_grad=True)
    labels = torch.tensor([0, 0, 1])
    b, s, lab = boxes.detach().numpy(), scores.detach().numpy(), labels.numpy()
    np.testing.assert_array_equal(box_iou(boxes, boxes), box_iou(b, b))
    np.testing.assert_array_equal(nms(boxes, scores, 0.3), nms(b, s, 0.3))
    np.testing.assert_array_equal(batched_nms(boxes, scores, labels, 0.3),
                                  batched_nms(b, s, lab, 0.3))
    ours = evaluate_detections([boxes], [labels], [boxes], [scores], [labels], num_classes=2)
    numpy = evaluate_detections([b], [lab], [b], [s], [lab], num_classes=2)
    np.testing.assert_array_equal(ours.precision, numpy.precision)
    masks = torch.randint(0, 4, (2, 8, 8), generator=torch.Generator().manual_seed(0))
    np.testing.assert_array_equal(confusion_matrix(masks, masks.flip(0), 4),
                                  confusion_matrix(masks.numpy(), masks.flip(0).numpy(), 4))
    bad = boxes.detach().clone()
    bad[1, 2] = -1.0
    one_line_error(lambda: box_iou(boxes, bad), r"^b\[1\] = \(1, 1, -1, 4\) has x2 < x1")
    one_line_error(lambda: confusion_matrix(masks, masks + 1, 4), r"^prediction has class 4")
