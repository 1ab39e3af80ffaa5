"""``dla34`` (s004): timm's DLA-34 (Yu et al. 2018) with the s004 CIFAR stem.

CIFAR adaptation (the only changes to timm's network): the 7x7 base conv becomes 3x3, and
level 1 keeps stride 1 instead of 2, so a 32 px image leaves the network as a 2x2 map
(total stride 16) instead of 1x1. timm's 1x1-conv classifier is replaced by the
equivalent ``nn.Linear`` so every zoo model's ``get_classifier()`` is a Linear.
"""

from __future__ import annotations

import math

import torch
from timm.models.dla import DLA, DlaBasic
from torch import Tensor, nn

from cifarlab.models.registry import register_model


class CifarDLA(DLA):
    def __init__(self, num_classes: int, *, cifar_stem: bool = True, drop_rate: float = 0.0) -> None:
        super().__init__(levels=[1, 1, 1, 2, 2, 1], channels=[16, 32, 64, 128, 256, 512],
                         block=DlaBasic, num_classes=num_classes, drop_rate=drop_rate)
        if cifar_stem:
            c0 = self.channels[0]
            self.base_layer[0] = nn.Conv2d(self.in_chans, c0, 3, 1, 1, bias=False)
            self.base_layer[0].weight.data.normal_(0, math.sqrt(2.0 / (9 * c0)))  # timm's init
            self.level1[0].stride = (1, 1)
        self.fc = nn.Linear(self.num_features, num_classes)

    def forward_head(self, x: Tensor, pre_logits: bool = False) -> Tensor:
        x = self.head_drop(torch.flatten(self.global_pool(x), 1))
        return x if pre_logits else self.fc(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_head(self.forward_features(x))

    def get_classifier(self) -> nn.Linear:
        return self.fc


def cifar_dla34(num_classes: int, **cfg) -> CifarDLA:
    return CifarDLA(num_classes, **cfg)


register_model("dla34", family="dla", study="s004",
               source="s004 §1.4 (DLA34 batch x epoch grid), §1.7 (model table)",
               fidelity_note="s004 gives no parameter count; CIFAR stem as described in "
               "the module docstring")(cifar_dla34)
