"""The live figures' data (cnnbook.artefacts.widgets), without a browser: the file's digits are
MNIST's test digits by index, the layer geometry is the specs', errors are one line and leave
nothing behind. tests/test_browser_widgets.py runs the figures."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest

from cnnbook import artefacts
from cnnbook.artefacts import widgets
from cnnbook.artefacts.store import ArtefactError
from cnnbook.config import get_profile
from cnnbook.models import catalogue

QUICK, FULL = get_profile("quick"), get_profile("full")


def _doc(path):
    return json.loads(re.search(r"window\.cnnbookWidgetData = (\{.*\});\n\Z",
                                path.read_text(), re.S).group(1))


def test_the_recipe_is_the_same_in_both_profiles_and_installs_beside_the_weights():
    recipe = artefacts.get("concept_widgets")
    assert recipe is artefacts.CONCEPT_WIDGETS and recipe.datasets == ("mnist",)
    assert recipe.files == (widgets.FILE,) and recipe.install == "book/_static/models"
    assert recipe.params(QUICK, 0) == recipe.params(FULL, 5)  # nothing here is trained
    assert recipe.params(QUICK, 0)["indices"] == [3, 2, 1, 18, 4, 8, 11, 0, 61, 7]


def test_the_file_holds_the_test_digits_by_index_and_the_specs_geometry(tmp_path):
    from cnnbook.datasets import load

    params = artefacts.CONCEPT_WIDGETS.params(QUICK, 0)
    facts = widgets.make_widget_data(tmp_path, params)
    assert facts["labels"] == list(range(10))
    assert facts["sha256"] == artefacts.file_sha256(tmp_path / widgets.FILE)
    doc = _doc(tmp_path / widgets.FILE)
    _, (x_test, _) = load("mnist")
    for item in doc["digits"]:
        pixels = np.frombuffer(base64.b64decode(item["pixels"]), np.uint8).reshape(28, 28)
        np.testing.assert_array_equal(pixels, x_test[item["index"]])
    keras = doc["models"]["post_keras"]
    assert keras["input_shape"] == [1, 28, 28]
    assert [layer["name"] for layer in keras["layers"]] == \
        [f.name for f in catalogue.get("post_keras").spec.receptive_field()]
    assert keras["layers"][0] == {"name": "conv1", "kind": "conv2d", "shape": [32, 26, 26],
                                  "kernel": [3, 3], "stride": [1, 1], "padding": [0, 0],
                                  "dilation": [1, 1]}
    assert keras["layers"][1] == {"name": "relu1", "kind": "relu", "shape": [32, 26, 26]}
    assert [layer["kind"] for layer in doc["models"]["post_pytorch"]["layers"]][3] == "dropout"


def test_a_test_file_with_other_labels_is_refused(tmp_path, monkeypatch):
    from cnnbook import datasets

    real = datasets.load

    def shuffled(name, **kwargs):
        train, (x, y) = real(name, **kwargs)
        return train, (x, (y + 1) % 10)

    monkeypatch.setattr(datasets, "load", shuffled)
    params = artefacts.CONCEPT_WIDGETS.params(QUICK, 0)
    with pytest.raises(ArtefactError, match=r"^test digits with other labels .*\(3, 1\)") as err:
        widgets.make_widget_data(tmp_path, params)
    assert "\n" not in str(err.value)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_geometry_refuses_what_the_page_cannot_follow():
    with pytest.raises(ValueError, match="cifar_resnet_small.res1: .* not residual"):
        widgets.model_geometry("cifar_resnet_small")
    padded = widgets.model_geometry("cifar_small")["layers"][0]
    assert padded["padding"] == [1, 1] and padded["shape"] == [40, 32, 32]
