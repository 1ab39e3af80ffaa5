"""torchvision's ResNet, used three ways (architecture by construction arguments):

- s004 CIFAR variants ``resnet18/34/50``: the "CIFAR stem" — ``conv1`` becomes a 3x3
  stride-1 conv and the stem max-pool is dropped (the usual pytorch-cifar adaptation;
  the only change to torchvision's network).
- s001 ``se_resnet18``: torchvision ResNet-18 (ImageNet stem, so a 32x32 image ends as a
  1x1 map, which s001 blames for the stage's underfitting) with an SE module in every
  block and Dropout(0.5) before the classifier.
- s003 ``resnet50_imagenet`` / ``resnet50_se_imagenet``: torchvision ResNet-50 at 224 px,
  without / with SE (reduction 16) in every bottleneck. (``resnet50`` is s004's CIFAR
  model.)

``pretrained`` (False / True / path) loads torchvision's ImageNet weights from a local
file (see :mod:`cifarlab.models.pretrained`); SE modules and the classifier stay random.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import torch
from torch import Tensor, nn
from torchvision.models import ResNet18_Weights, ResNet34_Weights, ResNet50_Weights
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

from cifarlab.models.layers import SqueezeExcite
from cifarlab.models.pretrained import Pretrained, load_pretrained
from cifarlab.models.registry import register_model


class SEBasicBlock(BasicBlock):
    """torchvision BasicBlock + SE on the residual branch (after bn2, before the add)."""

    se_reduction = 16

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.se = SqueezeExcite(self.bn2.num_features, self.se_reduction)

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.se(self.bn2(self.conv2(out)))
        return self.relu(out + identity)


class SEBottleneck(Bottleneck):
    """torchvision Bottleneck + SE on the residual branch (after bn3, before the add)."""

    se_reduction = 16

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.se = SqueezeExcite(self.bn3.num_features, self.se_reduction)

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.se(self.bn3(self.conv3(out)))
        return self.relu(out + identity)


class TVResNet(ResNet):
    """torchvision ResNet + the zoo's interface (forward_features/forward_head/get_classifier),
    optional CIFAR stem and dropout before the classifier."""

    def __init__(
        self,
        block: type[nn.Module],
        layers: list[int],
        num_classes: int,
        *,
        cifar_stem: bool = False,
        drop_rate: float = 0.0,
    ) -> None:
        super().__init__(block, layers, num_classes=num_classes)
        if cifar_stem:
            self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
            nn.init.kaiming_normal_(self.conv1.weight, mode="fan_out", nonlinearity="relu")
            self.maxpool = nn.Identity()
        self.head_drop = nn.Dropout(drop_rate) if drop_rate > 0 else nn.Identity()

    def forward_features(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def forward_head(self, x: Tensor, pre_logits: bool = False) -> Tensor:
        x = self.head_drop(torch.flatten(self.avgpool(x), 1))
        return x if pre_logits else self.fc(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_head(self.forward_features(x))

    def get_classifier(self) -> nn.Linear:
        return self.fc


_ARCH = {  # name -> (block, se block, layers, torchvision ImageNet weights)
    "resnet18": (BasicBlock, SEBasicBlock, [2, 2, 2, 2], ResNet18_Weights.IMAGENET1K_V1),
    "resnet34": (BasicBlock, SEBasicBlock, [3, 4, 6, 3], ResNet34_Weights.IMAGENET1K_V1),
    "resnet50": (Bottleneck, SEBottleneck, [3, 4, 6, 3], ResNet50_Weights.IMAGENET1K_V1),
}


def tv_resnet(
    num_classes: int,
    arch: str = "resnet18",
    *,
    se: bool = False,
    cifar_stem: bool = False,
    drop_rate: float = 0.0,
    pretrained: Pretrained = False,
) -> TVResNet:
    block, se_block, layers, weights = _ARCH[arch]
    model = TVResNet(se_block if se else block, layers, num_classes,
                     cifar_stem=cifar_stem, drop_rate=drop_rate)
    # The classifier (and a CIFAR stem's conv1, whose shape differs) are not loaded.
    skip = ("fc.", "conv1.") if cifar_stem else ("fc.",)
    return load_pretrained(model, pretrained, weights, skip=skip, new=(".se.",))


_CIFAR_NOTE = ("s004 gives no parameter counts; CIFAR stem (3x3 stride-1 conv1, no max-pool) "
               "as in the pytorch-cifar models the seed's accuracies match.")
_s004 = partial(register_model, family="torchvision_resnet", study="s004",
                fidelity_note=_CIFAR_NOTE, cifar_stem=True)
_s004("resnet18", source="s004 §1.7 (model table)", arch="resnet18")(tv_resnet)
_s004("resnet34", source="s004 §1.7 (model table)", arch="resnet34")(tv_resnet)
_s004("resnet50", source="s004 §1.7 (model table)", arch="resnet50")(tv_resnet)

register_model(
    "se_resnet18", family="torchvision_resnet", study="s001",
    source="s001 stage 3 (SE-ResNet18, Dropout 0.5; 32x downsampling to 1x1)",
    arch="resnet18", se=True, drop_rate=0.5,
)(tv_resnet)

_s003 = partial(register_model, family="torchvision_resnet", study="s003", input_size=224,
                arch="resnet50")
_s003("resnet50_imagenet", source="s003 (BasicResNet: torchvision resnet50, pretrained)")(tv_resnet)
_s003("resnet50_se_imagenet", source="s003 (SEBlock, reduction 16, on ResNet-50)",
      se=True)(tv_resnet)
