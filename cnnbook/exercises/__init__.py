"""Checkers for the chapters' exercises: ``check_<chapter>_<n>(answer)``.

Each prints one line, a verdict and, when the answer is not right, a hint (never the answer),
and returns whether the answer is right. The right answers are computed here, by the package's
own arithmetic (:mod:`cnnbook.ops`, :mod:`cnnbook.models`), never written down, so they follow
the code they are about. Light: no framework is imported.

    >>> from cnnbook.exercises import check_padding_stride_dilation_1
    >>> check_padding_stride_dilation_1(14)
    Not yet: n_out = floor((n + 2p - d(k - 1) - 1) / s) + 1; mind the floor.
    False
"""

from __future__ import annotations

from cnnbook.exercises.architectures import (
    check_architectures_1,
    check_architectures_2,
    check_architectures_3,
)
from cnnbook.exercises.attribution import (
    ATTRIBUTION_A,
    ATTRIBUTION_B,
    ATTRIBUTION_DIGIT,
    ATTRIBUTION_MAP,
    check_attribution_1,
    check_attribution_2,
    check_attribution_3,
)
from cnnbook.exercises.channels_and_filters import (
    check_channels_and_filters_1,
    check_channels_and_filters_2,
    check_channels_and_filters_3,
)
from cnnbook.exercises.convolution import (
    CONVOLUTION_K,
    check_convolution_1,
    check_convolution_2,
    check_convolution_3,
)
from cnnbook.exercises.data import DATA_X, check_data_1, check_data_2, check_data_3, check_data_4
from cnnbook.exercises.detection import (
    DETECTION_BOXES,
    DETECTION_HEATMAP,
    DETECTION_SCORES,
    check_detection_1,
    check_detection_2,
    check_detection_3,
    check_detection_4,
    check_detection_5,
)
from cnnbook.exercises.draw_a_digit import (
    check_draw_a_digit_1,
    check_draw_a_digit_2,
    check_draw_a_digit_3,
    check_draw_a_digit_4,
    ink_bar,
)
from cnnbook.exercises.features_to_prediction import (
    FEATURES_TO_PREDICTION_Z,
    check_features_to_prediction_1,
    check_features_to_prediction_2,
    check_features_to_prediction_3,
)
from cnnbook.exercises.hierarchy import check_hierarchy_1, check_hierarchy_2, check_hierarchy_3
from cnnbook.exercises.keras_example import (
    check_keras_example_1,
    check_keras_example_2,
    check_keras_example_3,
    check_keras_example_4,
)
from cnnbook.exercises.keras_internals import (
    check_keras_internals_1,
    check_keras_internals_2,
    check_keras_internals_3,
)
from cnnbook.exercises.layers import check_layers_1, check_layers_5
from cnnbook.exercises.learning_a_filter import (
    LEARNING_A_FILTER_X,
    LEARNING_A_FILTER_Y,
    check_learning_a_filter_1,
    check_learning_a_filter_2,
    check_learning_a_filter_3,
)
from cnnbook.exercises.padding_stride_dilation import (
    check_padding_stride_dilation_1,
    check_padding_stride_dilation_2,
    check_padding_stride_dilation_3,
)
from cnnbook.exercises.pooling import POOLING_X, check_pooling_1, check_pooling_2, check_pooling_3
from cnnbook.exercises.pytorch_example import (
    check_pytorch_example_1,
    check_pytorch_example_2,
    check_pytorch_example_3,
    check_pytorch_example_4,
)
from cnnbook.exercises.segmentation import (
    SEGMENTATION_CONFUSION,
    check_segmentation_1,
    check_segmentation_2,
    check_segmentation_3,
    check_segmentation_4,
)
from cnnbook.exercises.speed import (
    SPEED_EPOCH,
    SPEED_RUNS,
    check_speed_1,
    check_speed_2,
    check_speed_3,
)
from cnnbook.exercises.tensorflow_example import (
    check_tensorflow_example_1,
    check_tensorflow_example_2,
    check_tensorflow_example_3,
    check_tensorflow_example_4,
)
from cnnbook.exercises.three_frameworks import (
    check_three_frameworks_1,
    check_three_frameworks_2,
    check_three_frameworks_3,
)
from cnnbook.exercises.training_well import (
    check_training_well_1,
    check_training_well_2,
    check_training_well_3,
)
from cnnbook.exercises.transfer_learning import check_transfer_learning_1
from cnnbook.exercises.use_outside import (
    USE_OUTSIDE_NORMALISATION,
    check_use_outside_1,
    check_use_outside_2,
    check_use_outside_3,
)
from cnnbook.exercises.what_it_learned import (
    WHAT_IT_LEARNED_CROSS,
    WHAT_IT_LEARNED_EDGE,
    WHAT_IT_LEARNED_FEATURES,
    WHAT_IT_LEARNED_LABELS,
    check_what_it_learned_1,
    check_what_it_learned_2,
    check_what_it_learned_3,
)

