"""``convnext_tiny`` (s002 §3.2.4): timm's ConvNeXt-T (4x4/4 patchify stem + LN, depths
3/3/9/3, widths 96..768, 7x7 depthwise, LN, 4x inverted MLP, GELU) as s002 describes it.

27,897,028 parameters at 100 classes = s002's 27.90M. ``drop_path_rate`` is a parameter.
"""

from __future__ import annotations

import timm
from torch import nn

from cifarlab.models.registry import register_model


def timm_convnext(num_classes: int, variant: str = "convnext_tiny", **kw) -> nn.Module:
    return timm.create_model(variant, pretrained=False, num_classes=num_classes, **kw)


register_model("convnext_tiny", family="convnext", study="s002",
               source="s002 §3.2.4, Table 1 (27.90M)", claimed_params=27.90e6)(timm_convnext)
