"""Which device to train on, and how to wait for it (so that a clock reading means something)."""

from __future__ import annotations

from cnnbook._optional import needs

with needs("torch"):
    import torch

__all__ = ["resolve_device", "sync"]


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` -> the first available of ``cuda``, ``mps``, ``cpu``; anything else as given."""
    if isinstance(device, torch.device):
        return device
    if device != "auto":
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def sync(device: torch.device) -> None:
    """Wait for the device to finish queued work, so a clock reading means something."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()
