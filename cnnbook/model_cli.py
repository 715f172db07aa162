"""``python -m cnnbook models``: every architecture of the book with its parameter count.

:data:`MODELS` is pure data (name, framework, builder, expected parameter count), so tests and
documentation can read it without importing a framework. Frameworks are imported only when the
command runs; a missing one turns its rows into "unavailable" with the extra to install.
"""

from __future__ import annotations

import argparse
import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelSpec:
    """One architecture: ``builder`` is ``"module:callable"`` returning a model with defaults."""

    name: str
    framework: str  # "keras" or "torch"
    builder: str
    params: int
    description: str


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec("post_tensorflow", "keras", "cnnbook.keras_models:post_tensorflow_model", 54_410,
              "the post's TensorFlow model, MNIST 28x28x1"),
    ModelSpec("post_keras", "keras", "cnnbook.keras_models:post_keras_model", 225_034,
              "the post's Keras model, MNIST 28x28x1"),
    ModelSpec("post_pytorch", "keras", "cnnbook.keras_models:post_pytorch_model", 315_722,
              "Keras twin of the post's PyTorch CNN, CIFAR-10 32x32x3"),
    ModelSpec("PostTensorFlowNet", "torch", "cnnbook.torch_models:PostTensorFlowNet", 54_410,
              "torch twin of the post's TensorFlow model, MNIST 1x28x28"),
    ModelSpec("PostKerasNet", "torch", "cnnbook.torch_models:PostKerasNet", 225_034,
              "torch twin of the post's Keras model, MNIST 1x28x28"),
    ModelSpec("PostPyTorchNet", "torch", "cnnbook.torch_models:PostPyTorchNet", 315_722,
              "the post's PyTorch CNN, CIFAR-10 3x32x32"),
)

_EXTRA = {"keras": "tf", "torch": "torch"}


def count_params(spec: ModelSpec) -> int:
    """Build ``spec``'s model with its defaults and count its parameters (imports the framework)."""
    module_name, attr = spec.builder.split(":")
    model = getattr(importlib.import_module(module_name), attr)()
    if spec.framework == "keras":
        return int(model.count_params())
    return sum(p.numel() for p in model.parameters())


def run(args: argparse.Namespace) -> int:
    specs = [s for s in MODELS if args.framework in (None, s.framework)]
    print(f"{'model':<18} {'framework':<9} {'parameters':>11}  description")
    status = 0
    for spec in specs:
        try:
            counted = f"{count_params(spec):,}"
        except ImportError:
            counted = "unavailable"
            note = f"pip install 'cnnbook[{_EXTRA[spec.framework]}]'"
        else:
            note = spec.description
            if counted != f"{spec.params:,}":
                note += f" (EXPECTED {spec.params:,})"
                status = 1
        print(f"{spec.name:<18} {spec.framework:<9} {counted:>11}  {note}")
    return status


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("models", help="list the book's models with their parameter counts")
    parser.add_argument("--framework", choices=sorted(_EXTRA), default=None,
                        help="only this framework's models")
    parser.set_defaults(func=run)
