"""s001 stage 4: torchvision's EfficientNet-B2 (architecture unchanged; 7,715,084 params at
10 classes, s001's ablation print-out). s001 upsamples CIFAR-10 32->64 px, so the
registry's input size is 64. ``pretrained`` (False / True / path) loads torchvision's
ImageNet weights from a local file; the new 10-class head stays random.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torchvision.models import EfficientNet, EfficientNet_B2_Weights, efficientnet_b2

from cifarlab.models.pretrained import Pretrained, load_pretrained
from cifarlab.models.registry import register_model


class TVEfficientNet(EfficientNet):
    """torchvision EfficientNet + forward_features/forward_head/get_classifier."""

    def forward_features(self, x: Tensor) -> Tensor:
        return self.features(x)

    def forward_head(self, x: Tensor, pre_logits: bool = False) -> Tensor:
        x = torch.flatten(self.avgpool(x), 1)
        return self.classifier[0](x) if pre_logits else self.classifier(x)

    def get_classifier(self) -> nn.Linear:
        return self.classifier[-1]


def tv_efficientnet_b2(num_classes: int, *, pretrained: Pretrained = False) -> TVEfficientNet:
    model = efficientnet_b2(weights=None, num_classes=num_classes)
    # Built by torchvision's own builder (its width/depth multipliers), then given the
    # zoo's interface: TVEfficientNet adds methods only, no state.
    model.__class__ = TVEfficientNet
    # The new head as fine-tuning code makes it, nn.Linear(1408, k) with PyTorch's default
    # init: torchvision's builder draws it from U(+-1/sqrt(k)), 12x larger at k = 10, and
    # its logits then start far from uniform (training loss 4-6 instead of ln 10).
    head = model.classifier[-1]
    model.classifier[-1] = nn.Linear(head.in_features, head.out_features)
    return load_pretrained(model, pretrained, EfficientNet_B2_Weights.IMAGENET1K_V1,
                           skip=("classifier.",))


register_model(
    "efficientnet_b2", family="efficientnet", study="s001", input_size=64,
    source="s001 stage 4 and ablation print-out (Params: 7,715,084)",
    claimed_params=7_715_084, claimed_num_classes=10,
)(tv_efficientnet_b2)
