"""``lsknet_tiny``: LSKNet-T (Li et al. 2023) as a classifier — s002 only discusses LSKNet
(§2.2, §3.2), this is the project's step beyond. Shared VAN-style skeleton
(:mod:`cifarlab.models.van`), LSK gating, the paper's T config (dims 32/64/160/256,
depths 3/3/5/2, MLP ratios 8/8/4/4) and its 7x7 stride-4 first patch embedding.

LSK gating: a 5x5 depthwise conv and, on top of it, a 7x7 depthwise conv with dilation 3
(two receptive fields); each reduced to C/2 by a 1x1; a spatial selection map from the
channel-mean and channel-max of both (a 7x7 conv, 2 -> 2, sigmoid) weighs them; a 1x1
back to C multiplies the input.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from cifarlab.models.registry import register_model
from cifarlab.models.van import VANBackbone, patch_embed


class LSKGating(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.conv0 = nn.Conv2d(dim, dim, 5, padding=2, groups=dim)
        self.conv_spatial = nn.Conv2d(dim, dim, 7, padding=9, groups=dim, dilation=3)
        self.conv1 = nn.Conv2d(dim, dim // 2, 1)
        self.conv2 = nn.Conv2d(dim, dim // 2, 1)
        self.conv_squeeze = nn.Conv2d(2, 2, 7, padding=3)
        self.conv = nn.Conv2d(dim // 2, dim, 1)

    def forward(self, x: Tensor) -> Tensor:
        a1 = self.conv0(x)
        a2 = self.conv_spatial(a1)
        a1, a2 = self.conv1(a1), self.conv2(a2)
        both = torch.cat([a1, a2], 1)
        agg = torch.cat([both.mean(1, keepdim=True), both.amax(1, keepdim=True)], 1)
        sig = torch.sigmoid(self.conv_squeeze(agg))
        return self.conv(a1 * sig[:, :1] + a2 * sig[:, 1:]) * x


def lsk_stem(cin: int, cout: int) -> nn.Module:
    return patch_embed(cin, cout, 7, 4)


def lsknet(num_classes: int, **cfg) -> VANBackbone:
    return VANBackbone(num_classes, gating=LSKGating, stem=lsk_stem, **cfg)


register_model(
    "lsknet_tiny", family="lsknet", study="s002",
    source="s002 §2.2 item 3 / §3.2 (discussed only; LSKNet-T from the LSKNet paper)",
    dims=(32, 64, 160, 256), depths=(3, 3, 5, 2), mlp_ratios=(8, 8, 4, 4),
)(lsknet)
