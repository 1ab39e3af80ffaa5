"""Model size and cost: parameter count and forward FLOPs.

FLOPs follow ``torch.utils.flop_counter.FlopCounterMode``: one multiply-add counts as
2 FLOPs (so a conv's FLOPs are 2x its MACs), and only matmul/conv/attention-like ops are
counted (element-wise ops, norms and pooling are not).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def count_params(model: nn.Module) -> int:
    """Number of parameters (trainable or not; buffers such as BN statistics excluded)."""
    return sum(p.numel() for p in model.parameters())


def count_flops(model: nn.Module, input_size: int, channels: int = 3) -> int:
    """Forward FLOPs for one ``channels x input_size x input_size`` image (batch of 1).

    The model is measured in eval mode without gradients on the device of its
    parameters; its training/eval mode is restored afterwards.
    """
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    x = torch.zeros(1, channels, input_size, input_size, device=device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(x)
    finally:
        model.train(was_training)
    return int(counter.get_total_flops())
