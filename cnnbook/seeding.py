"""One call that seeds every random number generator a chapter may use.

``seed_everything(seed)`` seeds Python's :mod:`random`, NumPy's legacy global generator, and then
each framework **only if it is already imported**: torch (CPU and every CUDA device), TensorFlow
and Keras (``keras.utils.set_random_seed``, which also seeds TensorFlow's or torch's generator,
whichever backend Keras runs on).

Why "only if already imported": importing TensorFlow costs 5-7 s and Keras pulls in its backend,
so seeding must never be the thing that imports them. A chapter that uses torch has imported it
before it trains, so ``seed_everything`` called right before training reaches it. Seeding is cheap:
call it again right before each training run to make that run repeatable on its own.

``PYTHONHASHSEED`` is not touched: hash randomisation is fixed when the interpreter starts, so set
it in the environment (``make`` and CI set ``PYTHONHASHSEED=0``).

This module is light: it imports no framework at module top.
"""

from __future__ import annotations

import random
import sys

import numpy as np


def seed_everything(seed: int) -> list[str]:
    """Seed Python, NumPy and every already-imported framework with ``seed``.

    Args:
        seed: a non-negative integer below 2**32.

    Returns:
        The names of the generators that were seeded, e.g. ``["random", "numpy", "torch"]``;
        chapters may print them.

    Raises:
        ValueError: if ``seed`` is not an integer in ``[0, 2**32)``.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2**32), got {seed!r}")
    seed = int(seed)
    seeded = ["random", "numpy"]
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - the legacy global generator is what user code draws from

    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)  # also seeds every CUDA device
        seeded.append("torch")
    keras = sys.modules.get("keras")
    if keras is not None:
        keras.utils.set_random_seed(seed)  # Python, NumPy and the backend's generator
        seeded.append("keras")
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        tf.random.set_seed(seed)
        seeded.append("tensorflow")
    return seeded
