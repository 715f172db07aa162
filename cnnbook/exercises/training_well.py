"""The exercises of the chapter "Training a CNN well" (``book/training_well.ipynb``).

:func:`one_cycle_lr` is PyTorch's ``OneCycleLR`` learning rate (its defaults, which the recipe
``"onecycle"`` keeps: cosine annealing, two phases) written out in NumPy, so that checking an
answer imports no framework; the tests compare it with ``torch.optim.lr_scheduler.OneCycleLR``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cnnbook.exercises._answers import close, ints, verdict, wrong_names
from cnnbook.ops.losses import cross_entropy, one_hot

__all__ = [
    "check_training_well_1",
    "check_training_well_2",
    "check_training_well_3",
    "one_cycle_lr",
]


def one_cycle_lr(step: int, *, max_lr: float, total_steps: int, pct_start: float = 0.3,
                 div_factor: float = 25.0, final_div_factor: float = 1e4) -> float:
    """The learning rate of ``OneCycleLR`` after ``step`` scheduler steps (0: the first batch):
    from ``max_lr / div_factor`` up to ``max_lr`` by step ``pct_start * total_steps - 1``, then
    down to ``max_lr / div_factor / final_div_factor`` at step ``total_steps - 1``, both halves
    cosine-shaped."""
    initial = max_lr / div_factor
    final = initial / final_div_factor
    peak_step = pct_start * total_steps - 1.0
    if step <= peak_step:
        start, end, pct = initial, max_lr, step / peak_step
    else:
        start, end, pct = max_lr, final, (step - peak_step) / (total_steps - 1 - peak_step)
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1.0)


def check_training_well_1(answer: Any) -> bool:
    """``(first, middle, last)``: the recipe's OneCycle learning rate with peak 0.2 over 10
    epochs of 100 steps: at step 0, at step 649 (halfway down) and at step 999 (the last)."""
    try:
        values = [float(v) for v in answer] if not isinstance(answer, str) else []
    except (TypeError, ValueError):
        values = []
    if len(values) != 3:
        return verdict(False, "give three numbers: (first, middle, last).")
    expected = [one_cycle_lr(step, max_lr=0.2, total_steps=1000) for step in (0, 649, 999)]
    wrong = wrong_names(("first", "middle", "last"), values, expected, close)
    return verdict(not wrong, f"check the {', '.join(wrong)}: OneCycleLR starts at max_lr / "
                               "div_factor and ends final_div_factor times lower than that; "
                               "halfway down a cosine is halfway between its ends.")


def _smoothed(num_classes: int, smoothing: float) -> np.ndarray:
    """The target row for class 0: PyTorch's ``label_smoothing`` convention."""
    return (1.0 - smoothing) * one_hot(np.array([0]), num_classes)[0] + smoothing / num_classes


def check_training_well_2(answer: Any) -> bool:
    """``(true, other, lowest)``: label smoothing 0.1 with 100 classes: the target's value for
    the true class, for each other class, and the lowest loss a network can reach."""
    try:
        true, other, lowest = answer
    except (TypeError, ValueError):
        return verdict(False, "give three numbers: (true, other, lowest loss).")
    target = _smoothed(100, 0.1)
    best = cross_entropy(np.log(target)[None], target[None])  # logits whose softmax is target
    if not (close(true, target[0]) and close(other, target[1])):
        return verdict(False, "the smoothing is spread evenly over all the classes, the true "
                               "one included, and the rest goes to the true class.")
    return verdict(close(lowest, best), "the loss is lowest when the softmax equals the target "
                                         "itself; it is then the target's entropy, not 0.")


def check_training_well_3(answer: Any) -> bool:
    """``(n_val, n_train)``: how many validation images bring the chapter's noise level, 1/sqrt(n),
    down to 2 points, and how many training images that asks for when the validation split is a
    tenth of them."""
    values = ints(answer, 2)
    n_val = round((100 / 2) ** 2)  # 100 / sqrt(n) <= 2 points
    if values is None:
        return verdict(False, "give two integers: (validation images, training images).")
    return verdict(values == (n_val, 10 * n_val),
                   "the noise level falls with the square root of the images: halving it takes "
                   "four times as many; the split is a tenth of the training images.")
