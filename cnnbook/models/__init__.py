"""The book's models: specs as data, one catalogue, builders for torch and Keras, and porting.

Light modules (NumPy-free arithmetic, no framework):

- :mod:`cnnbook.models.layers`: layer specs (``Conv2dSpec``, ``Pool2dSpec``, ``FlattenSpec``,
  ``DenseSpec``, ``DropoutSpec``, ``ActivationSpec``, ``BatchNorm2dSpec``, ``GlobalPool2dSpec``,
  ``ResidualSpec``, ``ConvTranspose2dSpec``, ``SkipConcatSpec``).
- :mod:`cnnbook.models.shapes`: ``output_shapes``, ``param_table``, ``receptive_field``,
  ``count_macs`` (multiply-accumulates per input).
- :mod:`cnnbook.models.specs`: :class:`Architecture`, a model as data.
- :mod:`cnnbook.models.catalogue`: every model of the book, with its one name; ``build``.
- :mod:`cnnbook.models.twins`: the hand-written twins that chapters quote register here.
- :mod:`cnnbook.models.summary`: ``count_params`` and ``layer_table`` for any model.

Framework modules (import on first use; a missing framework names the extra to install):

- :mod:`cnnbook.models.torch_build`, :mod:`cnnbook.models.keras_build`: a spec builds its
  ``nn.Module`` (NCHW) or Keras 3 model (NHWC), layers named by the spec's labels.
- :mod:`cnnbook.models.torch_nets`, :mod:`cnnbook.models.keras_nets`: the twins chapters quote
  (the post's three models; the FCN in torch).
- :mod:`cnnbook.models.port`: weights from Keras to torch and back.

Saving a trained model (checkpoints, browser exports) is :mod:`cnnbook.saving`; the old
``cnnbook.models.manifest``, ``keras_saving``, ``keras_archive`` and ``export`` are deprecated
aliases of its modules until 0.4.0. Shapes in specs are channels-first ``(C, H, W)``.
"""

from __future__ import annotations

from cnnbook.models.catalogue import CATALOGUE, ModelEntry, entries, get
from cnnbook.models.layers import (
    ActivationSpec,
    BatchNorm2dSpec,
    Conv2dSpec,
    ConvTranspose2dSpec,
    DenseSpec,
    DropoutSpec,
    FlattenSpec,
    GlobalPool2dSpec,
    LayerSpec,
    Pool2dSpec,
    ResidualSpec,
    SkipConcatSpec,
    layer_names,
)
from cnnbook.models.shapes import (
    ReceptiveField,
    count_macs,
    format_param_table,
    output_shapes,
    param_table,
    receptive_field,
)
from cnnbook.models.specs import Architecture
from cnnbook.models.summary import count_params, layer_table

__all__ = [
    "CATALOGUE",
    "ActivationSpec",
    "Architecture",
    "BatchNorm2dSpec",
    "Conv2dSpec",
    "ConvTranspose2dSpec",
    "DenseSpec",
    "DropoutSpec",
    "FlattenSpec",
    "GlobalPool2dSpec",
    "LayerSpec",
    "ModelEntry",
    "Pool2dSpec",
    "ReceptiveField",
    "ResidualSpec",
    "SkipConcatSpec",
    "count_macs",
    "count_params",
    "entries",
    "format_param_table",
    "get",
    "layer_names",
    "layer_table",
    "output_shapes",
    "param_table",
    "receptive_field",
]
