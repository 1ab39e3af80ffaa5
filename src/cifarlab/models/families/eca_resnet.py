"""ECA-ResNets (s002 §3.2.2, §5.1, §5.3): the CIFAR ResNet with one ECA module per block.

ECA (:class:`cifarlab.models.layers.ECA`) is one bias-free ``Conv1d(1, 1, k)`` per block,
so ResNet-20 (9 blocks) gains exactly ``9k`` parameters: k=3 and adaptive (k=3 at
16/32/64 channels) 278,351; k=5 278,369; k=7 278,387; k=9 278,405 (s002 Table 3).
``k_size`` (odd int or ``"adaptive"``) and ``attn_pos`` (``after_conv1``,
``after_conv2`` — the default, before the add — or ``after_add``) are model parameters,
so the kernel-size and position ablations are configs of one model, not copies.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from cifarlab.models.families.cifar_resnet import BasicBlock, CifarResNet
from cifarlab.models.layers import ECA
from cifarlab.models.registry import register_model


def eca_resnet(
    num_classes: int,
    depth: int = 20,
    k_size: int | str = 3,
    attn_pos: str = "after_conv2",
    **cfg: Any,
) -> CifarResNet:
    block = partial(BasicBlock, attn=partial(ECA, k_size=k_size), attn_pos=attn_pos)
    return CifarResNet(num_classes, depth, block=block, **cfg)


_reg = partial(register_model, family="eca_resnet", study="s002")
_reg("eca_resnet_20", source="s002 §3.2.2, §3.4.3 (k_size=3), Table 1 (0.28M)",
     claimed_params=278_351, depth=20, k_size=3)(eca_resnet)
_reg("eca_resnet_32", source="s002 §3.2.2, §3.4.3 (k_size=5), Table 1 (0.47M)",
     claimed_params=0.47e6, depth=32, k_size=5)(eca_resnet)
_reg("ecanet20_fixed_k3", source="s002 §3.2.2, Table 3 (278,351 params)",
     claimed_params=278_351, depth=20, k_size=3)(eca_resnet)
_reg("ecanet20_adaptive", source="s002 §3.2.2, Table 3 (278,351 params)",
     claimed_params=278_351, depth=20, k_size="adaptive")(eca_resnet)
