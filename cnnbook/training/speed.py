"""The speed options of :func:`~cnnbook.training.fit`: memory format, mixed precision, compilation.

:class:`Speed` holds the three choices and applies them; ``fit(channels_last=..., precision=...,
compile=...)`` builds one. Each is one idea a reader can try on its own:

- ``channels_last``: the model's weights and the NCHW batches are stored in
  ``torch.channels_last`` memory format (still indexed ``(N, C, H, W)``; the bytes run NHWC), the
  layout that tensor-core convolution kernels on GPUs and oneDNN on CPUs prefer.
- ``precision``: ``"fp32"`` (the default, no autocast), ``"bf16"`` or ``"fp16"``: forward pass and
  loss under ``torch.autocast``, so matrix products and convolutions run in 16 bits while the
  weights, the gradients and the optimizer stay in float32. ``"bf16"`` keeps float32's range and
  needs no loss scaling: it runs on GPUs with bf16 (compute capability 8.0+, e.g. A100, H100) and
  on every CPU, but a CPU without bf16 instructions (AVX512-BF16 or AMX) emulates it and is
  **slower** than float32 (:func:`has_native_bf16`). ``"fp16"`` is for CUDA only and adds a
  ``GradScaler``, whose step reads one overflow flag back from the GPU per step (the price of
  loss scaling); prefer ``"bf16"`` where the GPU has it.
- ``compile``: ``True`` (or a dict of ``torch.compile`` keyword arguments, e.g.
  ``{"mode": "max-autotune"}``) trains through ``torch.compile(model)``. The first step compiles
  (tens of seconds, more on a CPU), and so does the first step with a new batch shape (a smaller
  last batch: make ``N`` a multiple of ``batch_size`` to avoid it); ``fit`` times those steps
  apart and reports their sum as ``history.params["compile_s"]``. Validation uses the uncompiled
  module (the same weights), so switching to eval mode costs no second compilation.

Unsupported combinations fail at once, with a one-line error, not after an epoch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnnbook._optional import needs

with needs("torch"):
    import torch
    from torch import nn

__all__ = ["PRECISIONS", "Speed", "has_native_bf16"]

PRECISIONS: dict[str, torch.dtype | None] = {"fp32": None, "bf16": torch.bfloat16,
                                             "fp16": torch.float16}


def has_native_bf16(device: str | torch.device) -> bool:
    """Whether ``device`` computes bf16 in hardware: a CUDA GPU of compute capability 8.0 or more
    (Ampere on; ``torch.cuda.is_bf16_supported()`` also answers True for a T4, 7.5, which only
    emulates bf16), or a Linux CPU whose flags list ``avx512_bf16`` or ``amx_bf16``. (Even then,
    whether bf16 autocast is faster than float32 for a given model is a measurement, not a
    promise.)"""
    device = torch.device(device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            return False
        index = device.index if device.index is not None else torch.cuda.current_device()
        return torch.cuda.get_device_capability(index)[0] >= 8
    if device.type == "cpu":
        try:
            flags = Path("/proc/cpuinfo").read_text()
        except OSError:
            return False
        return "avx512_bf16" in flags or "amx_bf16" in flags
    return False


@dataclass
class Speed:
    """How :func:`~cnnbook.training.fit` runs each step (see the module docstring).

    Attributes:
        channels_last: model and batches in ``torch.channels_last`` memory format.
        precision: ``"fp32"``, ``"bf16"`` or ``"fp16"`` (autocast of the forward pass and loss).
        compile: ``False``, ``True`` or a dict of ``torch.compile`` keyword arguments.
    """

    channels_last: bool = False
    precision: str = "fp32"
    compile: bool | Mapping[str, Any] = False

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(map(repr, PRECISIONS))}, "
                             f"got {self.precision!r}")
        if not isinstance(self.compile, (bool, Mapping)):
            raise TypeError(f"compile must be True, False or a dict of torch.compile arguments, "
                            f"got {type(self.compile).__name__}")

    def check(self, device: torch.device) -> None:
        """Raise a one-line error if ``device`` cannot run this precision."""
        if self.precision == "fp16" and device.type != "cuda":
            raise ValueError(f"precision='fp16' needs a CUDA GPU (loss scaling), not {device}; "
                             "use 'bf16' or 'fp32'")
        if self.precision == "bf16":
            if device.type == "cuda" and not has_native_bf16(device):
                raise ValueError(f"precision='bf16' needs a GPU with bf16 (compute capability "
                                 f"8.0+); {torch.cuda.get_device_name(device)} has none: use "
                                 "'fp16'")
            if not torch.amp.is_autocast_available(device.type):
                raise ValueError(f"precision='bf16': torch has no autocast on {device.type}")

    @property
    def compiling(self) -> bool:
        """Whether the model trains through ``torch.compile``."""
        return self.compile is not False

    def prepare(self, model: nn.Module) -> nn.Module:
        """Put ``model``'s weights in the memory format (in place, like ``model.to``)."""
        if self.channels_last:
            model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        return model

    def compiled(self, model: nn.Module) -> nn.Module:
        """``torch.compile(model, **options)``, or ``model`` when not compiling."""
        if self.compile is False:
            return model
        options = {} if self.compile is True else dict(self.compile)
        return torch.compile(model, **options)  # type: ignore[return-value]

    def batch(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` ``(B, C, H, W)`` in the memory format (no copy when it already is)."""
        if self.channels_last and x.ndim == 4:
            return x.contiguous(memory_format=torch.channels_last)
        return x

    def autocast(self, device: torch.device) -> contextlib.AbstractContextManager:
        """The context for the forward pass and the loss: autocast, or nothing for fp32."""
        dtype = PRECISIONS[self.precision]
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device.type, dtype=dtype)

    def grad_scaler(self, device: torch.device) -> torch.amp.GradScaler | None:
        """A ``GradScaler`` for fp16 (small gradients would underflow to zero), else ``None``."""
        return torch.amp.GradScaler(device.type) if self.precision == "fp16" else None

    def params(self) -> dict[str, Any]:
        """The options as plain values, for ``History.params``."""
        return {"channels_last": self.channels_last, "precision": self.precision,
                "compile": self.compile if isinstance(self.compile, bool) else dict(self.compile)}
