"""Convolutional-network kernels from scratch in NumPy, forward and backward.

Everything is NCHW like PyTorch: inputs ``(N, C, H, W)``, conv weights OIHW
``(C_out, C_in, kH, kW)``.
The tests check every function against ``torch.nn.functional`` (float64) and ``tf.nn`` (float32).

- :mod:`cnnbook.ops.conv`: ``conv2d`` (vectorised), ``conv2d_loop`` (readable loops),
  ``conv2d_backward`` and ``conv_output_size`` (the one-axis size rule).
- :mod:`cnnbook.ops.pool`: ``max_pool2d``, ``avg_pool2d`` and their backward passes.
- :mod:`cnnbook.ops.activations`: ``relu``, ``relu_backward``, ``softmax``, ``log_softmax``.
- :mod:`cnnbook.ops.conv`, also: ``conv_transpose2d``, the gradient of ``conv2d`` as a layer.
- :mod:`cnnbook.ops.norm`: ``batch_norm2d`` and ``batch_norm2d_backward`` (torch's and Keras'
  conventions for the running statistics).
- :mod:`cnnbook.ops.losses`: ``one_hot``, ``cross_entropy``, ``cross_entropy_backward``,
  ``sigmoid_focal_loss`` and ``penalty_reduced_focal_loss`` (CenterNet's).

Layer specs and whole-model shape arithmetic (``output_shapes``, ``count_params``,
``receptive_field``) describe architectures, so they live in :mod:`cnnbook.models`.
Only NumPy is imported: never torch or TensorFlow.
"""

from __future__ import annotations

from cnnbook.ops.activations import log_softmax, relu, relu_backward, softmax
from cnnbook.ops.conv import (
    conv2d,
    conv2d_backward,
    conv2d_loop,
    conv_output_size,
    conv_transpose2d,
)
from cnnbook.ops.losses import (
    cross_entropy,
    cross_entropy_backward,
    one_hot,
    penalty_reduced_focal_loss,
    sigmoid_focal_loss,
)
from cnnbook.ops.norm import batch_norm2d, batch_norm2d_backward
from cnnbook.ops.pool import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward

__all__ = [
    "avg_pool2d",
    "avg_pool2d_backward",
    "batch_norm2d",
    "batch_norm2d_backward",
    "conv2d",
    "conv2d_backward",
    "conv2d_loop",
    "conv_output_size",
    "conv_transpose2d",
    "cross_entropy",
    "cross_entropy_backward",
    "log_softmax",
    "max_pool2d",
    "max_pool2d_backward",
    "one_hot",
    "penalty_reduced_focal_loss",
    "relu",
    "relu_backward",
    "sigmoid_focal_loss",
    "softmax",
]
