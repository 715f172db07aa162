"""The exercises of the chapter "Transfer learning" (``book/transfer_learning.ipynb``)."""

from __future__ import annotations

from typing import Any

from cnnbook.exercises._answers import verdict
from cnnbook.models.catalogue import get

__all__ = [
    "check_transfer_learning_1",
]


def check_transfer_learning_1(params: Any) -> bool:
    """The linear probe's trainable parameters when the new task has five classes."""
    spec = get("cifar_resnet_small").spec_for(num_classes=5)
    head = [p for name, _, p in spec.param_table() if name == "fc"][0]
    return verdict(params == head, "only the head trains: one weight per pooled feature and "
                                    "class, and one bias per class.")
