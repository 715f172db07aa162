"""Training figures: curves for Keras-like histories, sklearn's confusion matrix, predictions."""

from __future__ import annotations

import matplotlib.colors as mcolors
import numpy as np
import pytest
from matplotlib.figure import Figure

from cnnbook.plots.training import MISTAKE, plot_confusion_matrix, plot_history, show_predictions

HIST = {"loss": [1.0, 0.6, 0.4], "accuracy": [0.6, 0.8, 0.9],
        "val_loss": [0.9, 0.7, 0.6], "val_accuracy": [0.65, 0.75, 0.8]}


class KerasLikeHistory:  # what keras.callbacks.History and cnnbook's History both expose
    def __init__(self, history):
        self.history = history


def test_plot_history_draws_train_and_val_per_metric():
    fig = plot_history(KerasLikeHistory(HIST))
    assert isinstance(fig, Figure)
    assert mcolors.to_hex(fig.get_facecolor()) == "#ffffff"
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_xlabel() == "epoch" and loss_ax.get_ylabel() == "loss"
    assert acc_ax.get_ylabel() == "accuracy"
    lines = {line.get_label(): line for line in acc_ax.get_lines()}
    assert set(lines) == {"train", "val"}
    np.testing.assert_array_equal(lines["val"].get_ydata(), HIST["val_accuracy"])
    np.testing.assert_array_equal(lines["train"].get_xdata(), [1, 2, 3])
    assert lines["val"].get_linestyle() == "--"


def test_plot_history_overlays_several_runs_with_labels():
    no_val = {"loss": [2.0, 1.5], "accuracy": [0.3, 0.4]}
    fig = plot_history([HIST, KerasLikeHistory(no_val)], labels=["SGD", "momentum"],
                       title="SGD vs momentum")
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels == ["SGD train", "SGD val", "momentum train"]
    colours = {line.get_color() for line in fig.axes[0].get_lines()}
    assert len(colours) == 2  # one colour per run
    assert fig.get_suptitle() == "SGD vs momentum"


def test_plot_history_rejects_bad_input():
    with pytest.raises(ValueError, match="labels"):
        plot_history([HIST, HIST], labels=["one"])
    with pytest.raises(KeyError, match="top5"):
        plot_history(HIST, metrics=("top5",))
    with pytest.raises(TypeError, match="History"):
        plot_history(42)


def test_confusion_matrix_is_sklearns():
    pytest.importorskip("sklearn", reason="needs the book extra (scikit-learn)")
    from sklearn.metrics import confusion_matrix

    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 3, 50)
    y_pred = np.where(rng.random(50) < 0.7, y_true, rng.integers(0, 3, 50))
    fig = plot_confusion_matrix(y_true, y_pred, ["a", "b", "c"])
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), confusion_matrix(y_true, y_pred))
    assert ax.get_xlabel() == "Predicted label" and ax.get_ylabel() == "True label"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    assert ax.images[0].get_cmap().name == "cividis"


def test_show_predictions_marks_the_mistakes():
    images = np.random.default_rng(0).integers(0, 256, (6, 3, 8, 8), dtype=np.uint8)  # NCHW
    y_true = np.array([0, 1, 2, 0, 1, 2])
    y_pred = np.array([0, 2, 2, 0, 0, 2])
    fig = show_predictions(images, y_true, y_pred, ["cat", "dog", "frog"], n=5, ncols=3,
                           layout="NCHW")
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 5 and len(fig.axes) == 6
    assert shown[0].images[0].get_array().shape == (8, 8, 3)
    titles = [ax.get_title() for ax in shown]
    assert titles[1] == "dog / frog"
    mistakes = [ax.get_title() for ax in shown
                if mcolors.to_hex(ax.title.get_color()) == MISTAKE.lower()]
    assert mistakes == ["dog / frog", "dog / cat"]  # the sixth image (a mistake) is not shown
    assert "2 of 5 wrong" in fig.get_suptitle()
    assert max(s.get_linewidth() for s in shown[1].spines.values()) > 2


def test_show_predictions_rescales_normalised_grayscale():
    images = np.random.default_rng(1).normal(size=(2, 28, 28, 1)).astype(np.float32)
    fig = show_predictions(images, [1, 1], [1, 1], [str(i) for i in range(10)])
    data = fig.axes[0].images[0].get_array()
    assert data.shape == (28, 28) and data.min() >= 0 and data.max() <= 1


def test_training_figures_use_the_book_style():
    from cnnbook.plots import style

    fig = plot_history(HIST)
    assert fig.dpi == style.DPI and MISTAKE == style.VERMILLION
    line = fig.axes[0].get_lines()[0]
    assert mcolors.to_hex(line.get_color()) == style.BLUE.lower()


def test_show_predictions_rejects_a_lowercase_layout():
    with pytest.raises(ValueError, match="'NCHW' or 'NHWC'"):
        show_predictions(np.zeros((2, 1, 8, 8)), [0, 1], [0, 1], ["a", "b"], layout="nchw")


def test_plot_time_to_accuracy_draws_one_line_per_run_and_the_target():
    from cnnbook.plots import plot_time_to_accuracy

    curves = {"tutorial loop": [(0.0, 0.1), (2.0, 0.7), (4.0, 0.82)],
              "fit": [(0.0, 0.1), (1.0, 0.75), (2.0, 0.83)]}
    fig = plot_time_to_accuracy(curves, target=0.8)
    (ax,) = fig.axes
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"tutorial loop", "fit", "target 80%"}
    np.testing.assert_array_equal(lines["fit"].get_xdata(), [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(lines["tutorial loop"].get_ydata(), [0.1, 0.7, 0.82])
    np.testing.assert_array_equal(lines["target 80%"].get_ydata(), [0.8, 0.8])
    assert ax.get_xlabel() == "training time (s)"
    assert lines["fit"].get_color() != lines["tutorial loop"].get_color()
    with pytest.raises(ValueError, match="no curves"):
        plot_time_to_accuracy({})
