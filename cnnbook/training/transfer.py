"""Transfer learning: freeze and unfreeze by module name, parameter groups with their own learning
rates, and a checkpoint's backbone loaded into a model with another head.

Names are those of ``model.named_modules()`` (``"conv1"``, ``"res1"``, ``"res1.conv2"``, ``"fc"``;
a catalogue model's submodules are named by its spec's labels); a name stands for the module and
everything inside it. Typical use, with a network pretrained on other classes::

    net = catalogue.get("cifar_resnet_small").build("torch", num_classes=2)
    load_backbone(net, "pretrained/", head="fc")  # every weight but the head's
    freeze(net)
    unfreeze(net, "fc")  # a linear probe: only the head trains
    # or fine-tune everything, the backbone ten times slower than the new head:
    unfreeze(net)
    groups = param_groups(net, {"fc": 0.05}, rest=0.005)

A batch-norm layer whose scale and shift are all frozen also keeps its running statistics: ``fit``
runs it in evaluation mode, as Keras runs a ``BatchNormalization`` layer with ``trainable=False``
(:func:`hold_frozen_norms`). Shapes: whatever the model takes (NCHW for the book's CNNs).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cnnbook._optional import needs

with needs("torch"):
    import torch
    from torch import nn

__all__ = ["freeze", "unfreeze", "param_groups", "load_backbone", "hold_frozen_norms"]


def _under(param_name: str, module_name: str) -> bool:
    """Whether parameter ``conv1.weight`` belongs to module ``conv1`` (whole name parts only:
    ``conv1`` does not hold ``conv10.weight``); ``""`` holds everything."""
    return not module_name or param_name == module_name or param_name.startswith(module_name + ".")


def _check_names(model: nn.Module, names: Iterable[str]) -> list[str]:
    known = dict(model.named_modules())
    names = list(names)
    unknown = [name for name in names if name not in known]
    if unknown:
        top = ", ".join(name for name, _ in model.named_children()) or "none"
        raise ValueError(f"{type(model).__name__} has no module {unknown[0]!r}; its top-level "
                         f"modules: {top}")
    return names


def _set(model: nn.Module, names: tuple[str, ...], trainable: bool) -> list[str]:
    chosen = _check_names(model, names) or [""]
    changed = []
    for param_name, param in model.named_parameters():
        if any(_under(param_name, name) for name in chosen):
            if param.requires_grad != trainable:
                changed.append(param_name)
            param.requires_grad_(trainable)
    return changed


def freeze(model: nn.Module, *names: str) -> list[str]:
    """Stop training the parameters of the modules ``names`` (all of ``model`` when none is
    given): ``requires_grad = False``, so no gradient is computed for them and an optimizer
    leaves them alone. Returns the parameters that changed; a one-line ``ValueError`` for a name
    that is not a module of ``model``."""
    return _set(model, names, False)


def unfreeze(model: nn.Module, *names: str) -> list[str]:
    """Train the parameters of the modules ``names`` again (all of ``model`` when none is
    given); returns the parameters that changed."""
    return _set(model, names, True)


def param_groups(model: nn.Module, lrs: Mapping[str, float], *,
                 rest: float | None = None) -> list[dict[str, Any]]:
    """Parameter groups for a ``torch.optim`` optimizer, each with its own learning rate.

    Args:
        model: its trainable parameters (``requires_grad``) are grouped; frozen ones are left out.
        lrs: ``{module name: learning rate}``; a parameter inside several named modules takes
            the longest name's rate (``{"res1": 0.01, "res1.conv2": 0.001}``).
        rest: the learning rate of every trainable parameter in none of ``lrs``' modules; with
            ``None`` there must be none.

    Returns:
        ``[{"params": [...], "lr": ..., "names": [...]}, ...]`` in the order of ``lrs``, then the
        rest; groups left empty are dropped. ``names`` (the parameters' names) is for reading:
        optimizers keep extra keys of a group.
    """
    _check_names(model, lrs)
    order = sorted(lrs, key=len, reverse=True)  # the most specific name first
    groups: dict[str | None, dict[str, Any]] = {
        name: {"params": [], "lr": lr, "names": []} for name, lr in lrs.items()}
    groups[None] = {"params": [], "lr": rest, "names": []}
    for param_name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        owner = next((name for name in order if _under(param_name, name)), None)
        groups[owner]["params"].append(param)
        groups[owner]["names"].append(param_name)
    if rest is None and groups[None]["params"]:
        raise ValueError(f"{len(groups[None]['params'])} trainable parameters are in none of "
                         f"{', '.join(map(repr, lrs))}, e.g. {groups[None]['names'][0]!r}: "
                         "give rest= a learning rate for them")
    return [group for group in groups.values() if group["params"]]


def hold_frozen_norms(model: nn.Module) -> list[str]:
    """Put every batch-norm layer whose scale and shift are all frozen into evaluation mode
    (its running statistics are then used and kept); ``fit`` calls it after ``model.train()``.
    Returns their names."""
    held = []
    for name, module in model.named_modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            params = list(module.parameters(recurse=False))
            if params and not any(p.requires_grad for p in params):
                module.eval()
                held.append(name)
    return held


def load_backbone(model: nn.Module, path: str | Path, *, head: str | Iterable[str] = "fc",
                  device: str | torch.device = "cpu") -> list[str]:
    """Copy every weight and buffer of a torch checkpoint into ``model`` except those of the
    ``head`` modules, which keep their fresh initial values: a backbone pretrained on other
    classes, under a new head.

    The checkpoint is read by :func:`cnnbook.saving.torch_checkpoint.load_checkpoint`, with its
    checks (manifest, SHA-256 of the tensors, no pickle). Then, in one line each, a
    ``ValueError`` when ``model`` is another catalogue model than the checkpoint's, when a
    ``head`` is not a module of ``model``, or when the two disagree outside the head (a tensor
    missing on either side, or of another shape); nothing is copied unless all agree.

    Returns:
        The names of the tensors copied (parameters and buffers, as in ``state_dict``).
    """
    from cnnbook.saving.torch_checkpoint import load_checkpoint

    heads = _check_names(model, [head] if isinstance(head, str) else head)
    checkpoint = load_checkpoint(path, device=device)
    ours = getattr(model, "catalogue_name", None)
    if ours is not None and ours != checkpoint.name:
        raise ValueError(f"{path}: the checkpoint holds {checkpoint.name!r}, the model is "
                         f"{ours!r}")
    source = {k: v for k, v in checkpoint.model.state_dict().items()
              if not any(_under(k, h) for h in heads)}
    target = {k: v for k, v in model.state_dict().items()
              if not any(_under(k, h) for h in heads)}
    missing = [k for k in target if k not in source]
    extra = [k for k in source if k not in target]
    if missing or extra:
        what = (f"the model's {missing[0]!r} is not in it" if missing
                else f"its {extra[0]!r} is not in the model")
        raise ValueError(f"{path}: {len(missing) + len(extra)} tensors outside the head "
                         f"{', '.join(heads)} do not match, e.g. {what}")
    for key, value in source.items():
        if value.shape != target[key].shape:
            raise ValueError(f"{path}: {key} is {tuple(value.shape)} in the checkpoint and "
                             f"{tuple(target[key].shape)} in the model")
    with torch.no_grad():
        for key, value in source.items():
            target[key].copy_(value)
    return list(source)
