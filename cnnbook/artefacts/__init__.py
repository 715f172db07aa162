"""Artefacts that pages need (trained weights, the live figures' data), made once and reused:
by the book's build step before the chapters run, and by a chapter opened alone.

    from cnnbook import artefacts
    built = artefacts.ensure(artefacts.get("post_tensorflow"))  # found in the store, or trained
    artefacts.install(built, Path("_static/models"))             # where the page reads it

- :mod:`cnnbook.artefacts.store`: :class:`Recipe`, the key (recipe parameters, the package's
  source, the data's bytes), the store of finished builds with their manifests, written
  atomically, :func:`ensure`, :func:`find` and :func:`install`.
- :mod:`cnnbook.artefacts.recipes`: the book's recipes, :data:`RECIPES` and :func:`get`.
- :mod:`cnnbook.artefacts.browser`: the torch half: models for web pages, trained and exported.
- :mod:`cnnbook.artefacts.widgets`: the concept pages' live figures' data (MNIST test digits by
  index, the post's models' layer geometry); NumPy only.

``import cnnbook.artefacts`` loads no framework; a recipe imports its own when it runs.
"""

from __future__ import annotations

from cnnbook.artefacts.recipes import CONCEPT_WIDGETS, POST_TENSORFLOW, RECIPES, get
from cnnbook.artefacts.store import (
    ArtefactError,
    Built,
    Recipe,
    artefact_key,
    data_digest,
    ensure,
    file_sha256,
    find,
    install,
    key_inputs,
    package_digest,
)

__all__ = ["CONCEPT_WIDGETS", "POST_TENSORFLOW", "RECIPES", "ArtefactError", "Built", "Recipe",
           "artefact_key", "data_digest", "ensure", "file_sha256", "find", "get", "install",
           "key_inputs", "package_digest"]
