"""A spec builds its Keras 3 model: :func:`build_keras` turns an
:class:`~cnnbook.models.specs.Architecture` into an uncompiled ``keras.Model`` (NHWC:
``(N, H, W, C)`` in), backend-agnostic.

Each layer spec becomes one Keras layer named by its label (``conv1``; a block's layers are
prefixed with the block's label, ``res1_conv2``, where torch says ``res1.conv2``; the block's
sum or concatenation is the layer ``res1``), so weights port name for name to the torch build
(:mod:`cnnbook.models.torch_build`; Keras flattens NHWC and torch NCHW, which
:mod:`cnnbook.models.port` handles). The model is written as Keras models usually are, and as the
book's hand-written Keras builders were, layer for layer:

- an activation right after a convolution or a dense layer is that layer's ``activation=``;
- batch norm takes torch's defaults (``epsilon=1e-5``; Keras' ``momentum=0.9`` is torch's
  ``momentum=0.1``), so the model behaves like its torch twin;
- a plain stack that flattens (the post's style) is a ``keras.Sequential``, anything else a
  functional ``keras.Model``;
- a final softmax stays (Keras' losses take probabilities or ``from_logits=True``).
"""

from __future__ import annotations

from typing import Any

from cnnbook._optional import needs
from cnnbook.models import layers as spec
from cnnbook.models.specs import Architecture

with needs("keras"):
    import keras
    from keras import layers

__all__ = ["build_keras"]

_Plan = list[tuple[spec.LayerSpec, str | None]]  # (spec, the activation fused into it)


def build_keras(architecture: Architecture, *, name: str = "spec") -> keras.Model:
    """A fresh, uncompiled Keras model of ``architecture`` called ``name``; its input is
    ``architecture.input_shape`` as ``(H, W, C)``, initialised from Keras' seed
    (``keras.utils.set_random_seed``)."""
    c, h, w = architecture.input_shape
    plan = _plan(architecture.layers)
    inputs = keras.Input(shape=(h, w, c))
    blocks = any(isinstance(layer, (spec.ResidualSpec, spec.SkipConcatSpec)) for layer, _ in plan)
    if not blocks and any(isinstance(layer, spec.FlattenSpec) for layer, _ in plan):
        model = keras.Sequential([inputs, *(_layer(layer, act, "") for layer, act in plan)],
                                 name=name)
    else:
        model = keras.Model(inputs, _apply(plan, inputs, ""), name=name)
    _fill_biases(model, architecture.layers, "")
    return model


def _plan(specs: tuple[spec.LayerSpec, ...]) -> _Plan:
    """``specs`` with each activation that follows a conv or dense layer fused into it."""
    plan: _Plan = []
    for layer in specs:
        if (isinstance(layer, spec.ActivationSpec) and plan and plan[-1][1] is None
                and isinstance(plan[-1][0], (spec.Conv2dSpec, spec.DenseSpec))):
            plan[-1] = (plan[-1][0], layer.name)
        else:
            plan.append((layer, None))
    return plan


def _apply(plan: _Plan, x: Any, prefix: str) -> Any:
    """The functional graph of ``plan`` on ``x``; blocks nest with ``{label}_`` names."""
    for layer, act in plan:
        if isinstance(layer, (spec.ResidualSpec, spec.SkipConcatSpec)):
            body = _apply(_plan(layer.body), x, f"{prefix}{layer.label}_")
            join = layers.Add if isinstance(layer, spec.ResidualSpec) else layers.Concatenate
            x = join(name=_name(layer, prefix))([x, body])  # (N, H, W, C [+ C_body])
        else:
            x = _layer(layer, act, prefix)(x)
    return x


def _name(layer: spec.LayerSpec, prefix: str) -> str | None:
    return None if layer.label is None else prefix + layer.label


def _padding(padding: Any, kernel: Any, stride: Any) -> str:
    """Keras' spelling of a torch padding: ``"valid"`` (0) or ``"same"`` ((k - 1) / 2, stride 1)."""
    if padding in (0, (0, 0), "valid"):
        return "valid"
    if padding == "same" or (stride in (1, (1, 1)) and isinstance(kernel, int)
                             and padding in ((kernel - 1) // 2, ((kernel - 1) // 2,) * 2)):
        return "same"
    raise ValueError(f"padding {padding!r} with kernel {kernel!r} and stride {stride!r} has no "
                     "Keras spelling")


def _layer(layer: spec.LayerSpec, activation: str | None, prefix: str) -> keras.layers.Layer:
    """The Keras layer of one spec (not a block)."""
    name = _name(layer, prefix)
    if isinstance(layer, spec.Conv2dSpec):
        if layer.groups != 1:
            raise ValueError(f"layer {name}: grouped convolutions (groups={layer.groups}) have "
                             "no Keras builder here; build the model in torch")
        return layers.Conv2D(layer.out_channels, layer.kernel_size, strides=layer.stride,
                             padding=_padding(layer.padding, layer.kernel_size, layer.stride),
                             dilation_rate=layer.dilation, use_bias=layer.bias,
                             activation=activation, name=name)
    if isinstance(layer, spec.DenseSpec):
        return layers.Dense(layer.out_features, activation=activation, use_bias=layer.bias,
                            name=name)
    if isinstance(layer, spec.Pool2dSpec):
        if layer.padding not in (0, (0, 0)):
            raise ValueError(f"a padded pooling ({layer.padding!r}) has no Keras spelling")
        pool = layers.MaxPooling2D if layer.mode == "max" else layers.AveragePooling2D
        return pool(layer.kernel_size, strides=layer.stride, name=name)
    if isinstance(layer, spec.FlattenSpec):
        return layers.Flatten(name=name)
    if isinstance(layer, spec.DropoutSpec):
        return layers.Dropout(layer.p, name=name)
    if isinstance(layer, spec.ActivationSpec):
        return layers.Activation(layer.name, name=name)
    if isinstance(layer, spec.BatchNorm2dSpec):
        return layers.BatchNormalization(epsilon=1e-5, momentum=0.9, name=name)
    if isinstance(layer, spec.GlobalPool2dSpec):
        pool = layers.GlobalMaxPooling2D if layer.mode == "max" else layers.GlobalAveragePooling2D
        return pool(name=name)
    if isinstance(layer, spec.ConvTranspose2dSpec):
        if layer.padding not in (0, (0, 0)):
            raise ValueError(f"a padded transposed conv ({layer.padding!r}) has no Keras "
                             "spelling")
        return layers.Conv2DTranspose(layer.out_channels, layer.kernel_size, strides=layer.stride,
                                      use_bias=layer.bias, name=name)
    raise TypeError(f"no Keras layer for {type(layer).__name__}")


def _fill_biases(model: keras.Model, specs: tuple[spec.LayerSpec, ...], prefix: str) -> None:
    """Apply each conv spec's ``bias_fill`` to the built model's layer of the same name."""
    for layer in specs:
        if isinstance(layer, (spec.ResidualSpec, spec.SkipConcatSpec)):
            _fill_biases(model, layer.body, f"{prefix}{layer.label}_")
        elif isinstance(layer, spec.Conv2dSpec) and layer.bias_fill is not None and layer.bias:
            bias = model.get_layer(_name(layer, prefix)).bias  # (C_out,)
            count, value = layer.bias_fill
            head = keras.ops.full((count,), value, dtype=bias.dtype)
            bias.assign(keras.ops.concatenate([head, bias.value[count:]]))
