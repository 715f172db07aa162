"""cnnbook: the companion package of the *cnnbook* Jupyter Book on convolutional neural networks.

The package root is deliberately light: it imports NumPy-free configuration only. Framework code
lives in framework modules that load on first use:

- ``cnnbook.datasets``: MNIST, Fashion-MNIST and CIFAR-10 loaders (NumPy, uint8).
- ``cnnbook.ops``: convolution, pooling, softmax and cross-entropy kernels in NumPy (NCHW).
- ``cnnbook.models``: layer specs and shape arithmetic, the catalogue of the book's models, their
  torch (NCHW) and Keras (NHWC) builders, and weight porting between them.
- ``cnnbook.training``: a small Keras-like ``fit`` / ``evaluate`` for PyTorch.
- ``cnnbook.plots``: figures used across the book, in one style.
- ``cnnbook.cli``: ``python -m cnnbook``.

ARCHITECTURE.md (in the repository) says what may import what.

``import cnnbook`` never imports torch, TensorFlow or Keras; a test checks it.
"""

from __future__ import annotations

from cnnbook.config import Profile, get_profile, get_seed

__version__ = "0.3.0"

__all__ = ["Profile", "get_profile", "get_seed", "__version__"]
