"""torchvision.transforms.v2.functional, imported on first use.

Importing any part of torchvision runs its package ``__init__`` (models, ops, and with
them torch._dynamo): about 1.7 s a process. The loader and augmentation ops call a few
torchvision kernels only when a run resizes or augments, so a job whose model needs no
torchvision (cnn4, the CIFAR ResNets) does not pay for it at start-up.
"""

from __future__ import annotations

from typing import Any


class _LazyFunctional:
    def __getattr__(self, name: str) -> Any:
        import torchvision.transforms.v2.functional as functional

        return getattr(functional, name)


TF = _LazyFunctional()


def normalize(x, mean, std):
    """``(x - mean) / std`` per channel, as torchvision.v2's ``normalize`` computes it for a
    float tensor (checked against it in tests/data): every run normalises, and this is one
    line of arithmetic, so evaluation does not import torchvision for it."""
    import torch

    mean = torch.as_tensor(mean, dtype=x.dtype, device=x.device).view(-1, 1, 1)
    std = torch.as_tensor(std, dtype=x.dtype, device=x.device).view(-1, 1, 1)
    return (x - mean) / std


def resize_bilinear(x, size: int):
    """Batch ``x`` (N, C, H, W, float) to ``size`` x ``size``, bilinear with antialiasing:
    the call torchvision.v2's ``resize(x, [size, size], antialias=True)`` makes for a float
    tensor (checked equal to it in tests/data). A run trained below its recipe's size
    resizes every batch, and importing torchvision for this one call costs ~1.6 s a job."""
    from torch.nn.functional import interpolate

    if tuple(x.shape[-2:]) == (size, size):
        return x
    return interpolate(x, size=[size, size], mode="bilinear", align_corners=False, antialias=True)
