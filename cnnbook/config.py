"""Run-time settings, read from environment variables.

=====================  =========================================================================
Variable               Meaning
=====================  =========================================================================
``CNNBOOK_PROFILE``    ``full`` (default) or ``quick``. ``full`` trains with each chapter's full
                       epochs (the post's, for the post's models) on the training images the
                       source holds, class-balanced and capped at
                       ``FULL_TRAIN_LIMIT`` per dataset so that the published build, which reads
                       the canonical files, fits its time budget; ``quick`` trains on small,
                       per-class balanced subsets for a few epochs, so the whole test suite fits a
                       2-core CI machine.
``CNNBOOK_DATA_DIR``   A **read-only** folder holding datasets in their canonical file layout
                       (``mnist/*.gz``, ``fashion-mnist/*.gz``, ``cifar-10-batches-py/``). It is
                       searched first, never written to and never re-fetched.
``CNNBOOK_CACHE_DIR``  Where downloads go. Default: the OS cache folder for ``cnnbook``
                       (for example ``~/.cache/cnnbook`` on Linux).
``CNNBOOK_OFFLINE``    ``1`` (or ``true``/``yes``): never touch the network.
``CNNBOOK_PROGRESS``   ``1`` forces progress bars on, ``0`` off; unset: see :mod:`cnnbook.progress`.
``CNNBOOK_SEED``       The seed chapters train with (default 0). Stored outputs come from seed 0;
                       other seeds measure how much a result varies (``cnnbook.floors``).
=====================  =========================================================================

``CNNBOOK_ARTEFACTS_DIR``: where built artefacts (trained weights that a page needs) are stored
and looked up (:mod:`cnnbook.artefacts`); ``make`` sets ``_build/artefacts``. Default:
``<cache>/artefacts``, under :func:`cache_dir`.

Everything here is read at call time, not at import time, so a notebook or a test may change the
environment and call again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

T = TypeVar("T")

PROFILE_VAR = "CNNBOOK_PROFILE"
DATA_DIR_VAR = "CNNBOOK_DATA_DIR"
CACHE_DIR_VAR = "CNNBOOK_CACHE_DIR"
OFFLINE_VAR = "CNNBOOK_OFFLINE"
SEED_VAR = "CNNBOOK_SEED"
ARTEFACTS_DIR_VAR = "CNNBOOK_ARTEFACTS_DIR"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


@dataclass(frozen=True)
class Profile:
    """How much work a chapter does.

    Attributes:
        name: ``"quick"`` or ``"full"``.
        train_limit: at most this many training images, balanced per class (all of them where
            the source holds fewer); ``None`` means all that the data source holds.
        test_limit: the same for the test set. Both profiles evaluate on the full test set
            by default, so accuracies are comparable.

    Epochs, and any size a chapter needs to differ from these defaults, are chosen in the
    chapter with :meth:`pick`, so that both settings are visible where they are used.
    """

    name: Literal["quick", "full"]
    train_limit: int | None
    test_limit: int | None

    @property
    def quick(self) -> bool:
        return self.name == "quick"

    def pick(self, *, quick: T, full: T) -> T:
        """Return ``quick`` in the quick profile and ``full`` otherwise.

        Chapters use it for every size that depends on the profile, so the two settings
        stand side by side in the notebook: ``epochs = PROFILE.pick(quick=2, full=10)``.
        """
        return quick if self.quick else full

    def describe(self) -> str:
        """One line for a chapter's header; the chapter's data line gives the actual sizes."""
        if not self.quick:
            return (f"profile: full (the chapter's full epochs; training sets of up to "
                    f"{self.train_limit:,} class-balanced images unless the data line says "
                    f"otherwise)" if self.train_limit else
                    "profile: full (all the training data the source holds, the chapter's full "
                    "epochs)")
        return (f"profile: quick (class-balanced subsets, few epochs); "
                f"{PROFILE_VAR}=full for more data and the chapter's full epochs")


# The full profile's cap on training images per dataset: every image of the offline copies this
# book is usually built from, and the part of the canonical files that keeps the published build
# (a 4-core runner) within its time budget (README, "Published build").
FULL_TRAIN_LIMIT = 10_000

PROFILES: dict[str, Profile] = {
    "full": Profile("full", train_limit=FULL_TRAIN_LIMIT, test_limit=None),
    "quick": Profile("quick", train_limit=2000, test_limit=None),
}


def get_profile(name: str | None = None) -> Profile:
    """The active profile: ``name`` if given, else ``$CNNBOOK_PROFILE``, else ``full``.

    Raises:
        ValueError: for an unknown profile name, listing the valid ones.
    """
    raw = name if name is not None else os.environ.get(PROFILE_VAR, "full")
    key = raw.strip().lower() or "full"
    try:
        return PROFILES[key]
    except KeyError:
        valid = ", ".join(sorted(PROFILES))
        raise ValueError(f"{PROFILE_VAR}={raw!r} is not a profile; use one of: {valid}") from None


def get_seed() -> int:
    """The chapters' seed: ``$CNNBOOK_SEED`` if set, else 0.

    Raises:
        ValueError: when the variable is not an integer in ``[0, 2**32)``.
    """
    raw = os.environ.get(SEED_VAR, "").strip()
    if not raw:
        return 0
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if not 0 <= value < 2**32:
        raise ValueError(f"{SEED_VAR}={raw!r} is not a seed; use an integer from 0 to 2**32 - 1")
    return value


def _flag(var: str) -> bool:
    raw = os.environ.get(var, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(f"{var}={raw!r} is not a boolean; use 1 or 0")


def offline() -> bool:
    """True when ``CNNBOOK_OFFLINE`` is 1/true/yes: the package must not touch the network."""
    return _flag(OFFLINE_VAR)


def data_dir() -> Path | None:
    """The read-only offline dataset folder from ``CNNBOOK_DATA_DIR``, or ``None`` when unset.

    Raises:
        NotADirectoryError: when the variable names something that is not a folder, so that a
            typo is reported instead of silently falling back to a download.
    """
    raw = os.environ.get(DATA_DIR_VAR, "").strip()
    if not raw:
        return None
    path = Path(raw).expanduser().resolve()
    if not path.is_dir():
        raise NotADirectoryError(f"{DATA_DIR_VAR}={raw!r} is not a folder")
    return path


def cache_dir() -> Path:
    """Where downloads go: ``CNNBOOK_CACHE_DIR`` if set, else the OS cache folder for cnnbook.

    The folder is not created here; the downloader creates it when it first writes.
    """
    raw = os.environ.get(CACHE_DIR_VAR, "").strip()
    if raw:
        return Path(raw).expanduser().resolve()
    import pooch  # light; imported here so `import cnnbook` stays minimal

    return Path(pooch.os_cache("cnnbook"))


def artefacts_dir() -> Path:
    """Where built artefacts live: ``CNNBOOK_ARTEFACTS_DIR`` if set, else ``<cache>/artefacts``.

    The folder is not created here; :func:`cnnbook.artefacts.ensure` creates it when it builds.
    """
    raw = os.environ.get(ARTEFACTS_DIR_VAR, "").strip()
    if raw:
        return Path(raw).expanduser().resolve()
    return cache_dir() / "artefacts"
