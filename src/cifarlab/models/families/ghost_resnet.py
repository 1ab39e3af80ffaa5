"""Ghost-ResNets (s002 §3.2.3, §5.2): the CIFAR ResNet with every 3x3 conv+BN of its
blocks replaced by a Ghost module (primary 3x3 conv to ``ceil(C/ratio)`` maps + cheap
depthwise 3x3 for the rest). ``ratio`` is a model parameter (2 by default, 4 in the
ablation). Stem, projection shortcuts and head are the plain ResNet's.

Counts at 100 classes: ghost_resnet_20 147,716 (ratio 2) and 82,412 (ratio 4),
ghost_resnet_32 247,396. s002 states 0.15M / 0.08M / 0.24M (two significant digits;
its conclusion even says 0.03M). The first two round to the claims but are 1.5% and 3.0%
off them; ghost_resnet_32 is 3.1% above 0.24M. No variant of the described design moves
both depths towards their claims at once (Ghost stem/shortcuts lower both, a 5x5 cheap
op raises both), so the standard Ghost module (3x3 primary, 3x3 depthwise cheap op) is
kept and the gap documented.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from torch import nn

from cifarlab.models.families.cifar_resnet import BasicBlock, CifarResNet
from cifarlab.models.layers import GhostModule
from cifarlab.models.registry import register_model


def _ghost_conv(cin: int, cout: int, kernel: int, stride: int, *, ratio: int) -> nn.Module:
    # The block applies its own ReLU after conv1 and none after conv2 (before the add),
    # so the Ghost module itself carries no activation: a drop-in for conv3x3+BN.
    return GhostModule(cin, cout, kernel, stride, ratio=ratio, act=None)


def ghost_resnet(num_classes: int, depth: int = 20, ratio: int = 2, **cfg: Any) -> CifarResNet:
    block = partial(BasicBlock, conv=partial(_ghost_conv, ratio=ratio))
    return CifarResNet(num_classes, depth, block=block, **cfg)


_NOTE = ("s002 gives 0.15M/0.08M (ratio 2/4) and 0.24M to two significant digits; the "
         "standard Ghost module gives 147,716/82,412 and 247,396 (1.5%/3.0%/3.1% off); no "
         "variant of the described design meets all three, see docs/models.md")
_reg = partial(register_model, family="ghost_resnet", study="s002", fidelity_note=_NOTE)
_reg("ghost_resnet_20", source="s002 §3.2.3, §5.2 (0.15M at ratio 2, 0.08M at ratio 4)",
     claimed_params=0.15e6, depth=20, ratio=2)(ghost_resnet)
_reg("ghost_resnet_32", source="s002 §3.2.3, Table 1 (0.24M)",
     claimed_params=0.24e6, depth=32, ratio=2)(ghost_resnet)
