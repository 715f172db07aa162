"""What did the network learn? Feature maps, top-activating patches, saliency, Grad-CAM,
occlusion and the sanity checks that keep them honest, for torch and for Keras 3.

Light modules (NumPy and the receptive-field arithmetic of :mod:`cnnbook.models`):

- :mod:`~cnnbook.explain.patches`: ``top_patches``, ``top_activations``, ``layer_field``,
  ``field_box``, ``TopPatches``: the dataset crops that excite a channel most, cut to its
  receptive field; ``orientation_coherence``: how much of a patch's edge energy runs along one
  orientation.
- :mod:`~cnnbook.explain.perturbation`: ``occlusion`` (captum's definition) for any
  ``forward(batch) -> scores``.
- :mod:`~cnnbook.explain.maps`: ``resize`` (bilinear, half-pixel), ``normalize``,
  ``smooth_grad``.
- :mod:`~cnnbook.explain.sanity`: ``rank_correlation`` (Spearman), ``deletion_test``,
  ``top_mask``, ``random_mask``, ``ink_mass``, ``dilate``.
- :mod:`~cnnbook.explain.features`: ``pca`` (NumPy SVD), ``class_separation``: the feature-space
  view.

Torch modules (NCHW; each imports torch):

- :mod:`~cnnbook.explain.hooks`: ``activations`` (forward hook on a dotted module name),
  ``predictor``, ``find_layer``.
- :mod:`~cnnbook.explain.gradients`: ``saliency`` (gradient, gradient x input, SmoothGrad).
- :mod:`~cnnbook.explain.gradcam`: ``grad_cam``.
- :mod:`~cnnbook.explain.randomization`: ``cascading_randomization``, ``layers_top_down``.

Keras 3 module (NHWC; TensorFlow or torch backend): :mod:`~cnnbook.explain.keras_explain`:
``keras_activations``, ``keras_saliency``, ``keras_grad_cam``, ``keras_predictor``.
:mod:`~cnnbook.explain.backends` (torch): ``keras_grad_cams`` runs the Keras Grad-CAM of a torch
model's weights on each Keras backend, one worker process each; ``available_backends``.

Every function returns float32 NumPy arrays. ``import cnnbook.explain`` imports no framework: the
names above load their module on first use, and only that module's framework.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "TopPatches": "patches",
    "field_box": "patches",
    "layer_field": "patches",
    "orientation_coherence": "patches",
    "top_activations": "patches",
    "top_patches": "patches",
    "occlusion": "perturbation",
    "normalize": "maps",
    "resize": "maps",
    "smooth_grad": "maps",
    "DeletionResult": "sanity",
    "InkMass": "sanity",
    "deletion_test": "sanity",
    "dilate": "sanity",
    "ink_mass": "sanity",
    "random_mask": "sanity",
    "rank_correlation": "sanity",
    "top_mask": "sanity",
    "Projection": "features",
    "class_separation": "features",
    "pca": "features",
    "activations": "hooks",
    "find_layer": "hooks",
    "predictor": "hooks",
    "saliency": "gradients",
    "grad_cam": "gradcam",
    "cascading_randomization": "randomization",
    "layers_top_down": "randomization",
    "keras_activations": "keras_explain",
    "keras_grad_cam": "keras_explain",
    "keras_predictor": "keras_explain",
    "keras_saliency": "keras_explain",
    "available_backends": "backends",
    "keras_grad_cams": "backends",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"cnnbook.explain.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'cnnbook.explain' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
