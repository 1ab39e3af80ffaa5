"""Wide ResNets (Zagoruyko & Komodakis 2016) for CIFAR, s004: ``wrn_28_10``, ``wrn_16_8``.

Hand-written (torchvision's ``wide_resnet50_2`` is the ImageNet bottleneck variant):
3x3 stem conv to 16, three groups of ``(depth-4)/6`` pre-activation wide blocks
(BN-ReLU-conv3x3-Dropout-BN-ReLU-conv3x3, 1x1 conv shortcut when the shape changes) at
widths 16k/32k/64k, final BN-ReLU, global average pool, linear. Dropout 0.3 in the blocks
(s004 §1.2). Bias-free convs as in the official code: WRN-28-10 has 36.5M parameters.
"""

from __future__ import annotations

from functools import partial

from torch import Tensor, nn

from cifarlab.models.layers import Classifier, relu
from cifarlab.models.registry import register_model


class WideBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, drop_rate: float) -> None:
        super().__init__()
        self.bn1, self.act1 = nn.BatchNorm2d(cin), relu()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.drop = nn.Dropout(drop_rate) if drop_rate > 0 else nn.Identity()
        self.bn2, self.act2 = nn.BatchNorm2d(cout), relu()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        same = stride == 1 and cin == cout
        self.shortcut = nn.Identity() if same else nn.Conv2d(cin, cout, 1, stride, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        o = self.act1(self.bn1(x))
        # The projection sees the pre-activated input, as in the official WRN code.
        skip = x if isinstance(self.shortcut, nn.Identity) else self.shortcut(o)
        o = self.conv2(self.act2(self.bn2(self.drop(self.conv1(o)))))
        return o + skip


class WideResNet(Classifier):
    def __init__(self, num_classes: int, depth: int = 28, widen: int = 10,
                 drop_rate: float = 0.3, in_chans: int = 3) -> None:
        super().__init__()
        if (depth - 4) % 6:
            raise ValueError(f"WRN depth must be 6n+4, got {depth}")
        n = (depth - 4) // 6
        layers: list[nn.Module] = [nn.Conv2d(in_chans, 16, 3, 1, 1, bias=False)]
        cin = 16
        for g, w in enumerate((16 * widen, 32 * widen, 64 * widen)):
            for i in range(n):
                layers.append(WideBlock(cin, w, 2 if g > 0 and i == 0 else 1, drop_rate))
                cin = w
        layers += [nn.BatchNorm2d(cin), relu()]
        self.features = nn.Sequential(*layers)
        self._init_head(cin, num_classes)


def wide_resnet(num_classes: int, **cfg) -> WideResNet:
    return WideResNet(num_classes, **cfg)


_reg = partial(register_model, family="wide_resnet", study="s004",
               fidelity_note="s004 gives no parameter counts")
_reg("wrn_28_10", source="s004 §1.2 (Dropout 0.3), §1.7 (WideResNet 28-10)",
     depth=28, widen=10, drop_rate=0.3)(wide_resnet)
_reg("wrn_16_8", source="s004 §2 (WRN-16-8 analysis)", depth=16, widen=8, drop_rate=0.3)(wide_resnet)
