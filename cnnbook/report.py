"""What ran, printed at the top and the bottom of each training chapter.

- :func:`run_header`: profile, data and device, printed before training.
- :func:`reproducibility_card`: seed, device, profile, data, wall time, metrics and the versions
  of the packages that were used, printed at the end of a chapter.
- :func:`package_versions` (what this process imported) and :func:`installed_versions` (what is
  installed, for ``cnnbook doctor``): the one place that reports versions.

Light module: it reads framework versions from ``sys.modules`` and package metadata, and never
imports a framework.
"""

from __future__ import annotations

import importlib.metadata as md
import platform
import sys
from collections.abc import Mapping
from typing import Any

from cnnbook.config import Profile

# Distribution-style names shown on the card, in this order, when the module is imported.
_VERSIONED = ("numpy", "torch", "tensorflow", "keras", "sklearn", "matplotlib")


def _profile_line(profile: Profile | str) -> str:
    return profile.describe() if isinstance(profile, Profile) else f"profile: {profile}"


# Distributions that ``cnnbook doctor`` reports, installed or not.
_DISTRIBUTIONS = ("cnnbook", "numpy", "matplotlib", "torch", "tensorflow-cpu", "tensorflow",
                  "keras", "jupyter-book", "nbval")


def installed_versions() -> dict[str, str | None]:
    """Python's version and each distribution the book uses, ``None`` when it is not installed;
    cnnbook's is the running code's (an editable install's metadata keeps the version it was
    installed at)."""
    from cnnbook import __version__

    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in _DISTRIBUTIONS:
        if name == "cnnbook":
            found[name] = __version__
            continue
        try:
            found[name] = md.version(name)
        except md.PackageNotFoundError:
            found[name] = None
    return found


def package_versions() -> dict[str, str]:
    """Versions of Python, cnnbook and the frameworks **already imported** by this process."""
    from cnnbook import __version__

    found = {"python": platform.python_version(), "cnnbook": __version__}
    for name in _VERSIONED:
        module = sys.modules.get(name)
        if module is not None:
            found[name] = str(getattr(module, "__version__", "?"))
    return found


def run_header(profile: Profile | str, data_line: str, device: Any) -> None:
    """Print three lines: the profile, the data, the device.

    Args:
        profile: the active :class:`~cnnbook.config.Profile` (or its name).
        data_line: one line about the data, e.g. from ``cnnbook.datasets.describe_data``.
        device: the training device (a ``torch.device`` or a string such as ``"cpu (Keras)"``).
    """
    print(f"{_profile_line(profile)}\ndata: {data_line}\ndevice: {device}")


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def reproducibility_card(seed: int, device: Any, profile: Profile | str, data: str,
                         wall_time_s: float, metrics: Mapping[str, Any]) -> None:
    """Print a short card: how to get these numbers again.

    Args:
        seed: the seed every training run used.
        device: where training ran.
        profile: the active profile (or its name).
        data: one line naming the data (sizes and source).
        wall_time_s: the chapter's training wall time in seconds.
        metrics: the final numbers, e.g. ``{"test accuracy": 0.97}``; floats print with 4 decimals.
    """
    versions = ", ".join(f"{name} {version}" for name, version in package_versions().items())
    lines = [
        "Reproducibility card",
        f"  {_profile_line(profile)}",
        f"  data: {data}",
        f"  device: {device}; seed: {seed}; wall time: {wall_time_s:.1f} s",
        *(f"  {name}: {_format(value)}" for name, value in metrics.items()),
        f"  versions: {versions}",
    ]
    print("\n".join(lines))
