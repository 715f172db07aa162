"""The CenterNet loss (torch): a focal loss on the centre heatmap plus L1 on size and offset.

Outputs and targets are NCHW maps laid out by :class:`cnnbook.detection.targets.TargetLayout`:
the network predicts heatmap **logits** ``(B, C, H', W')``, sizes ``(B, 2, H', W')`` and offsets
``(B, 2, H', W')`` in one ``(B, C + 4, H', W')`` tensor; the targets add the centre mask.

- Heatmap: CenterNet's penalty-reduced focal loss (Zhou et al., "Objects as Points", 2019,
  eq. 1, after CornerNet), with ``alpha = 2``, ``beta = 4``: centre cells (target 1) are
  pushed to 1, every other cell to 0, less so near a centre (weight ``(1 - target) ** beta``).
  Summed and divided by the number of objects.
- Size and offset: L1 at the centre cells only, divided by the number of objects; the size term
  is weighted ``0.1`` as in the paper (sizes are in grid cells, offsets in ``[0, 1)``).

The loss is a plain ``nn.Module`` ``loss(outputs, targets) -> scalar``, so it goes to
:func:`cnnbook.training.fit` as ``loss=``.
"""

from __future__ import annotations

from cnnbook._optional import needs

with needs("torch"):
    import torch
    import torch.nn.functional as F
    from torch import nn

from cnnbook.detection.targets import DEFAULT_LAYOUT, TargetLayout

__all__ = ["CenterNetLoss"]


class CenterNetLoss(nn.Module):
    """``loss(outputs (B, C + 4, H', W'), targets (B, C + 5, H', W')) -> scalar``.

    Args:
        layout: the channel layout (classes, stride).
        size_weight, offset_weight: weights of the two L1 terms (paper: 0.1 and 1).
        alpha, beta: the focal loss's exponents (paper: 2 and 4).
    """

    def __init__(self, layout: TargetLayout = DEFAULT_LAYOUT, *, size_weight: float = 0.1,
                 offset_weight: float = 1.0, alpha: float = 2.0, beta: float = 4.0) -> None:
        super().__init__()
        self.layout = layout
        self.size_weight, self.offset_weight = size_weight, offset_weight
        self.alpha, self.beta = alpha, beta

    def parts(self, outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
        """The three terms, unweighted: ``{"heatmap", "size", "offset"}``."""
        lay = self.layout
        if outputs.ndim != 4 or outputs.shape[1] != lay.outputs:
            raise ValueError(f"outputs must be (B, {lay.outputs}, H, W), got "
                             f"{tuple(outputs.shape)}")
        if targets.shape[1] != lay.channels or targets.shape[2:] != outputs.shape[2:]:
            raise ValueError(f"targets must be (B, {lay.channels}, {outputs.shape[2]}, "
                             f"{outputs.shape[3]}), got {tuple(targets.shape)}")
        outputs = outputs.float()
        logits = outputs[:, : lay.num_classes]  # (B, C, H', W')
        heat = targets[:, : lay.num_classes]
        centre = heat == 1
        p = torch.sigmoid(logits)
        # log(p) and log(1 - p) from the logits, stable for large |logits|
        pos = F.logsigmoid(logits) * (1 - p) ** self.alpha
        neg = F.logsigmoid(-logits) * p ** self.alpha * (1 - heat) ** self.beta
        mask = targets[:, lay.mask: lay.mask + 1]  # (B, 1, H', W'), 1 at centre cells
        objects = mask.sum().clamp(min=1.0)
        focal = -(torch.where(centre, pos, neg)).sum() / objects
        size = ((outputs[:, lay.size] - targets[:, lay.size]).abs() * mask).sum() / objects
        offset = ((outputs[:, lay.offset] - targets[:, lay.offset]).abs() * mask).sum() / objects
        return {"heatmap": focal, "size": size, "offset": offset}

    def forward(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        parts = self.parts(outputs, targets)
        return (parts["heatmap"] + self.size_weight * parts["size"]
                + self.offset_weight * parts["offset"])
