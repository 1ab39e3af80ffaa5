"""The VAN-style hierarchical backbone shared by SegNeXt's MSCAN and LSKNet.

Both papers (and their reference code) use the same skeleton as VAN (Guo et al. 2022):
four stages, each a strided conv "patch embedding" + BN, then blocks of
``x + ls1 * DropPath(SpatialAttention(BN(x)))`` and ``x + ls2 * DropPath(ConvMlp(BN(x)))``
(ConvMlp = 1x1 -> 3x3 depthwise -> GELU -> 1x1), and a LayerNorm closing each stage.
They differ only in the stem and in the *gating* module inside the spatial attention
(MSCA: multi-scale strip convolutions; LSK: large selective kernels), which is a
constructor argument here.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor, nn

from cifarlab.models.layers import Classifier, DropPath, linear_schedule

GatingFactory = Callable[[int], nn.Module]  # dim -> module (N, dim, H, W) -> same shape


class ConvMlp(nn.Module):
    """1x1 (dim -> hidden) -> 3x3 depthwise -> GELU -> 1x1 (hidden -> dim)."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(dim, hidden, 1)
        self.dwconv = nn.Conv2d(hidden, hidden, 3, 1, 1, groups=hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Conv2d(hidden, dim, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.act(self.dwconv(self.fc1(x))))


class SpatialAttention(nn.Module):
    """``x + proj_2(gating(GELU(proj_1(x))))`` with 1x1 projections."""

    def __init__(self, dim: int, gating: GatingFactory) -> None:
        super().__init__()
        self.proj_1 = nn.Conv2d(dim, dim, 1)
        self.act = nn.GELU()
        self.gating = gating(dim)
        self.proj_2 = nn.Conv2d(dim, dim, 1)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.proj_2(self.gating(self.act(self.proj_1(x))))


class VANBlock(nn.Module):
    def __init__(self, dim: int, mlp_ratio: float, gating: GatingFactory,
                 drop_path: float = 0.0, layer_scale: float = 1e-2) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(dim)
        self.attn = SpatialAttention(dim, gating)
        self.norm2 = nn.BatchNorm2d(dim)
        self.mlp = ConvMlp(dim, int(dim * mlp_ratio))
        self.ls1 = nn.Parameter(layer_scale * torch.ones(dim, 1, 1))
        self.ls2 = nn.Parameter(layer_scale * torch.ones(dim, 1, 1))
        self.drop_path = DropPath(drop_path)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.drop_path(self.ls1 * self.attn(self.norm1(x)))
        return x + self.drop_path(self.ls2 * self.mlp(self.norm2(x)))


class ChannelsLayerNorm(nn.LayerNorm):
    """LayerNorm over the channels of an NCHW map."""

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def patch_embed(cin: int, cout: int, kernel: int, stride: int) -> nn.Sequential:
    """Overlapping patch embedding: strided ``kernel`` conv (with bias) + BN."""
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, kernel // 2), nn.BatchNorm2d(cout))


class VANBackbone(Classifier):
    """Four stages of VAN blocks; the first stage's embedding is ``stem(in_chans, dim0)``."""

    def __init__(
        self,
        num_classes: int,
        *,
        gating: GatingFactory,
        stem: Callable[[int, int], nn.Module],
        dims: tuple[int, ...] = (32, 64, 160, 256),
        depths: tuple[int, ...] = (3, 3, 5, 2),
        mlp_ratios: tuple[float, ...] = (8, 8, 4, 4),
        drop_path_rate: float = 0.0,
        in_chans: int = 3,
    ) -> None:
        super().__init__()
        rates = iter(linear_schedule(sum(depths), drop_path_rate))
        stages: list[nn.Module] = []
        cin = in_chans
        for i, (dim, depth, ratio) in enumerate(zip(dims, depths, mlp_ratios)):
            embed = stem(cin, dim) if i == 0 else patch_embed(cin, dim, 3, 2)
            blocks = [VANBlock(dim, ratio, gating, next(rates)) for _ in range(depth)]
            stages.append(nn.Sequential(embed, *blocks, ChannelsLayerNorm(dim)))
            cin = dim
        self.features = nn.Sequential(*stages)
        self._init_head(cin, num_classes)
