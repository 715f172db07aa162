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

from typing import TYPE_CHECKING

from cnnbook import _lazy

if TYPE_CHECKING:
    from cnnbook.explain.backends import (
        available_backends as available_backends,
        keras_grad_cams as keras_grad_cams,
    )
    from cnnbook.explain.features import (
        Projection as Projection,
        class_separation as class_separation,
        pca as pca,
    )
    from cnnbook.explain.gradcam import (
        grad_cam as grad_cam,
    )
    from cnnbook.explain.gradients import (
        saliency as saliency,
    )
    from cnnbook.explain.hooks import (
        activations as activations,
        find_layer as find_layer,
        predictor as predictor,
    )
    from cnnbook.explain.keras_explain import (
        keras_activations as keras_activations,
        keras_grad_cam as keras_grad_cam,
        keras_predictor as keras_predictor,
        keras_saliency as keras_saliency,
    )
    from cnnbook.explain.maps import (
        normalize as normalize,
        resize as resize,
        smooth_grad as smooth_grad,
    )
    from cnnbook.explain.patches import (
        TopPatches as TopPatches,
        field_box as field_box,
        layer_field as layer_field,
        orientation_coherence as orientation_coherence,
        top_activations as top_activations,
        top_patches as top_patches,
    )
    from cnnbook.explain.perturbation import (
        occlusion as occlusion,
    )
    from cnnbook.explain.randomization import (
        cascading_randomization as cascading_randomization,
        layers_top_down as layers_top_down,
    )
    from cnnbook.explain.sanity import (
        DeletionResult as DeletionResult,
        InkMass as InkMass,
        deletion_test as deletion_test,
        dilate as dilate,
        ink_mass as ink_mass,
        random_mask as random_mask,
        rank_correlation as rank_correlation,
        top_mask as top_mask,
    )

__getattr__, __dir__, __all__ = _lazy.attach(__name__, __file__)
