"""Small array helpers that every layer shares: image layouts, batch slices, tensors as NumPy.

NumPy only; a torch tensor is read duck-typed, without importing torch.

- ``LAYOUTS`` and :func:`check_layout`: ``"NCHW"`` (torch and NumPy, ``(N, C, H, W)``) and
  ``"NHWC"`` (Keras, ``(N, H, W, C)``), the names every function that takes images uses.
- :func:`batches`: the slices ``[0, b), [b, 2b) ...`` of ``range(n)``, for evaluating in batches.
- :func:`as_numpy`: a torch tensor (with a gradient, on a GPU) as a NumPy array.
"""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["LAYOUTS", "as_numpy", "batches", "check_layout"]

LAYOUTS = ("NCHW", "NHWC")


def check_layout(layout: str) -> str:
    """``layout`` if it is ``"NCHW"`` or ``"NHWC"``; a one-line ValueError otherwise."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be 'NCHW' or 'NHWC', got {layout!r}")
    return layout


def batches(n: int, batch_size: int) -> Iterator[slice]:
    """Slices ``[0, b), [b, 2b) ...`` covering ``range(n)`` (the last one may be shorter)."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


def as_numpy(x: object) -> object:
    """``x`` itself, or a torch tensor as a NumPy array (detached, on the CPU): ``np.asarray``
    cannot read a tensor that requires grad or lives on a GPU. Duck-typed: imports no torch."""
    detach = getattr(x, "detach", None)
    return detach().cpu().numpy() if callable(detach) else x
