"""Saving and loading trained models: one home for every format cnnbook writes.

- :mod:`cnnbook.saving.manifest` (light): the ``checkpoint.json`` both checkpoint formats commit
  last: :data:`~cnnbook.saving.manifest.FORMATS`, the one metadata builder
  (:func:`~cnnbook.saving.manifest.new_manifest`), the one content-addressed commit with rollback
  (:func:`~cnnbook.saving.manifest.commit_checkpoint`), the folder and pickle check
  (:func:`~cnnbook.saving.manifest.checkpoint_folder`) and every check made before a model is
  built (:func:`~cnnbook.saving.manifest.check_checkpoint`).
- :mod:`cnnbook.saving.torch_checkpoint` (torch, safetensors): :func:`save_checkpoint`,
  :func:`load_checkpoint`, :class:`Checkpoint`.
- :mod:`cnnbook.saving.keras_checkpoint` (Keras): :func:`save_keras_checkpoint`,
  :func:`load_keras_checkpoint` (``safe_mode=True``), :class:`KerasCheckpoint`.
- :mod:`cnnbook.saving.keras_archive` (light, h5py): a ``.keras`` file read without Keras.
- :mod:`cnnbook.saving.browser` (NumPy): a trained model as one file a web page runs
  (:func:`export_model`, :func:`read_export`; :func:`load_exported` imports torch).
- :mod:`cnnbook.saving.atomic` (light): the atomic write every format uses.

:func:`format_of` says which format a path holds without loading it or importing a framework.
``import cnnbook.saving`` loads no framework; a name loads its module on first use.

Moved here in 0.3.0 from ``cnnbook.training.checkpoints``, ``cnnbook.models.keras_saving``,
``cnnbook.models.manifest``, ``cnnbook.models.keras_archive`` and ``cnnbook.models.export``,
which keep working, with a ``DeprecationWarning``, until 0.4.0.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cnnbook import _lazy

if TYPE_CHECKING:
    from cnnbook.saving.browser import (
        ExportedModel as ExportedModel,
        ExportError as ExportError,
        export_model as export_model,
        load_exported as load_exported,
        read_export as read_export,
    )
    from cnnbook.saving.keras_checkpoint import (
        KerasCheckpoint as KerasCheckpoint,
        load_keras_checkpoint as load_keras_checkpoint,
        save_keras_checkpoint as save_keras_checkpoint,
    )
    from cnnbook.saving.manifest import (
        FORMATS as FORMATS,
        MANIFEST as MANIFEST,
        SavedCheckpoint as SavedCheckpoint,
    )
    from cnnbook.saving.torch_checkpoint import (
        Checkpoint as Checkpoint,
        load_checkpoint as load_checkpoint,
        save_checkpoint as save_checkpoint,
    )

__getattr__, __dir__, _LAZY = _lazy.attach(__name__, __file__)
__all__ = ["format_of", *_LAZY]

Format = Literal["torch", "keras", "browser"]


def format_of(path: str | Path) -> Format | None:
    """Which of cnnbook's formats ``path`` holds, from its manifest or header alone (nothing is
    loaded, no framework imported): ``"torch"`` or ``"keras"`` for a checkpoint folder (or its
    ``checkpoint.json``), ``"browser"`` for a browser export (a ``.json`` or ``.js`` file),
    ``None`` for anything else (no such path, no readable manifest, another format)."""
    from cnnbook.saving.browser import export_format
    from cnnbook.saving.manifest import FORMATS, MANIFEST, manifest_format

    path = Path(path)
    if path.is_file() and path.name != MANIFEST:
        return "browser" if export_format(path) == FORMATS["browser"][0] else None
    found = manifest_format(path)
    if found == FORMATS["torch"][0]:
        return "torch"
    return "keras" if found == FORMATS["keras"][0] else None
