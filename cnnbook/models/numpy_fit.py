"""Training a :class:`~cnnbook.models.numpy_build.NumpyNet`: SGD with momentum and a mini-batch
loop, NumPy only: what ``model.fit`` (Keras) or ``cnnbook.training.fit`` (torch) do for you.

- :class:`SGD` is ``torch.optim.SGD`` written out (same update, same result for the same
  gradients): ``v = momentum * v + (g + weight_decay * p)``, ``p -= lr * v``.
- :func:`fit_numpy` shuffles with a generator seeded from ``(seed, epoch)``, takes one step per
  mini-batch and records the loss of every step, the epoch's mean loss and training accuracy,
  and the validation accuracy when validation data is given; a progress bar over the epochs
  where one helps (:func:`cnnbook.progress.progress`).
- :func:`evaluate_numpy` and :func:`predict_numpy` run in evaluation mode, batched.

Inputs are NCHW floats ``(N, C, H, W)``, labels integers ``(N,)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnbook.arrays import batches
from cnnbook.models.numpy_build import NumpyNet
from cnnbook.progress import progress

__all__ = ["SGD", "evaluate_numpy", "fit_numpy", "predict_numpy"]


class SGD:
    """Stochastic gradient descent with momentum, as ``torch.optim.SGD(params, lr, momentum,
    weight_decay=...)`` (no dampening, not Nesterov)."""

    def __init__(self, net: NumpyNet, lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0) -> None:
        if lr <= 0 or not 0 <= momentum < 1 or weight_decay < 0:
            raise ValueError(f"need lr > 0, 0 <= momentum < 1, weight_decay >= 0; got {lr}, "
                             f"{momentum}, {weight_decay}")
        self.net, self.lr, self.momentum, self.weight_decay = net, lr, momentum, weight_decay
        self.velocity = {k: np.zeros_like(v) for k, v in net.parameters().items()}

    def step(self) -> None:
        """Update every parameter from the gradients of the last ``backward``."""
        grads = self.net.gradients()
        for key, param in self.net.parameters().items():
            grad = grads[key] + self.weight_decay * param if self.weight_decay else grads[key]
            velocity = self.velocity[key]
            velocity *= self.momentum
            velocity += grad
            param -= self.lr * velocity  # in place: the net's own array


def predict_numpy(net: NumpyNet, x: np.ndarray, *, batch_size: int = 500) -> np.ndarray:
    """Logits ``(N, classes)`` of ``x`` ``(N, C, H, W)`` in evaluation mode (no dropout)."""
    return np.concatenate([net.forward(x[part]) for part in batches(len(x), batch_size)])


def evaluate_numpy(net: NumpyNet, x: np.ndarray, y: np.ndarray, *,
                   batch_size: int = 500) -> float:
    """Accuracy of ``net`` on ``x`` ``(N, C, H, W)`` with integer labels ``y`` ``(N,)``."""
    return float((predict_numpy(net, x, batch_size=batch_size).argmax(axis=1) == y).mean())


def fit_numpy(net: NumpyNet, x: np.ndarray, y: np.ndarray, *, epochs: int, batch_size: int = 64,
              lr: float = 0.05, momentum: float = 0.9, weight_decay: float = 0.0,
              seed: int = 0, validation: tuple[np.ndarray, np.ndarray] | None = None,
              verbose: bool = True) -> dict[str, list[float]]:
    """Train ``net`` in place with :class:`SGD` on ``x`` ``(N, C, H, W)`` and labels ``y``.

    Returns:
        ``{"step_loss": [...], "loss": [...], "accuracy": [...]}`` (every step's loss; each
        epoch's mean loss and training accuracy, measured on the batches as they were trained)
        and ``"val_accuracy"`` per epoch when ``validation=(x_val, y_val)`` is given. With
        ``verbose``, one line per epoch.
    """
    if epochs < 1 or batch_size < 1 or len(x) != len(y) or len(x) == 0:
        raise ValueError(f"need epochs >= 1, batch_size >= 1 and as many labels as images; got "
                         f"{epochs}, {batch_size}, {len(x)} images, {len(y)} labels")
    optimizer = SGD(net, lr, momentum, weight_decay)
    history: dict[str, list[float]] = {"step_loss": [], "loss": [], "accuracy": []}
    if validation is not None:
        history["val_accuracy"] = []
    bar: Any = progress(range(epochs), desc="epochs", unit="epoch", leave=False)
    for epoch in bar:
        order = np.random.default_rng((seed, epoch)).permutation(len(x))
        losses, correct = [], 0
        for part in batches(len(x), batch_size):
            index = order[part]
            loss, logits = net.loss_and_gradients(x[index], y[index])
            optimizer.step()
            losses.append(loss)
            correct += int((logits.argmax(axis=1) == y[index]).sum())
        history["step_loss"] += losses
        history["loss"].append(float(np.mean(losses)))
        history["accuracy"].append(correct / len(x))
        line = (f"epoch {epoch + 1}/{epochs}: loss {history['loss'][-1]:.4f}, "
                f"accuracy {history['accuracy'][-1]:.4f}")
        if validation is not None:
            history["val_accuracy"].append(evaluate_numpy(net, *validation))
            line += f", val_accuracy {history['val_accuracy'][-1]:.4f}"
        if verbose:
            print(line)
    return history

