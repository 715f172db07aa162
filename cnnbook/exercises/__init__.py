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
from cnnbook.exercises.hierarchy import check_hierarchy_1, check_hierarchy_2, check_hierarchy_3
from cnnbook.exercises.layers import check_layers_1, check_layers_5
from cnnbook.exercises.padding_stride_dilation import (
    check_padding_stride_dilation_1,
    check_padding_stride_dilation_2,
    check_padding_stride_dilation_3,
)
from cnnbook.exercises.pooling import POOLING_X, check_pooling_1, check_pooling_2, check_pooling_3
from cnnbook.exercises.transfer_learning import check_transfer_learning_1

__all__ = [
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
