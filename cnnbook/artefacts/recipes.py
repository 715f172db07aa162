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

__all__ = ["CONCEPT_WIDGETS", "POST_TENSORFLOW", "RECIPES", "get"]


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



def _concept_widgets_params(profile: Profile, seed: int) -> dict[str, Any]:
    from cnnbook.artefacts.widgets import DIGITS, MODELS  # numpy and the specs only

    # the same digits and models in every profile: nothing here is trained
    return {"dataset": "mnist", "indices": sorted(DIGITS, key=DIGITS.__getitem__),
            "models": list(MODELS)}


def _concept_widgets_make(folder: Path, params: Mapping[str, Any]) -> Mapping[str, Any]:
    from cnnbook.artefacts.widgets import make_widget_data

    return make_widget_data(folder, params)


CONCEPT_WIDGETS = Recipe(
    name="concept_widgets",
    files=("cnnbook_widget_data.js",),
    install="book/_static/models",
    datasets=("mnist",),
    params=_concept_widgets_params,
    make=_concept_widgets_make,
    pages=(),  # the pages load the file by its name and print nothing of it: no cache to clear
)
"""MNIST test digits picked by index and the post's models' layer geometry, for the live
figures of the concept pages (convolution, padding, receptive fields, pooling;
:mod:`cnnbook.artefacts.widgets`)."""

RECIPES: Mapping[str, Recipe] = {recipe.name: recipe
                                 for recipe in (POST_TENSORFLOW, CONCEPT_WIDGETS)}


def get(name: str) -> Recipe:
    """The recipe called ``name``; KeyError listing the known ones."""
    try:
        return RECIPES[name]
    except KeyError:
        raise KeyError(f"no artefact recipe {name!r}; known: {', '.join(RECIPES)}") from None
