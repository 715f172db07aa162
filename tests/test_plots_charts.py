"""cnnbook.plots.charts: images per class, bars per split, one panel per dataset."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors
import numpy as np
import pytest

from cnnbook.plots import style
from cnnbook.plots.charts import plot_bars, plot_class_counts, plot_spread, plot_tradeoff

pytestmark = pytest.mark.usefixtures("close_figures")


def test_class_counts_per_split_and_dataset():
    y_train, y_test = np.array([0, 1, 1, 2, 2, 2]), np.array([0, 2])
    fig = plot_class_counts({"A": (y_train, y_test), "B": (y_test, y_train)}, title="Per class")
    a, b = fig.axes
    train, test = a.containers
    assert [bar.get_height() for bar in train] == [1, 2, 3]
    assert [bar.get_height() for bar in test] == [1, 0, 1]
    assert mcolors.to_hex(train[0].get_facecolor()) == style.BLUE.lower()
    assert mcolors.to_hex(test[0].get_facecolor()) == style.ORANGE.lower()
    assert test[0].get_hatch() == "//"  # a second cue besides colour
    assert a.get_title() == "A: 6 train / 2 test" and b.get_title() == "B: 2 train / 6 test"
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["train", "test"]
    assert fig.get_suptitle() == "Per class" and fig.dpi == style.DPI


def test_class_counts_checks_its_input():
    with pytest.raises(ValueError, match="no datasets"):
        plot_class_counts({})
    with pytest.raises(ValueError, match="1 label arrays"):
        plot_class_counts({"A": (np.array([0, 1]),)})
    fig = plot_class_counts({"A": ([0], [1], [2])}, split_names=("train", "val", "test"),
                            num_classes=4)
    assert len(fig.axes[0].containers) == 3 and len(fig.axes[0].containers[0]) == 4


def test_bars_one_row_per_category_one_bar_per_series():
    fig = plot_bars({"validation": [0.2, 0.5, np.nan], "test": [0.25, 0.4, 0.6]},
                    ["first", "second", "third"], xlabel="accuracy", title="Per rung")
    ax = fig.axes[0]
    val, test = ax.containers
    assert [bar.get_width() for bar in val] == [0.2, 0.5, 0.0]
    assert [bar.get_width() for bar in test] == [0.25, 0.4, 0.6]
    assert [bar.get_visible() for bar in val] == [True, True, False]  # NaN: not measured
    assert mcolors.to_hex(val[0].get_facecolor()) == style.BLUE.lower()
    assert test[0].get_hatch() == "//"
    assert val[0].get_y() < test[0].get_y()  # within a row, the series in order
    assert [t.get_text() for t in ax.get_yticklabels()] == ["first", "second", "third"]
    assert ax.yaxis_inverted()  # the first category at the top
    assert sorted(t.get_text() for t in ax.texts) == ["20.0%", "25.0%", "40.0%", "50.0%",
                                                      "60.0%"]
    assert ax.get_xlim() == pytest.approx((0.0, 0.69))
    assert ax.get_xlabel() == "accuracy" and ax.get_title() == "Per rung"
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["validation", "test"]
    assert fig.dpi == style.DPI


def test_bars_options_and_checks():
    fig = plot_bars({"s": [3.0, 1.0]}, ["a", "b"], fmt=None, limits=(0, 10))
    assert not fig.axes[0].texts and fig.axes[0].get_xlim() == (0, 10)
    with pytest.raises(ValueError, match="no series"):
        plot_bars({}, ["a"])
    with pytest.raises(ValueError, match="1 values for 2 categories"):
        plot_bars({"s": [1.0]}, ["a", "b"])


def test_tradeoff_one_point_per_model_at_the_mean_with_the_spread_of_its_runs():
    scores = {"small": [0.5, 0.6, 0.7], "big": [0.8, 0.8]}
    costs = {"parameters": {"small": 1e3, "big": 1e6}, "MACs": {"small": 1e5, "big": 2e7}}
    fig = plot_tradeoff(scores, costs, title="Accuracy and cost")
    assert len(fig.axes) == 2 and fig.axes[0].get_xscale() == "log"
    assert [ax.get_xlabel() for ax in fig.axes] == ["parameters", "MACs"]
    small, big = fig.axes[1].containers  # one errorbar container per model
    x, y = small.lines[0].get_data()
    assert (x[0], y[0]) == (1e5, pytest.approx(0.6))
    segment = small.lines[2][0].get_segments()[0]  # the bar: from the lowest run to the highest
    assert segment[:, 1] == pytest.approx([0.5, 0.7])
    assert big.lines[0].get_data()[1][0] == pytest.approx(0.8)
    assert small.lines[0].get_marker() != big.lines[0].get_marker()
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["small", "big"]
    assert fig.axes[0].get_ylabel() == "test accuracy"
    assert fig._suptitle.get_text() == "Accuracy and cost"
    formatter = fig.axes[0].yaxis.get_major_formatter()
    assert formatter(0.475, 0) == "47.5%" and formatter(0.5, 0) == "50.0%"


def test_tradeoff_checks():
    with pytest.raises(ValueError, match="needs scores and at least one cost"):
        plot_tradeoff({}, {"p": {}})
    with pytest.raises(ValueError, match="a: needs one or more finite scores"):
        plot_tradeoff({"a": [float("nan")]}, {"p": {"a": 1}})
    with pytest.raises(ValueError, match="p: no positive cost for b"):
        plot_tradeoff({"a": [0.5], "b": [0.6]}, {"p": {"a": 1}})


def test_spread_one_line_through_the_means_with_a_band_from_lowest_to_highest():
    fig = plot_spread({"scratch": {10: [0.5, 0.7], 50: [0.8, 0.8]},
                       "fine-tune": {10: [0.9, 0.9], 50: [0.95, 0.97]}},
                      xlabel="labels per class", title="Transfer")
    ax = fig.axes[0]
    scratch, tune = ax.lines
    assert list(scratch.get_xdata()) == [10, 50]
    assert list(scratch.get_ydata()) == pytest.approx([0.6, 0.8])
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == pytest.approx(0.5) and band.max() == pytest.approx(0.8)
    assert scratch.get_marker() != tune.get_marker()
    assert ax.get_xscale() == "log" and ax.get_title() == "Transfer"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["10", "50"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["scratch", "fine-tune"]
    with pytest.raises(ValueError, match="needs at least one series"):
        plot_spread({}, xlabel="x")
    with pytest.raises(ValueError, match="a: every budget needs one or more finite scores"):
        plot_spread({"a": {1: []}}, xlabel="x")
