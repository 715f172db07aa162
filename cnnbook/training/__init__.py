"""Training PyTorch classifiers: a Keras-like ``fit`` / ``evaluate``, batching and devices.

- :mod:`cnnbook.training.fit`: :func:`fit`, :func:`evaluate` and :class:`History`.
- :mod:`cnnbook.training.batching`: :class:`TensorBatches`, mini-batches kept on the device.
- :mod:`cnnbook.training.devices`: :func:`resolve_device` and :func:`sync`.
- :mod:`cnnbook.training.loops`: the minimal hand-written epoch that ``fit`` is measured against.

Inputs are NCHW ``(N, C, H, W)`` floats with integer labels ``(N,)``. This is a framework package:
importing it imports torch (or raises an ImportError naming ``pip install 'cnnbook[torch]'``).
"""

from __future__ import annotations

from cnnbook.training.batching import TensorBatches
from cnnbook.training.devices import resolve_device, sync
from cnnbook.training.fit import History, evaluate, fit

__all__ = ["History", "TensorBatches", "evaluate", "fit", "resolve_device", "sync"]
