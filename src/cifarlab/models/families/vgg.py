"""``vgg16`` (s004 §3, named among the ensemble members): VGG-16 with BatchNorm for CIFAR.

The conv trunk is torchvision's (``make_layers(cfgs["D"], batch_norm=True)``: 13 3x3
convs, five 2x2 max-pools, so 32 px ends as 1x1x512); the ImageNet classifier (7x7
adaptive pool + two 4096-unit FCs, 120M parameters) is replaced by the usual CIFAR head:
global average pool + Linear(512, classes).
"""

from __future__ import annotations

from torchvision.models.vgg import cfgs, make_layers

from cifarlab.models.layers import Classifier
from cifarlab.models.registry import register_model


class CifarVGG(Classifier):
    def __init__(self, num_classes: int, cfg: str = "D", batch_norm: bool = True,
                 drop_rate: float = 0.0) -> None:
        super().__init__()
        self.features = make_layers(cfgs[cfg], batch_norm=batch_norm)
        self._init_head(512, num_classes, drop_rate)


def cifar_vgg(num_classes: int, **cfg) -> CifarVGG:
    return CifarVGG(num_classes, **cfg)


register_model("vgg16", family="vgg", study="s004",
               source="s004 §3 (ensembles: VGG-16 precision/recall remark)",
               fidelity_note="s004 gives no VGG config or count; VGG-16-BN trunk with a "
               "GAP + linear CIFAR head")(cifar_vgg)
