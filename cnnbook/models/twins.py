"""Hand-written twins of catalogue models, registered where they are defined (light: no
framework).

A catalogue model is built from its spec (:mod:`cnnbook.models.torch_build`,
:mod:`cnnbook.models.keras_build`) unless a chapter quotes its code: then the hand-written class
or function is the model, and it registers itself with :func:`register` (as timm's
``@register_model``), in the module that :data:`TWIN_MODULES` names for its framework:

    @register("post_keras", "torch")
    class PostKeras(nn.Module): ...

:meth:`cnnbook.models.catalogue.ModelEntry.build` imports that module, then asks :func:`twin`.
The tests check every twin against its spec's build on the same weights.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["TWIN_MODULES", "register", "twin"]

TWIN_MODULES = {"torch": "cnnbook.models.torch_nets", "keras": "cnnbook.models.keras_nets"}
"""The module that defines (and so registers) each framework's twins."""

_TWINS: dict[tuple[str, str], Callable[..., Any]] = {}
_Builder = TypeVar("_Builder", bound=Callable[..., Any])


def register(name: str, framework: str) -> Callable[[_Builder], _Builder]:
    """A decorator: the class or function it decorates builds the catalogue model ``name`` in
    ``framework``; it gets the attribute ``catalogue_name`` (which the checkpoint and export
    checks read). Registering a name twice for one framework is an error."""
    if framework not in TWIN_MODULES:
        raise ValueError(f"unknown framework {framework!r}")

    def decorate(builder: _Builder) -> _Builder:
        known = _TWINS.get((name, framework))
        if known is not None and _where(known) != _where(builder):
            raise ValueError(f"{name!r} already has a {framework} twin, {_where(known)}")
        _TWINS[(name, framework)] = builder  # again when its module is reloaded
        builder.catalogue_name = name  # type: ignore[attr-defined]
        return builder

    return decorate


def _where(builder: Callable[..., Any]) -> str:
    return f"{builder.__module__}:{builder.__qualname__}"


def twin(name: str, framework: str) -> Callable[..., Any] | None:
    """The registered twin of ``name`` in ``framework``, or ``None`` (its spec builds it); only
    twins whose module has been imported are known."""
    return _TWINS.get((name, framework))
