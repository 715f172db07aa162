"""The artefacts that the book's pages need, one :class:`Recipe` each.

Light: each recipe's ``make`` imports its framework module only when it runs. A recipe's
``params`` are every setting of its run; they are part of the artefact's key, so changing one
here makes the next build train again.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cnnbook.artefacts.store import Recipe
from cnnbook.config import Profile

__all__ = ["POST_TENSORFLOW", "RECIPES", "get"]


def _post_tensorflow_params(profile: Profile, seed: int) -> dict[str, Any]:
    return {"model": "post_tensorflow", "dataset": "mnist", "profile": profile.name,
            "train_limit": profile.train_limit,
            "epochs": profile.pick(quick=8, full=10),  # the post: epochs=10
            "batch_size": 128, "seed": seed}


def _post_tensorflow_make(folder: Path, params: Mapping[str, Any]) -> Mapping[str, Any]:
    from cnnbook.artefacts import browser  # torch: loaded only when the model is trained

    return browser.make_browser_model(folder, params)


POST_TENSORFLOW = Recipe(
    name="post_tensorflow",
    files=("post_tensorflow.js",),
    install="book/_static/models",
    datasets=("mnist",),
    params=_post_tensorflow_params,
    make=_post_tensorflow_make,
    pages=("book/draw_a_digit.ipynb",),
)
"""The post's TensorFlow model (its torch twin) trained on MNIST, for the "draw a digit" page."""

RECIPES: Mapping[str, Recipe] = {recipe.name: recipe for recipe in (POST_TENSORFLOW,)}


def get(name: str) -> Recipe:
    """The recipe called ``name``; KeyError listing the known ones."""
    try:
        return RECIPES[name]
    except KeyError:
        raise KeyError(f"no artefact recipe {name!r}; known: {', '.join(RECIPES)}") from None
