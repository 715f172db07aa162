"""The exercises of the chapter "The layers you have been using" (``book/layers.ipynb``)."""

from __future__ import annotations

from typing import Any

from cnnbook.exercises._answers import close, verdict

__all__ = [
    "check_layers_1",
    "check_layers_5",
]


def check_layers_1(answer: Any) -> bool:
    """Dropout with rate 0.8 applied to ones in training: ``(low, high, variance)``, the two values
    an input of 1 can become and the variance of the output."""
    p = 0.8
    low, high, variance = 0.0, 1 / (1 - p), p / (1 - p)
    try:
        a, b, v = (float(x) for x in answer)
    except (TypeError, ValueError):
        return verdict(False, "give three numbers: (low, high, variance).")
    right = close(a, low) and close(b, high) and close(v, variance)
    return verdict(right, "a kept value is divided by 1 - p; the output is 0 or that, with "
                           "probability p and 1 - p; variance = E[x^2] - E[x]^2.")


def check_layers_5(answer: Any) -> bool:
    """The focal loss with gamma = 2: ``(at_0_9, at_0_5)``, the factor by which it weights an
    example against cross-entropy at p_t = 0.9 and at p_t = 0.5."""
    try:
        a, b = (float(x) for x in answer)
    except (TypeError, ValueError):
        return verdict(False, "give two numbers: the factors at p_t = 0.9 and at p_t = 0.5.")
    right = close(a, (1 - 0.9) ** 2) and close(b, (1 - 0.5) ** 2)
    return verdict(right, "the focal loss is cross-entropy times (1 - p_t) ** gamma.")
