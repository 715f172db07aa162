"""Copy trained weights between a Keras model and its PyTorch twin, in both directions.

The two frameworks store the same numbers in different layouts; each difference is handled by one
small function below, so a chapter can show (and a test can check) each on its own:

=========================  ==============================  ==============================
What                       Keras                           torch
=========================  ==============================  ==============================
convolution kernel         ``(kh, kw, in, out)`` (HWIO)    ``(out, in, kh, kw)`` (OIHW)
dense matrix               ``(in, out)``                   ``(out, in)``
first dense after Flatten  rows in ``(h, w, c)`` order     columns in ``(c, h, w)`` order
=========================  ==============================  ==============================

Functions: :func:`conv_kernel_keras_to_torch` / :func:`conv_kernel_torch_to_keras`,
:func:`dense_keras_to_torch` / :func:`dense_torch_to_keras`, and :func:`flatten_permutation`.

The last row is the subtle one. Keras works on NHWC tensors, so ``Flatten`` lays a feature map out
as ``h, w, c`` (channel fastest); torch works on NCHW, so ``torch.flatten`` gives ``c, h, w``.
Copying the dense matrix after transposing it is then *almost* right: the shapes match, nothing
raises, and the model predicts garbage. ``permute_flatten=False`` keeps that bug, for the chapter.

Layers are matched **by name**: every Keras layer that holds weights (``Conv2D``, ``Dense``,
``BatchNormalization``) must have a torch submodule of the same attribute name (``conv1``,
``fc1``...; a nested name such as ``res1.conv1`` matches the Keras name ``res1_conv1``, or its
last part ``conv1`` when that is unique), and
every torch submodule that holds parameters must have a Keras counterpart. Anything else raises a
``ValueError`` that names the layers.

This is a framework module: it imports torch and Keras at module top (``import cnnbook`` does not
import it). Keras may run on any backend; weights travel as float32 NumPy arrays.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from cnnbook._optional import needs

with needs("keras", "torch"):
    import keras
    import torch
    from torch import nn

__all__ = [
    "conv_kernel_keras_to_torch",
    "conv_kernel_torch_to_keras",
    "dense_keras_to_torch",
    "dense_torch_to_keras",
    "flatten_permutation",
    "keras_to_torch",
    "torch_to_keras",
]

FeatureShape = tuple[int, int, int]  # (height, width, channels) of the map that Flatten receives


# --- one function per layout difference ------------------------------------------------------


def conv_kernel_keras_to_torch(kernel: np.ndarray) -> np.ndarray:
    """Keras ``Conv2D`` kernel ``(kh, kw, in, out)`` (HWIO) -> torch ``(out, in, kh, kw)``."""
    if kernel.ndim != 4:
        raise ValueError(f"a Conv2D kernel has 4 dimensions (HWIO), got shape {kernel.shape}")
    return np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))


def conv_kernel_torch_to_keras(weight: np.ndarray) -> np.ndarray:
    """torch ``Conv2d`` weight ``(out, in, kh, kw)`` (OIHW) -> Keras ``(kh, kw, in, out)``."""
    if weight.ndim != 4:
        raise ValueError(f"a Conv2d weight has 4 dimensions (OIHW), got shape {weight.shape}")
    return np.ascontiguousarray(weight.transpose(2, 3, 1, 0))


def flatten_permutation(height: int, width: int, channels: int) -> np.ndarray:
    """Index map from torch's flattened ``(c, h, w)`` order to Keras's ``(h, w, c)`` order.

    ``perm[j]`` is the position, in a Keras-flattened NHWC feature map, of the value that sits at
    position ``j`` of the torch-flattened NCHW map. So ``torch_flat = keras_flat[perm]``.

    Example: ``flatten_permutation(1, 2, 3)`` is ``[0, 3, 1, 4, 2, 5]``: torch first takes channel 0
    at both positions (Keras indices 0 and 3), then channel 1, then channel 2.
    """
    if min(height, width, channels) < 1:
        raise ValueError(f"feature-map sizes must be positive, got {(height, width, channels)}")
    keras_index = np.arange(height * width * channels).reshape(height, width, channels)  # (h, w, c)
    return keras_index.transpose(2, 0, 1).ravel()  # (c*h*w,) in torch order


def dense_keras_to_torch(
    kernel: np.ndarray, flatten_shape: FeatureShape | None = None
) -> np.ndarray:
    """Keras ``Dense`` kernel ``(in, out)`` -> torch ``Linear`` weight ``(out, in)``.

    Args:
        kernel: the Keras kernel.
        flatten_shape: ``(h, w, c)`` of the feature map that a ``Flatten`` turned into this layer's
            input, or ``None`` when the input was already flat. When given, the rows are reordered
            from ``(h, w, c)`` to ``(c, h, w)`` with :func:`flatten_permutation`.
    """
    if kernel.ndim != 2:
        raise ValueError(f"a Dense kernel has 2 dimensions (in, out), got shape {kernel.shape}")
    if flatten_shape is not None:
        perm = flatten_permutation(*flatten_shape)
        if perm.size != kernel.shape[0]:
            raise ValueError(
                f"feature map {flatten_shape} flattens to {perm.size} values, "
                f"but the Dense kernel has {kernel.shape[0]} rows"
            )
        kernel = kernel[perm]  # rows now in (c, h, w) order
    return np.ascontiguousarray(kernel.T)


def dense_torch_to_keras(
    weight: np.ndarray, flatten_shape: FeatureShape | None = None
) -> np.ndarray:
    """torch ``Linear`` weight ``(out, in)`` -> Keras ``Dense`` kernel ``(in, out)``.

    The inverse of :func:`dense_keras_to_torch` (same meaning of ``flatten_shape``).
    """
    if weight.ndim != 2:
        raise ValueError(f"a Linear weight has 2 dimensions (out, in), got shape {weight.shape}")
    kernel = weight.T  # (in, out), rows in torch's (c, h, w) order
    if flatten_shape is None:
        return np.ascontiguousarray(kernel)
    perm = flatten_permutation(*flatten_shape)
    if perm.size != kernel.shape[0]:
        raise ValueError(
            f"feature map {flatten_shape} flattens to {perm.size} values, "
            f"but the Linear weight has {kernel.shape[0]} columns"
        )
    out = np.empty_like(kernel)
    out[perm] = kernel  # undo kernel_torch = kernel_keras[perm]
    return out


# --- walking the two models ------------------------------------------------------------------

_PAIRS: tuple[tuple[type, tuple[type, ...]], ...] = (
    (keras.layers.Conv2D, (nn.Conv2d,)),
    (keras.layers.Dense, (nn.Linear,)),
    (keras.layers.BatchNormalization, (nn.BatchNorm1d, nn.BatchNorm2d)),
)


def _keras_layers(model: keras.Model) -> Iterator[tuple[keras.layers.Layer, FeatureShape | None]]:
    """Each Keras layer that holds weights, with the ``(h, w, c)`` shape a preceding Flatten
    flattened (only for the first weighted layer after that Flatten; ``None`` otherwise)."""
    if not model.built:
        raise ValueError("build the Keras model first (give it an Input shape or call it once)")
    pending: FeatureShape | None = None
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            raise ValueError(
                f"nested model {layer.name!r}: port its layers model by model")
        if isinstance(layer, keras.layers.Flatten):
            shape = tuple(layer.input.shape[1:])  # (h, w, c) for channels_last
            if len(shape) == 3 and layer.data_format != "channels_first":
                pending = (int(shape[0]), int(shape[1]), int(shape[2]))
            continue
        if not layer.weights:
            continue
        if not isinstance(layer, tuple(k for k, _ in _PAIRS)):
            raise ValueError(
                f"cannot port Keras layer {layer.name!r} ({type(layer).__name__})")
        yield layer, pending if isinstance(layer, keras.layers.Dense) else None
        pending = None


def _torch_modules(model: nn.Module) -> dict[str, nn.Module]:
    """Submodules that hold parameters of their own, by their full attribute name."""
    return {
        name: module
        for name, module in model.named_modules()
        if name and any(True for _ in module.parameters(recurse=False))
    }


def _match(keras_model: keras.Model, torch_model: nn.Module):
    """Pair each weighted Keras layer with its torch submodule; raise on any mismatch."""
    modules = _torch_modules(torch_model)
    pairs = []
    used: set[str] = set()
    for layer, flatten_shape in _keras_layers(keras_model):
        name = layer.name
        # A nested torch module ``res1.conv1`` is the Keras layer ``res1_conv1`` (Keras layer
        # names cannot hold dots).
        dotted = {full.replace(".", "_"): full for full in modules}
        if name in modules:
            key = name
        elif name in dotted:
            key = dotted[name]
        else:
            found = [full for full in modules if full.rsplit(".", 1)[-1] == name]
            if len(found) != 1:
                raise ValueError(
                    f"Keras layer {name!r} has no single torch counterpart "
                    f"(torch layers with weights: {sorted(modules)})"
                )
            key = found[0]
        module = modules[key]
        expected = next(t for k, t in _PAIRS if isinstance(layer, k))
        if not isinstance(module, expected):
            raise ValueError(
                f"layer {name!r} is a Keras {type(layer).__name__} "
                f"but a torch {type(module).__name__}"
            )
        used.add(key)
        pairs.append((layer, module, flatten_shape))
    extra = sorted(set(modules) - used)
    if extra:
        raise ValueError(f"torch layers with no Keras counterpart: {extra}")
    return pairs


def _check_shape(name: str, what: str, got: tuple, want: tuple) -> None:
    if tuple(got) != tuple(want):
        raise ValueError(f"layer {name!r}: {what} has shape {tuple(got)}, expected {tuple(want)}")


def keras_to_torch(
    keras_model: keras.Model, torch_model: nn.Module, *, permute_flatten: bool = True
) -> nn.Module:
    """Copy every weight of ``keras_model`` into ``torch_model`` (in place) and return it.

    Args:
        keras_model: a built Keras model (NHWC, any backend).
        torch_model: its torch twin (NCHW) with submodules named like the Keras layers.
        permute_flatten: reorder the rows of the first dense layer after each ``Flatten``
            (see :func:`flatten_permutation`). ``False`` reproduces the classic porting bug.

    Raises:
        ValueError: when layers do not match by name, type or weight shape.
    """
    with torch.no_grad():
        for layer, module, flatten_shape in _match(keras_model, torch_model):
            weights = [np.asarray(w, dtype=np.float32) for w in layer.get_weights()]
            if isinstance(layer, keras.layers.Conv2D):
                values = [conv_kernel_keras_to_torch(weights[0]), *weights[1:]]
                targets = [module.weight, module.bias]
            elif isinstance(layer, keras.layers.Dense):
                shape = flatten_shape if permute_flatten else None
                values = [dense_keras_to_torch(weights[0], shape), *weights[1:]]
                targets = [module.weight, module.bias]
            else:  # BatchNormalization: gamma, beta, moving mean, moving variance
                _check_batchnorm(layer, module)
                values = weights
                targets = [module.weight, module.bias, module.running_mean, module.running_var]
            targets = [t for t in targets if t is not None]
            if len(values) != len(targets):
                raise ValueError(f"layer {layer.name!r}: {len(values)} Keras weights "
                                 f"but {len(targets)} torch tensors (bias on one side only?)")
            for index, (value, target) in enumerate(zip(values, targets, strict=True)):
                _check_shape(layer.name, f"weight {index}", value.shape, target.shape)
                target.copy_(torch.from_numpy(value).to(target.device, target.dtype))
    return torch_model


def torch_to_keras(
    torch_model: nn.Module, keras_model: keras.Model, *, permute_flatten: bool = True
) -> keras.Model:
    """Copy every weight of ``torch_model`` into ``keras_model`` (in place) and return it.

    The inverse of :func:`keras_to_torch`, with the same arguments and errors.
    """
    def numpy(t: torch.Tensor) -> np.ndarray:
        return t.detach().cpu().to(torch.float32).numpy()

    def optional(t: torch.Tensor | None) -> np.ndarray | None:
        return None if t is None else numpy(t)

    for layer, module, flatten_shape in _match(keras_model, torch_model):
        current = layer.get_weights()

        if isinstance(layer, keras.layers.Conv2D):
            values = [conv_kernel_torch_to_keras(numpy(module.weight)), optional(module.bias)]
        elif isinstance(layer, keras.layers.Dense):
            shape = flatten_shape if permute_flatten else None
            values = [dense_torch_to_keras(numpy(module.weight), shape), optional(module.bias)]
        else:
            _check_batchnorm(layer, module)
            values = [numpy(module.weight), numpy(module.bias),
                      numpy(module.running_mean), numpy(module.running_var)]
        present = [v for v in values if v is not None]
        if len(present) != len(current):
            raise ValueError(f"layer {layer.name!r}: {len(present)} torch tensors "
                             f"but {len(current)} Keras weights (bias on one side only?)")
        for index, (value, old) in enumerate(zip(present, current, strict=True)):
            _check_shape(layer.name, f"weight {index}", value.shape, old.shape)
        layer.set_weights(present)
    return keras_model


# --- batch normalisation ----------------------------------------------------------------------


def _check_batchnorm(layer: keras.layers.BatchNormalization, module: nn.Module) -> None:
    """Keras keeps gamma, beta, moving mean, moving variance: torch's order when both are affine."""
    if not np.isclose(layer.epsilon, float(module.eps)):  # type: ignore[arg-type]
        raise ValueError(f"layer {layer.name!r}: epsilon {layer.epsilon} (Keras) "
                         f"!= {module.eps} (torch); outputs would differ")
    if not (layer.scale and layer.center) or not module.affine:
        raise ValueError(f"layer {layer.name!r}: only BatchNormalization(scale=True, center=True) "
                         "ports, to a torch BatchNorm with affine=True")
