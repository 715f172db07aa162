"""Convolutional-network building blocks from scratch in NumPy, forward and backward.

Everything is NCHW like PyTorch: inputs ``(N, C, H, W)``, conv weights OIHW
``(C_out, C_in, kH, kW)``.
The tests check every function against ``torch.nn.functional`` (float64) and ``tf.nn`` (float32).

- :mod:`cnnbook.ops.conv`: ``conv2d`` (vectorised), ``conv2d_loop`` (readable loops),
  ``conv2d_backward``.
- :mod:`cnnbook.ops.pool`: ``max_pool2d``, ``avg_pool2d`` and their backward passes.
- :mod:`cnnbook.ops.activations`: ``relu``, ``relu_backward``, ``softmax``, ``log_softmax``.
- :mod:`cnnbook.ops.losses`: ``one_hot``, ``cross_entropy``, ``cross_entropy_backward``.
- :mod:`cnnbook.ops.layers`: layer specs (``Conv2dSpec``, ``Pool2dSpec``, ``FlattenSpec``,
  ``DenseSpec``, ``DropoutSpec``, ``ActivationSpec``), pure data.
- :mod:`cnnbook.ops.shapes`: ``conv_output_size``, ``output_shapes``, ``count_params``,
  ``param_table``, ``format_param_table``, ``receptive_field``.

Only NumPy is imported: never torch or TensorFlow.
"""

from __future__ import annotations

from cnnbook.ops.activations import log_softmax, relu, relu_backward, softmax
from cnnbook.ops.conv import conv2d, conv2d_backward, conv2d_loop
from cnnbook.ops.layers import (
    ActivationSpec,
    Conv2dSpec,
    DenseSpec,
    DropoutSpec,
    FlattenSpec,
    LayerSpec,
    Pool2dSpec,
    layer_names,
)
from cnnbook.ops.losses import cross_entropy, cross_entropy_backward, one_hot
from cnnbook.ops.pool import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from cnnbook.ops.shapes import (
    ReceptiveField,
    conv_output_size,
    count_params,
    format_param_table,
    output_shapes,
    param_table,
    receptive_field,
)

__all__ = [
    "ActivationSpec",
    "Conv2dSpec",
    "DenseSpec",
    "DropoutSpec",
    "FlattenSpec",
    "LayerSpec",
    "Pool2dSpec",
    "ReceptiveField",
    "avg_pool2d",
    "avg_pool2d_backward",
    "conv2d",
    "conv2d_backward",
    "conv2d_loop",
    "conv_output_size",
    "count_params",
    "cross_entropy",
    "cross_entropy_backward",
    "format_param_table",
    "layer_names",
    "log_softmax",
    "max_pool2d",
    "max_pool2d_backward",
    "one_hot",
    "output_shapes",
    "param_table",
    "receptive_field",
    "relu",
    "relu_backward",
    "softmax",
]
