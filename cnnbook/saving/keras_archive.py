"""What a ``.keras`` file holds, read without Keras and without building anything (light:
zipfile, JSON, and h5py's metadata when called).

Keras 3 writes a model as a zip of ``metadata.json``, ``config.json`` (the layers, each with the
input shape it was built for) and ``model.weights.h5`` (the weights, plus the optimizer's under
``optimizer/``). ``keras.saving.load_model`` builds every layer the config describes before it
reads a weight, so :func:`keras_file_values`, called by
:func:`cnnbook.saving.manifest.check_checkpoint`, checks both first: the zip holds these members
and no others, each within a size limit; every layer of the config is of a kind the catalogue's
Keras builders use, and the weights it declares add up to what the catalogue expects; and the
weight shapes stored in the HDF5 file (read from its metadata, not its data) add up to the same.
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path
from typing import Any

__all__ = ["keras_file_values"]

CONFIG_BYTES = 16 * 2**20
BYTES_PER_VALUE = 64  # model.weights.h5: float32 weights and the optimizer's, with room to spare
_WEIGHTLESS = frozenset({"InputLayer", "MaxPooling2D", "Flatten", "Dropout", "Activation",
                         "GlobalMaxPooling2D", "Add"})
_WEIGHTED = frozenset({"Conv2D", "Dense", "BatchNormalization"})
_MODELS = frozenset({"Sequential", "Functional"})


def _count(value: Any) -> int:
    """A size from the config: a non-negative integer (no bool), else a TypeError."""
    if type(value) is not int or value < 0:
        raise TypeError(value)
    return value


def _layer_values(kind: str, config: dict[str, Any], shape: list[Any]) -> int:
    """Weights of one layer (Keras' channels-last layout) built for the input ``shape``."""
    if kind == "Dense":  # kernel (in, units) and bias (units,)
        units = _count(config["units"])
        return _count(shape[-1]) * units + units * bool(config["use_bias"])
    if kind == "Conv2D":  # kernel (kh, kw, in / groups, filters) and bias (filters,)
        last = config.get("data_format", "channels_last") == "channels_last"
        channels, groups = _count(shape[-1] if last else shape[1]), _count(config["groups"])
        kh, kw = (_count(k) for k in config["kernel_size"])
        filters = _count(config["filters"])
        return kh * kw * (channels // max(groups, 1)) * filters + filters * bool(config["use_bias"])
    # BatchNormalization: gamma and beta (if scale and center), moving mean and variance
    channels = _count(shape[config["axis"]])
    return channels * (2 + bool(config["center"]) + bool(config["scale"]))


def _config_values(config: Any, path: Path) -> int:
    """The weights that ``config.json`` makes Keras allocate, from each layer's build shape."""
    try:
        kinds = [config["class_name"], *(layer["class_name"] for layer in
                                         config["config"]["layers"])]
    except (KeyError, TypeError):
        raise ValueError(f"{path}: config.json is not a Keras model's config") from None
    unknown = [k for k in kinds[1:] if k not in _WEIGHTLESS | _WEIGHTED]
    if kinds[0] not in _MODELS or unknown:
        kind = unknown[0] if unknown else kinds[0]
        raise ValueError(f"{path}: config.json has a {str(kind)[:40]!r} layer, which no "
                         "catalogue model has; refusing it before Keras reads it")
    total = 0
    for layer in config["config"]["layers"]:
        if layer["class_name"] in _WEIGHTED:
            try:
                total += _layer_values(layer["class_name"], layer["config"],
                                       layer["build_config"]["input_shape"])
            except (KeyError, TypeError, IndexError, ValueError):
                name = str(layer.get("config", {}).get("name"))[:40]
                raise ValueError(f"{path}: config.json's layer {name!r} has no valid sizes "
                                 "and build shape") from None
    return total


def _stored_values(archive: zipfile.ZipFile, path: Path) -> int:
    """Values in ``model.weights.h5`` outside ``optimizer/``, from the datasets' shapes."""
    import h5py  # Keras' own dependency: only a Keras checkpoint gets here

    total = 0

    def visit(name: str, item: Any) -> None:
        nonlocal total
        if isinstance(item, h5py.Dataset) and not name.startswith("optimizer/"):
            total += 0 if item.shape is None else math.prod(item.shape)

    try:
        with archive.open("model.weights.h5") as raw, h5py.File(raw, "r") as weights:
            weights.visititems(visit)
    except zipfile.BadZipFile as err:  # a CRC-32 that does not match
        raise ValueError(f"{path}: the file is damaged ({err})") from None
    except (OSError, ValueError, KeyError) as err:
        raise ValueError(f"{path}: model.weights.h5 is not readable HDF5 "
                         f"({str(err).splitlines()[0] if str(err) else type(err).__name__})"
                         ) from None
    return total


def keras_file_values(path: Path, expected: int) -> int:
    """The weight values stored in the ``.keras`` file ``path``, after checking its members and
    that its ``config.json`` declares ``expected`` weight values; one-line ``ValueError``s."""
    limits = {"metadata.json": 2**20, "config.json": CONFIG_BYTES,
              "model.weights.h5": BYTES_PER_VALUE * expected + 2**24}
    if path.stat().st_size > sum(limits.values()):
        raise ValueError(f"{path}: {path.stat().st_size:,} bytes, more than a Keras model with "
                         f"{expected:,} weight values needs")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise ValueError(f"{path}: not a .keras file (a zip archive)") from None
    with archive:
        members = archive.infolist()
        names = [m.filename for m in members]
        if sorted(set(names)) != sorted(names) or not {"config.json", "model.weights.h5"} <= {
                *names} <= limits.keys():
            raise ValueError(f"{path}: holds {sorted(names)[:5]}, not a Keras model's "
                             "metadata.json, config.json and model.weights.h5")
        for member in members:
            if member.file_size > limits[member.filename]:
                raise ValueError(f"{path}: its {member.filename} unpacks to "
                                 f"{member.file_size:,} bytes, more than the limit of "
                                 f"{limits[member.filename]:,}")
        try:
            config = json.loads(archive.read("config.json"))
        except zipfile.BadZipFile as err:
            raise ValueError(f"{path}: the file is damaged ({err})") from None
        except (ValueError, RecursionError) as err:  # RecursionError: nested too deeply
            raise ValueError(f"{path}: config.json is not readable JSON ({err})") from None
        declared = _config_values(config, path)
        if declared != expected:
            raise ValueError(f"{path}: its config.json builds {declared:,} weight values, but "
                             f"the catalogue model has {expected:,}")
        return _stored_values(archive, path)
