"""``cspresnet50`` (s002 §3.2.5): timm's CSPResNet-50 (Wang et al. 2020), unchanged.

20,693,668 parameters at 100 classes = s002's 20.69M.
"""

from __future__ import annotations

import timm
from torch import nn

from cifarlab.models.registry import register_model


def timm_cspnet(num_classes: int, variant: str = "cspresnet50", **kw) -> nn.Module:
    return timm.create_model(variant, pretrained=False, num_classes=num_classes, **kw)


register_model("cspresnet50", family="cspnet", study="s002",
               source="s002 §3.2.5, Table 1 (20.69M)", claimed_params=20.69e6)(timm_cspnet)
