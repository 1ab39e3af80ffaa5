"""``ghostnet_100`` (s002 §3.2.3): timm's GhostNet 1.0x (Han et al. 2020), unchanged.

4,029,608 parameters at 100 classes = s002's 4.03M. ImageNet stem (stride 2) on 32x32
input, as s002 trained it (no CIFAR adaptation is described).
"""

from __future__ import annotations

import timm
from torch import nn

from cifarlab.models.registry import register_model


def timm_ghostnet(num_classes: int, variant: str = "ghostnet_100", **kw) -> nn.Module:
    return timm.create_model(variant, pretrained=False, num_classes=num_classes, **kw)


register_model("ghostnet_100", family="ghostnet", study="s002",
               source="s002 §3.2.3, Table 1 (4.03M)", claimed_params=4.03e6)(timm_ghostnet)