__all__ = [
    "SPEED_EPOCH",
    "SPEED_RUNS",
    "check_speed_1",
    "check_speed_2",
    "check_speed_3",
    "check_three_frameworks_1",
    "check_three_frameworks_2",
    "check_three_frameworks_3",
    "USE_OUTSIDE_NORMALISATION",
    "check_use_outside_1",
    "check_use_outside_2",
    "check_use_outside_3",
    "WHAT_IT_LEARNED_CROSS",
    "WHAT_IT_LEARNED_EDGE",
    "WHAT_IT_LEARNED_FEATURES",
    "WHAT_IT_LEARNED_LABELS",
    "check_what_it_learned_1",
    "check_what_it_learned_2",
    "check_what_it_learned_3",
    "ATTRIBUTION_A",
    "ATTRIBUTION_B",
    "ATTRIBUTION_DIGIT",
    "ATTRIBUTION_MAP",
    "check_attribution_1",
    "check_attribution_2",
    "check_attribution_3",
    "FEATURES_TO_PREDICTION_Z",
    "check_features_to_prediction_1",
    "check_features_to_prediction_2",
    "check_features_to_prediction_3",
    "check_keras_internals_1",
    "check_keras_internals_2",
    "check_keras_internals_3",
    "LEARNING_A_FILTER_X",
    "LEARNING_A_FILTER_Y",
    "check_learning_a_filter_1",
    "check_learning_a_filter_2",
    "check_learning_a_filter_3",
    "ink_bar",
    "check_draw_a_digit_1",
    "check_draw_a_digit_2",
    "check_draw_a_digit_3",
    "check_draw_a_digit_4",
    "SEGMENTATION_CONFUSION",
    "check_segmentation_1",
    "check_segmentation_2",
    "check_segmentation_3",
    "check_segmentation_4",
    "DETECTION_BOXES",
    "DETECTION_HEATMAP",
    "DETECTION_SCORES",
    "check_detection_1",
    "check_detection_2",
    "check_detection_3",
    "check_detection_4",
    "check_detection_5",
    "DATA_X",
    "check_data_1",
    "check_data_2",
    "check_data_3",
    "check_data_4",
    "check_tensorflow_example_1",
    "check_tensorflow_example_2",
    "check_tensorflow_example_3",
    "check_tensorflow_example_4",
    "check_keras_example_1",
    "check_keras_example_2",
    "check_keras_example_3",
    "check_keras_example_4",
    "check_pytorch_example_1",
    "check_pytorch_example_2",
    "check_pytorch_example_3",
    "check_pytorch_example_4",
    "check_training_well_1",
    "check_training_well_2",
    "check_training_well_3",
    "CONVOLUTION_K",
    "check_convolution_1",
    "check_convolution_2",
    "check_convolution_3",
    "POOLING_X",
    "check_pooling_1",
    "check_pooling_2",
    "check_pooling_3",
    "check_padding_stride_dilation_1",
    "check_padding_stride_dilation_2",
    "check_padding_stride_dilation_3",
    "check_channels_and_filters_1",
    "check_channels_and_filters_2",
    "check_channels_and_filters_3",
    "check_hierarchy_1",
    "check_hierarchy_2",
    "check_hierarchy_3",
    "check_layers_1",
    "check_layers_5",
    "check_architectures_1",
    "check_architectures_2",
    "check_architectures_3",
    "check_transfer_learning_1",
]
