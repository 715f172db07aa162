"""TensorFlow adapter: NumPy uint8 images -> a batched ``tf.data.Dataset``, NHWC float32 in [0, 1].

Input images are uint8 ``(N, H, W)`` (grey; a channel axis is added) or ``(N, H, W, C)`` channels
last, labels ``(N,)``; batches are ``(B, H, W, C)`` float32 and int64 ``(B,)`` or one-hot float32
``(B, K)`` labels.
"""

from __future__ import annotations

import numpy as np

from cnnbook._optional import needs

with needs("tensorflow"):
    import tensorflow as tf

def _scale(images: tf.Tensor, labels: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    return tf.cast(images, tf.float32) / 255.0, labels


def to_tf_dataset(x: np.ndarray, y: np.ndarray, *, batch_size: int, shuffle: bool, seed: int,
                  one_hot: bool = False, num_classes: int | None = None) -> tf.data.Dataset:
    """Batches of ``(images (B, H, W, C) float32 in [0, 1], labels)``, channels last as Keras wants.

    Args:
        x: uint8 images ``(N, H, W)`` (a channel axis is added) or ``(N, H, W, C)``.
        y: integer labels ``(N,)``; int64, or one-hot float32 ``(N, K)`` when ``one_hot``.
        shuffle: reshuffle each epoch with a buffer of the whole set, seeded by ``seed``.
        num_classes: K for ``one_hot`` (default: ``y.max() + 1``).
    """
    if len(x) != len(y):
        raise ValueError(f"{len(x)} images but {len(y)} labels")
    images = np.asarray(x)
    if images.ndim == 3:
        images = images[..., np.newaxis]  # (N, H, W, 1)
    if images.ndim != 4:
        raise ValueError(f"expected images (N, H, W) or (N, H, W, C), got {tuple(np.shape(x))}")
    labels: np.ndarray = np.asarray(y).astype(np.int64)  # (N,)
    if one_hot:
        k = num_classes if num_classes is not None else int(labels.max()) + 1
        labels = np.eye(k, dtype=np.float32)[labels]  # (N, K)
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    if shuffle:
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).map(_scale, num_parallel_calls=tf.data.AUTOTUNE)
