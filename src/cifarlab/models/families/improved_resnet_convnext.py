"""``improved_resnet20_convnext`` (s002 §7.2): ResNet-20 with ConvNeXt-style blocks.

Per s002 §7.2.2: the CIFAR stem (3x3 conv 3->16, BN, ReLU) and the 16/32/64 three-stage
ResNet-20 skeleton are kept; each block is an inverted bottleneck
``1x1 expand (x4 of the input channels) -> BN -> ReLU -> 7x7 depthwise (stride) -> BN ->
ReLU -> 1x1 project -> BN``, DropPath on the branch, then the (identity or 1x1 conv+BN
projection) shortcut is added and a ReLU applied. BN and ReLU, not LayerNorm and GELU,
as the seed states. ``drop_path`` (stochastic-depth rate, 0.05 in s002) is a parameter.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from torch import Tensor, nn

from cifarlab.models.families.cifar_resnet import CifarResNet, projection
from cifarlab.models.layers import DropPath, conv_bn, relu
from cifarlab.models.registry import register_model


class InvertedBottleneckBlock(nn.Module):
    """1x1 expand -> kxk depthwise (stride) -> 1x1 project, BN after each, ReLU after two."""

    def __init__(
        self,
        cin: int,
        cout: int,
        stride: int = 1,
        *,
        expand_ratio: int = 4,
        kernel: int = 7,
        drop_path: float = 0.0,
    ) -> None:
        super().__init__()
        hidden = cin * expand_ratio
        self.branch = nn.Sequential(
            conv_bn(cin, hidden, 1, act=relu),
            conv_bn(hidden, hidden, kernel, stride, groups=hidden, act=relu),
            conv_bn(hidden, cout, 1),
        )
        self.drop_path = DropPath(drop_path)
        self.shortcut = projection(cin, cout, stride)
        self.act = relu()

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.drop_path(self.branch(x)) + self.shortcut(x))


def improved_resnet_convnext(num_classes: int, depth: int = 20, **cfg: Any) -> CifarResNet:
    block_keys = ("expand_ratio", "kernel")
    block = partial(InvertedBottleneckBlock, **{k: cfg.pop(k) for k in block_keys if k in cfg})
    return CifarResNet(num_classes, depth, block=block, **cfg)


register_model(
    "improved_resnet20_convnext", family="improved_resnet_convnext", study="s002",
    source="s002 §7.2 (ImprovedBlock_ConvNeXt), §3.4.3 (drop_path_rate 0.05), Table 1 (0.175M)",
    claimed_params=0.175e6, depth=20, drop_path=0.05,
)(improved_resnet_convnext)
