"""cnnbook.metrics._checks, and every public function that takes boxes or class masks: a box with
its corners in the wrong order, or a mask with a class out of range, is a one-line ValueError
that names the argument and the first bad index, before anything is computed or drawn."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from cnnbook.detection import centre_box_detections, encode_targets, mean_box_size
from cnnbook.metrics._checks import check_box_list, check_boxes, check_mask
from cnnbook.metrics.detection import batched_nms, box_iou, evaluate_detections, nms
from cnnbook.metrics.segmentation import confusion_matrix, segmentation_scores
from cnnbook.plots.detection import show_detections
from cnnbook.plots.segmentation import show_segmentations

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
