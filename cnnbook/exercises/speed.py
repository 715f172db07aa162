"""The exercises of the chapter "How fast can it learn?" (``book/speed.ipynb``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cnnbook.exercises._answers import close, ints, verdict

__all__ = [
    "SPEED_EPOCH",
    "SPEED_RUNS",
    "check_speed_1",
    "check_speed_2",
    "check_speed_3",
]

SPEED_EPOCH = 5000
"""Exercise 1: training images per epoch."""
SPEED_RUNS = {"A": (3000.0, 0.6), "B": (4000.0, 1.0)}
"""Exercise 1: each run's training images per second and the epochs it needed to the target."""


def _bf16(value: float) -> float:
    """``value`` rounded to bfloat16 (the upper 16 bits of a float32, to nearest, ties to even),
    as a float."""
    bits = int(np.array([value], dtype=np.float32).view(np.uint32)[0])
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return float(np.array([rounded], dtype=np.uint32).view(np.float32)[0])


def _bf16_gap_above_one() -> float:
    """The distance from 1 to the next bfloat16 number: one unit in the last kept bit."""
    one = int(np.array([1.0], dtype=np.float32).view(np.uint32)[0])
    return float(np.array([one + (1 << 16)], dtype=np.uint32).view(np.float32)[0]) - 1.0


def check_speed_1(answer: Any) -> bool:
    """``(seconds_a, seconds_b)``: the training seconds to the target of the runs in
    ``SPEED_RUNS`` (images per second, epochs needed), with ``SPEED_EPOCH`` images per epoch."""
    expected = [epochs * SPEED_EPOCH / per_s for per_s, epochs in SPEED_RUNS.values()]
    try:
        a, b = (float(x) for x in answer)
    except (TypeError, ValueError):
        return verdict(False, "give two numbers: (seconds_a, seconds_b).")
    right = close(a, expected[0]) and close(b, expected[1])
    return verdict(right, "time to the target = images needed / images per second, and the "
                          "images needed = epochs x images per epoch.")


def check_speed_2(answer: Any) -> bool:
    """``(gap, stored)``: the distance from 1 to the next bfloat16 number, and what a bfloat16
    weight of 1.0 holds after an update of +0.001."""
    try:
        gap, stored = (float(x) for x in answer)
    except (TypeError, ValueError):
        return verdict(False, "give two numbers: (gap, stored).")
    right = (close(gap, _bf16_gap_above_one(), rel=1e-6)
             and close(stored, _bf16(1.0 + 0.001), rel=1e-6))
    return verdict(right, "bfloat16 keeps float32's exponent but only the first 7 bits of its "
                          "fraction; a sum is rounded to the nearest bfloat16 number.")


def check_speed_3(answer: Any) -> bool:
    """``torchrun --nproc_per_node=4 ... --batch-size 256`` on 5,000 training images:
    ``(per_process, steps)``, the images each process computes per step and the optimizer steps
    (one all-reduce each) per epoch."""
    processes, batch, images = 4, 256, 5000
    used = images - images % processes  # every process takes an equal slice of each batch
    expected = (batch // processes, math.ceil(used / batch))
    return verdict(ints(answer, 2) == expected,
                   "--batch-size is the global batch, split evenly among the processes; every "
                   "process takes every step, and each step ends with one all-reduce.")
