"""CIFAR ResNets (He et al. 2016, §4.2) as used by s002: ``resnet_20/32/56``.

3x3 stem (3->16), three stages of ``n`` blocks at widths 16/32/64 (stride 2 at the first
block of stages 2 and 3), global average pool, linear. Depth = 6n + 2. Shape-changing
shortcuts are 1x1 conv + BN projections (option B), which is what makes ``resnet_20``
exactly 278,324 parameters at 100 classes.

:class:`CifarResNet` is the skeleton the other s002 ResNet families reuse: the block
type is a constructor argument, and :class:`BasicBlock` takes its conv factory
(plain conv+BN, or a Ghost module) and an optional channel-attention module and position
(ECA) as arguments, so ECA-, Ghost- and ConvNeXt-style ResNets are one-line variants.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

from torch import Tensor, nn

from cifarlab.models.layers import Classifier, DropPath, conv_bn, linear_schedule, relu
from cifarlab.models.registry import register_model

ConvFactory = Callable[..., nn.Module]  # (cin, cout, kernel, stride, *, act) -> conv+BN[+act]
ATTN_POSITIONS = ("after_conv1", "after_conv2", "after_add")


def projection(cin: int, cout: int, stride: int) -> nn.Module:
    """Identity when shapes match, else 1x1 conv (stride) + BN (option B)."""
    if stride == 1 and cin == cout:
        return nn.Identity()
    return conv_bn(cin, cout, 1, stride)


class BasicBlock(nn.Module):
    """``conv3x3-BN-ReLU-conv3x3-BN (+ shortcut) -> ReLU``.

    ``attn``: optional ``channels -> nn.Module`` (e.g. ECA) inserted at ``attn_pos``:
    ``after_conv1`` (after the first conv+BN, before its ReLU), ``after_conv2`` (after the
    second conv+BN, before the add: the s002 default) or ``after_add`` (on the sum, before
    the final ReLU) — s002 §5.3.
    """

    def __init__(
        self,
        cin: int,
        cout: int,
        stride: int = 1,
        *,
        conv: ConvFactory = conv_bn,
        attn: Callable[[int], nn.Module] | None = None,
        attn_pos: str = "after_conv2",
        drop_path: float = 0.0,
    ) -> None:
        super().__init__()
        if attn_pos not in ATTN_POSITIONS:
            raise ValueError(f"attn_pos must be one of {ATTN_POSITIONS}, got {attn_pos!r}")
        self.conv1 = conv(cin, cout, 3, stride)
        self.act1 = relu()
        self.conv2 = conv(cout, cout, 3, 1)
        self.attn_pos = attn_pos
        self.attn = attn(cout) if attn is not None else nn.Identity()
        self.drop_path = DropPath(drop_path)
        self.shortcut = projection(cin, cout, stride)
        self.act2 = relu()

    def _at(self, pos: str, x: Tensor) -> Tensor:
        return self.attn(x) if pos == self.attn_pos else x

    def forward(self, x: Tensor) -> Tensor:
        y = self.act1(self._at("after_conv1", self.conv1(x)))
        y = self._at("after_conv2", self.conv2(y))
        y = self.drop_path(y) + self.shortcut(x)
        return self.act2(self._at("after_add", y))


class CifarResNet(Classifier):
    """3x3 stem + three stages of ``blocks_per_stage`` blocks at ``widths``; GAP; linear.

    ``block(cin, cout, stride, drop_path=..., **block_args)`` builds one block;
    stochastic-depth rates rise linearly to ``drop_path`` over all blocks.
    """

    def __init__(
        self,
        num_classes: int,
        depth: int = 20,
        *,
        widths: tuple[int, int, int] = (16, 32, 64),
        block: Callable[..., nn.Module] = BasicBlock,
        drop_path: float = 0.0,
        in_chans: int = 3,
        **block_args: Any,
    ) -> None:
        super().__init__()
        if (depth - 2) % 6:
            raise ValueError(f"CIFAR ResNet depth must be 6n+2, got {depth}")
        n = (depth - 2) // 6
        rates = iter(linear_schedule(3 * n, drop_path))
        layers: list[nn.Module] = [conv_bn(in_chans, widths[0], 3, act=relu)]
        cin = widths[0]
        for s, w in enumerate(widths):
            for i in range(n):
                stride = 2 if s > 0 and i == 0 else 1
                layers.append(block(cin, w, stride, drop_path=next(rates), **block_args))
                cin = w
        self.features = nn.Sequential(*layers)
        self._init_head(cin, num_classes)


def cifar_resnet(num_classes: int, **cfg: Any) -> CifarResNet:
    return CifarResNet(num_classes, **cfg)


_reg = partial(register_model, family="cifar_resnet", study="s002")
_reg("resnet_20", source="s002 §3.2.1, Table 3 (278,324 params)", claimed_params=278_324,
     depth=20)(cifar_resnet)
_reg("resnet_32", source="s002 §3.2.1, Table 1 (0.47M)", claimed_params=0.47e6,
     depth=32)(cifar_resnet)
_reg("resnet_56", source="s002 §3.2.1, Table 1 (0.86M)", claimed_params=0.86e6,
     depth=56)(cifar_resnet)
