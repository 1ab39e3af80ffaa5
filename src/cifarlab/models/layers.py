"""Building blocks shared by several families (written once, imported by the families).

Every hand-written model derives from :class:`Classifier`, which fixes the timm-style
split ``forward_features`` (backbone, spatial map) -> ``forward_head`` (pool, dropout,
linear) and exposes ``get_classifier()`` (the final ``nn.Linear``, used by the training
loop for head-only fine-tuning).
"""

from __future__ import annotations

import math
from typing import Callable

import torch
from torch import Tensor, nn

ActFactory = Callable[[], nn.Module]


class Classifier(nn.Module):
    """Backbone + global-average-pool head.

    Subclasses build ``self.features`` (any module mapping NCHW images to an NCHW map
    with ``num_features`` channels) and call :meth:`_init_head`.
    """

    features: nn.Module
    fc: nn.Linear

    def _init_head(self, num_features: int, num_classes: int, drop_rate: float = 0.0) -> None:
        self.num_features = num_features
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head_drop = nn.Dropout(drop_rate) if drop_rate > 0 else nn.Identity()
        self.fc = nn.Linear(num_features, num_classes)

    def forward_features(self, x: Tensor) -> Tensor:
        return self.features(x)

    def forward_head(self, x: Tensor, pre_logits: bool = False) -> Tensor:
        x = torch.flatten(self.pool(x), 1)
        x = self.head_drop(x)
        return x if pre_logits else self.fc(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_head(self.forward_features(x))

    def get_classifier(self) -> nn.Linear:
        """The final linear layer (what head-only fine-tuning trains)."""
        return self.fc


def conv_bn(
    cin: int,
    cout: int,
    kernel: int = 3,
    stride: int = 1,
    *,
    groups: int = 1,
    act: ActFactory | None = None,
    bn: bool = True,
    bias: bool | None = None,
) -> nn.Sequential:
    """``kxk`` conv ('same' padding for stride 1) -> BatchNorm -> optional activation.

    By default the conv has a bias only when there is no BatchNorm after it (a BN shift
    makes it redundant), which is what the seeds' parameter counts assume; ``bias=True``
    keeps PyTorch's ``nn.Conv2d`` default for the seeds whose code wrote it that way.
    """
    bias = (not bn) if bias is None else bias
    layers: list[nn.Module] = [
        nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=bias)
    ]
    if bn:
        layers.append(nn.BatchNorm2d(cout))
    if act is not None:
        layers.append(act())
    return nn.Sequential(*layers)


def relu() -> nn.Module:
    return nn.ReLU(inplace=True)


class SqueezeExcite(nn.Module):
    """Squeeze-and-Excitation (Hu et al. 2018): GAP -> FC(C/r) -> ReLU -> FC(C) -> sigmoid.

    ``bias`` False matches the common CIFAR SE-ResNet code (nn.Linear(..., bias=False)).
    """

    def __init__(self, channels: int, reduction: int = 16, bias: bool = False) -> None:
        super().__init__()
        hidden = max(channels // reduction, 1)
        self.fc1 = nn.Conv2d(channels, hidden, 1, bias=bias)
        self.act = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(hidden, channels, 1, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        w = x.mean((2, 3), keepdim=True)
        return x * torch.sigmoid(self.fc2(self.act(self.fc1(w))))


def eca_kernel_size(channels: int, gamma: int = 2, b: int = 1) -> int:
    """ECA-Net's adaptive kernel: nearest odd number to log2(C)/gamma + b/gamma (>= 3 here,
    since for C in 16..64 the formula gives 2..3 and the paper rounds even values up)."""
    t = int(abs(math.log2(channels) / gamma + b / gamma))
    return t if t % 2 else t + 1


class ECA(nn.Module):
    """Efficient Channel Attention (Wang et al. 2020): GAP -> bias-free Conv1d(k) -> sigmoid.

    ``k_size`` is an odd int or ``"adaptive"`` (computed from the channel count).
    Parameters: exactly ``k`` per module.
    """

    def __init__(self, channels: int, k_size: int | str = 3) -> None:
        super().__init__()
        if k_size == "adaptive":
            k = eca_kernel_size(channels)
        elif isinstance(k_size, int) and k_size % 2 == 1 and k_size > 0:
            k = k_size
        else:
            raise ValueError(f"ECA k_size must be an odd positive int or 'adaptive', got {k_size!r}")
        self.k = k
        self.conv = nn.Conv1d(1, 1, k, padding=k // 2, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        w = x.mean((2, 3))  # (N, C)
        w = self.conv(w.unsqueeze(1)).squeeze(1)  # 1-D conv across channels
        return x * torch.sigmoid(w)[:, :, None, None]


class GhostModule(nn.Module):
    """Ghost module (Han et al. 2020): a primary ``kxk`` conv makes ``ceil(out/ratio)``
    intrinsic maps, a cheap depthwise ``dw x dw`` conv makes the rest ("ghosts").

    Drop-in replacement for ``conv_bn(cin, cout, kernel, stride)`` (BN inside; ``act``
    after both parts as in the paper's GhostModule, or none when ``act`` is None).
    """

    def __init__(
        self,
        cin: int,
        cout: int,
        kernel: int = 1,
        stride: int = 1,
        *,
        ratio: int = 2,
        dw_size: int = 3,
        act: ActFactory | None = relu,
    ) -> None:
        super().__init__()
        if ratio < 2:
            raise ValueError(f"ghost ratio must be >= 2, got {ratio}")
        self.cout = cout
        init = math.ceil(cout / ratio)
        self.primary = conv_bn(cin, init, kernel, stride, act=act)
        self.cheap = conv_bn(init, init * (ratio - 1), dw_size, groups=init, act=act)

    def forward(self, x: Tensor) -> Tensor:
        y = self.primary(x)
        return torch.cat([y, self.cheap(y)], 1)[:, : self.cout]


class DropPath(nn.Module):
    """Stochastic depth per sample (identity at eval or p == 0)."""

    def __init__(self, p: float = 0.0) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        if self.p == 0.0 or not self.training:
            return x
        keep = 1.0 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        return x * mask / keep


def linear_schedule(total: int, high: float) -> list[float]:
    """``total`` values rising linearly from 0 to ``high`` (stochastic-depth rates)."""
    return [high * i / max(total - 1, 1) for i in range(total)]
