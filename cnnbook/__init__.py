"""cnnbook: the companion package of the *cnnbook* Jupyter Book on convolutional neural networks.

The package root is deliberately light: it imports NumPy-free configuration only. Framework code
lives in framework modules that load on first use:

- ``cnnbook.datasets``: MNIST, Fashion-MNIST and CIFAR-10 loaders (NumPy, uint8).
- ``cnnbook.ops``: convolution, pooling, softmax and cross-entropy from scratch in NumPy (NCHW).
- ``cnnbook.keras_models`` / ``cnnbook.torch_models``: the post's three models (Keras is NHWC,
  torch is NCHW).
- ``cnnbook.torch_training``: a small Keras-like ``fit`` / ``evaluate`` for PyTorch.
- ``cnnbook.plots``: figures used across the book.

``import cnnbook`` never imports torch, TensorFlow or Keras; a test checks it.
"""

from __future__ import annotations

from cnnbook.config import Profile, get_profile

__version__ = "0.1.0"

__all__ = ["Profile", "get_profile", "__version__"]
