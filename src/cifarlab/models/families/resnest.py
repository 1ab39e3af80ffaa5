"""``resnest50d`` (s002 §3.2.5): timm's ResNeSt-50d (split attention, radix 2, deep
3x3 stem, avg-pool downsampling), unchanged.

25,639,140 parameters at 100 classes = s002's 25.64M.
"""

from __future__ import annotations

import timm
from torch import nn

from cifarlab.models.registry import register_model


def timm_resnest(num_classes: int, variant: str = "resnest50d", **kw) -> nn.Module:
    return timm.create_model(variant, pretrained=False, num_classes=num_classes, **kw)


register_model("resnest50d", family="resnest", study="s002",
               source="s002 §3.2.5, Table 1 (25.64M)", claimed_params=25.64e6)(timm_resnest)
