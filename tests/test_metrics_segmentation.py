"""cnnbook.metrics.segmentation against torchmetrics' JaccardIndex and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from sklearn.metrics import confusion_matrix as sk_confusion_matrix
from torchmetrics.classification import MulticlassAccuracy, MulticlassJaccardIndex

from cnnbook.metrics import (
    confusion_matrix,
    mean_iou,
    per_class_iou,
    pixel_accuracy,
    present_classes,
    segmentation_scores,
)

TOL = 1e-6


def _reference(target: np.ndarray, prediction: np.ndarray, num_classes: int):
    t, p = torch.from_numpy(target), torch.from_numpy(prediction)
    per_class = MulticlassJaccardIndex(num_classes, average="none")(p, t).double().numpy()
    macro = float(MulticlassJaccardIndex(num_classes, average="macro")(p, t))
    accuracy = float(MulticlassAccuracy(num_classes, average="micro")(p, t))
    confusion = sk_confusion_matrix(target.ravel(), prediction.ravel(),
                                    labels=list(range(num_classes)))
    return per_class, macro, accuracy, confusion


def _check_against_references(target, prediction, num_classes):
    per_class, macro, accuracy, confusion = _reference(target, prediction, num_classes)
    ours = confusion_matrix(target, prediction, num_classes)
    np.testing.assert_array_equal(ours, confusion)
    assert ours.dtype == np.int64
    assert np.abs(per_class_iou(ours) - per_class).max() <= TOL
    assert abs(mean_iou(ours) - macro) <= TOL
    assert abs(pixel_accuracy(ours) - accuracy) <= TOL


masks = st.integers(1, 4).flatmap(lambda n: st.integers(1, 9).flatmap(
    lambda side: st.integers(2, 12).flatmap(lambda c: st.tuples(
        st.just(c),
        st.lists(st.integers(0, c - 1), min_size=n * side * side, max_size=n * side * side)
        .map(lambda v, n=n, side=side: np.array(v, np.int64).reshape(n, side, side)),
        st.lists(st.integers(0, c - 1), min_size=n * side * side, max_size=n * side * side)
        .map(lambda v, n=n, side=side: np.array(v, np.int64).reshape(n, side, side))))))


@settings(max_examples=100, deadline=None)
@given(masks)
def test_randomised_masks_equal_torchmetrics_and_sklearn(case):
    """Small masks with few pixels and many classes, so absent classes are common."""
    num_classes, target, prediction = case
    _check_against_references(target, prediction, num_classes)


@pytest.mark.parametrize("seed", range(5))
def test_scene_sized_masks_equal_torchmetrics(seed):
    """Masks like the chapter's: 11 classes, mostly background, with corrupted predictions."""
    rng = np.random.default_rng(seed)
    target = np.where(rng.random((8, 64, 64)) < 0.9, 0, rng.integers(1, 11, (8, 64, 64)))
    prediction = target.copy()
    flip = rng.random(target.shape) < 0.2
    prediction[flip] = rng.integers(0, 11, int(flip.sum()))
    prediction[prediction == 7] = 0          # one class never predicted
    target[target == 9] = 0                  # ... and one class never in the target
    _check_against_references(target, prediction, 11)


def test_absent_classes():
    """A class in neither target nor prediction has IoU 0 (or ``absent``) and is left out of
    the mean; a class only in the prediction is present with IoU 0."""
    target = np.array([[0, 0, 1, 1]])
    prediction = np.array([[0, 0, 1, 3]])
    c = confusion_matrix(target, prediction, 5)
    np.testing.assert_array_equal(present_classes(c), [True, True, False, True, False])
    np.testing.assert_allclose(per_class_iou(c), [1.0, 0.5, 0.0, 0.0, 0.0])
    assert np.isnan(per_class_iou(c, absent=np.nan)[[2, 4]]).all()
    assert mean_iou(c) == pytest.approx((1.0 + 0.5 + 0.0) / 3)
    scores = segmentation_scores(target, prediction, 5)
    assert scores.pixel_accuracy == pytest.approx(0.75)
    assert scores.mean_iou == pytest.approx(0.5)
    assert "absent" in scores.describe() and "mean IoU 0.5000" in scores.describe()
    _check_against_references(target, prediction, 5)


def test_all_background_baseline():
    """Predicting background everywhere: background IoU = its pixel share, digits 0."""
    target = np.zeros((1, 10, 10), np.int64)
    target[0, :3] = 4
    c = confusion_matrix(target, np.zeros_like(target), 11)
    np.testing.assert_allclose(per_class_iou(c)[[0, 4]], [0.7, 0.0])
    assert mean_iou(c) == pytest.approx(0.35)
    assert pixel_accuracy(c) == pytest.approx(0.7)


@pytest.mark.parametrize(("target", "prediction", "classes", "message"), [
    (np.zeros((2, 3), np.int64), np.zeros((3, 2), np.int64), 2, "same shape"),
    (np.array([0, 2]), np.array([0, 1]), 2, "outside"),
    (np.array([0, -1]), np.array([0, 1]), 2, "outside"),
    (np.array([0.0, 1.0]), np.array([0, 1]), 2, "integer classes"),
    (np.array([0]), np.array([0]), 0, "num_classes"),
])
def test_bad_input_raises_one_line_errors(target, prediction, classes, message):
    with pytest.raises(ValueError, match=message) as info:
        confusion_matrix(target, prediction, classes)
    assert "\n" not in str(info.value)


def test_non_square_confusion_is_rejected():
    with pytest.raises(ValueError, match="square"):
        mean_iou(np.zeros((2, 3)))
