"""The ``checkpoint.json`` that both checkpoint formats commit last (light: JSON and the catalogue).

:mod:`cnnbook.training.checkpoints` (torch, safetensors) and :mod:`cnnbook.models.keras_saving`
(Keras, ``.keras``) each write a folder whose ``checkpoint.json`` names its ``format``,
``format_version`` and catalogue ``model``; :func:`read_manifest` reads and checks it for both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cnnbook.models import catalogue

__all__ = ["MANIFEST", "manifest_format", "read_manifest"]

MANIFEST = "checkpoint.json"


def manifest_format(path: str | Path) -> str | None:
    """The ``format`` of the checkpoint at ``path`` (a folder or its ``checkpoint.json``), or
    ``None`` when there is no readable manifest."""
    manifest = Path(path)
    manifest = manifest if manifest.name == MANIFEST else manifest / MANIFEST
    try:
        value = json.loads(manifest.read_text()).get("format")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def read_manifest(folder: Path, fmt: str, version: int) -> dict[str, Any]:
    """The manifest of the checkpoint ``folder``, checked to be ``fmt`` version ``version`` and to
    name a catalogue model.

    Raises:
        ValueError: one line naming the manifest: invalid JSON, another format or version, or a
            model that is not in the catalogue.
    """
    manifest = folder / MANIFEST
    try:
        meta = json.loads(manifest.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{manifest}: not valid JSON ({err})") from None
    if meta.get("format") != fmt or meta.get("format_version") != version:
        raise ValueError(f"{manifest}: not a {fmt} version {version} file")
    name = meta["model"]["name"]
    if name not in catalogue.CATALOGUE:
        raise ValueError(f"{manifest}: model {name!r} is not in the catalogue; "
                         f"choose from {', '.join(catalogue.CATALOGUE)}")
    return dict(meta)
