"""Plain stacks of conv layers: s000's ``cnn4`` and s001's ``simple_cnn`` / ``refined_cnn``.

One class, :class:`PlainCNN`; the variants differ only in widths, BatchNorm, activation,
where the 2x2 max-pools go and the head (global average pool, or flatten + hidden FC).
"""

from __future__ import annotations

from functools import partial

import torch
from torch import Tensor, nn

from cifarlab.models.layers import ActFactory, Classifier, conv_bn, relu
from cifarlab.models.registry import register_model


def leaky_relu_01() -> nn.Module:
    return nn.LeakyReLU(0.1, inplace=True)


_ACTS: dict[str, ActFactory] = {"relu": relu, "leaky_relu": leaky_relu_01}


class PlainCNN(Classifier):
    """``conv3x3 -> [BN] -> act`` per width, a 2x2 max-pool after the blocks in ``pool_after``.

    Head: ``hidden is None`` -> global average pool -> Dropout -> Linear (s000);
    otherwise flatten -> Linear(hidden) -> act -> Dropout -> Linear (s001).
    Convs keep PyTorch's default bias (the seeds' code uses plain ``nn.Conv2d``).
    """

    def __init__(
        self,
        num_classes: int,
        widths: tuple[int, ...],
        *,
        bn: bool,
        act: str = "relu",
        pool_after: tuple[int, ...] = (),
        hidden: int | None = None,
        drop_rate: float = 0.0,
        in_chans: int = 3,
        input_size: int = 32,  # pixels; only used to size the flatten head
    ) -> None:
        super().__init__()
        act_f = _ACTS[act]
        layers: list[nn.Module] = []
        cin = in_chans
        for i, w in enumerate(widths):
            layers.append(conv_bn(cin, w, 3, act=act_f, bn=bn, bias=True))
            if i in pool_after:
                layers.append(nn.MaxPool2d(2))
            cin = w
        self.features = nn.Sequential(*layers)
        if hidden is None:
            self._init_head(cin, num_classes, drop_rate)
            self.hidden: nn.Module = nn.Identity()
            return
        side = input_size // 2 ** len(pool_after)
        self._init_head(hidden, num_classes, drop_rate)
        self.pool = nn.Identity()  # the s001 head flattens the whole map: no pooling
        self.hidden = nn.Sequential(nn.Linear(cin * side * side, hidden), act_f())

    def forward_head(self, x: Tensor, pre_logits: bool = False) -> Tensor:
        x = self.head_drop(self.hidden(torch.flatten(self.pool(x), 1)))
        return x if pre_logits else self.fc(x)


def plain_cnn(num_classes: int, **cfg) -> PlainCNN:
    return PlainCNN(num_classes, **cfg)


_S001_NOTE = (
    "s001 says only '3 conv layers' (stage 1) and 'BatchNorm after every conv, before the "
    "activation' (stage 2) and prints no widths or parameter count; widths 32/64/128 with a "
    "2x2 max-pool after each conv and a 256-unit hidden FC (no dropout: the seed notes its "
    "absence) follow the PyTorch CIFAR-10 tutorial pattern the seed's text describes."
)

_reg = partial(register_model, family="simple_cnn")
_reg("cnn4", study="s000", source="s000 §2.5-2.6 (model architecture, forward pass)",
     widths=(32, 64, 128, 256), bn=True, act="leaky_relu", pool_after=(0, 1, 2),
     drop_rate=0.5)(plain_cnn)
_reg("simple_cnn", study="s001", source="s001 stage 1 (SimpleCNN, 3 conv layers)",
     fidelity_note=_S001_NOTE, widths=(32, 64, 128), bn=False, pool_after=(0, 1, 2),
     hidden=256)(plain_cnn)
_reg("refined_cnn", study="s001", source="s001 stage 2 (ImprovedCNN/RefinedCNN, BN before act)",
     fidelity_note=_S001_NOTE, widths=(32, 64, 128), bn=True, pool_after=(0, 1, 2),
     hidden=256)(plain_cnn)
