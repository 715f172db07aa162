"""Training PyTorch classifiers: a Keras-like ``fit``, augmentation, callbacks and checkpoints.

- :mod:`cnnbook.training.fit`: :func:`fit`, :func:`evaluate`, :func:`predict` and :class:`History`.
- :mod:`cnnbook.training.batching`: :class:`TensorBatches`, mini-batches kept on the device, and
  :func:`split_validation` (Keras' ``validation_split``).
- :mod:`cnnbook.training.augment`: random crop, flip and cutout on the device; :func:`compose`.
- :mod:`cnnbook.training.recipe`: named training recipes (:data:`~.recipe.ONECYCLE`, the one
  ``training_well`` arrives at), each giving ``fit``'s optimizer, schedule, loss and
  augmentation by name: ``get_recipe("onecycle").fit_options(model, ...)``.
- :mod:`cnnbook.training.transfer`: :func:`~.transfer.freeze` and :func:`~.transfer.unfreeze` by
  module name, :func:`~.transfer.param_groups` (a learning rate per module) and
  :func:`~.transfer.load_backbone` (a checkpoint's weights under a new head).
- :mod:`cnnbook.training.callbacks`: :class:`EarlyStopping` and :class:`BestCheckpoint` (which
  saves from rank 0 only under DDP).
- :func:`save_checkpoint` / :func:`load_checkpoint` / :class:`Checkpoint`, from
  :mod:`cnnbook.saving.torch_checkpoint` (safetensors and JSON, no pickle); loaded on first use,
  because they need ``safetensors``.
- :mod:`cnnbook.training.epoch`: the inner loop (no value read back per step).
- :mod:`cnnbook.training.speed`: the ``channels_last``, ``precision`` and ``compile`` options.
- :mod:`cnnbook.training.distributed`: torchrun/DDP (:func:`init_distributed`, ranks).
- :mod:`cnnbook.training.devices`: :func:`resolve_device` and :func:`sync`.
- :mod:`cnnbook.training.loops`: the minimal hand-written epoch that ``fit`` is measured against.

Inputs are NCHW ``(N, C, H, W)`` floats with integer labels ``(N,)`` or one-hot labels ``(N, K)``.
This is a framework package: importing it imports torch (or raises an ImportError naming
``pip install 'cnnbook[torch] @ git+https://github.com/cnnbook/cnnbook@main'``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnnbook import _lazy
from cnnbook.training.batching import TensorBatches, split_validation
from cnnbook.training.callbacks import BestCheckpoint, Callback, EarlyStopping
from cnnbook.training.devices import resolve_device, sync
from cnnbook.training.fit import History, evaluate, fit, predict

if TYPE_CHECKING:  # loaded on first use: they need safetensors
    from cnnbook.saving.torch_checkpoint import (
        Checkpoint as Checkpoint,
        load_checkpoint as load_checkpoint,
        save_checkpoint as save_checkpoint,
    )

__getattr__, __dir__, _LAZY = _lazy.attach(__name__, __file__)
__all__ = ["BestCheckpoint", "Callback", "EarlyStopping", "History", "TensorBatches", "evaluate",
           "fit", "predict", "resolve_device", "split_validation", "sync", *_LAZY]
