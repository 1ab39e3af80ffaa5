"""Training criteria: cross-entropy or focal loss, with label smoothing and class weights.

s004 reserves ``FOCAL_GAMMA=2.0`` for a focal-loss run it never made, and names loss
weights aimed at its confused classes as a next step. torchvision's
``ops.sigmoid_focal_loss`` is the binary (one-vs-rest sigmoid) form of Lin et al. 2017;
here the softmax form is needed, on hard labels or on the soft targets MixUp/CutMix make:

    loss_i = - sum_k w_k t_ik (1 - p_ik)^gamma log p_ik

with ``t`` the (label-smoothed) target distribution and ``w`` optional class weights. The
mean follows ``F.cross_entropy``: hard labels divide by ``sum_i w_{y_i}``, soft targets by
N. At gamma 0 this is ``F.cross_entropy`` exactly (the tests check it), so one formula
serves both names and the plain cross-entropy path keeps PyTorch's fused kernel.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
import torch.nn.functional as F

LOSSES = ("cross_entropy", "focal")
Criterion = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _targets(y: torch.Tensor, k: int, label_smoothing: float) -> torch.Tensor:
    t = y.float() if y.is_floating_point() else F.one_hot(y, k).float()
    return t * (1.0 - label_smoothing) + label_smoothing / k


def focal_loss(logits: torch.Tensor, y: torch.Tensor, gamma: float = 2.0, *,
               label_smoothing: float = 0.0, weight: torch.Tensor | None = None) -> torch.Tensor:
    """Mean softmax focal loss (nats) of ``logits`` (N, K) against int labels (N,) or soft
    targets (N, K); ``weight`` (K,) weighs each class's term."""
    logits = logits.float()
    logp = F.log_softmax(logits, dim=1)
    k = logits.shape[1]
    terms = _targets(y, k, label_smoothing) * (1.0 - logp.exp()).pow(gamma) * -logp
    if weight is not None:
        terms = terms * weight
    total = terms.sum()
    if y.is_floating_point():
        return total / len(y)
    return total / (weight[y].sum() if weight is not None else len(y))


def make_criterion(name: str = "cross_entropy", *, gamma: float = 0.0, label_smoothing: float = 0.0,
                   class_weights: Sequence[float] | None = None) -> Criterion:
    """``(logits, y) -> mean loss`` for a recipe's loss settings."""
    if name not in LOSSES:
        raise ValueError(f"loss.name must be one of {', '.join(LOSSES)}, got {name!r}")
    weights = None if class_weights is None else torch.tensor(list(class_weights), dtype=torch.float32)

    def weight_on(device: torch.device) -> torch.Tensor | None:
        return None if weights is None else weights.to(device)

    if name == "cross_entropy":
        return lambda logits, y: F.cross_entropy(logits.float(), y, weight=weight_on(logits.device),
                                                 label_smoothing=label_smoothing)
    return lambda logits, y: focal_loss(logits, y, gamma, label_smoothing=label_smoothing,
                                        weight=weight_on(logits.device))
