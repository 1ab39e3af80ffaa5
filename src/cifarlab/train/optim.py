"""Optimizer construction from settings (a name -> factory table)."""

from __future__ import annotations

from typing import Callable, Iterable

import torch

from cifarlab.train.settings import TrainSettings

_Factory = Callable[[Iterable[torch.nn.Parameter], float, TrainSettings], torch.optim.Optimizer]

_OPTIMIZERS: dict[str, _Factory] = {
    "sgd": lambda params, lr, s: torch.optim.SGD(
        params, lr=lr, momentum=s.momentum, nesterov=s.nesterov, weight_decay=s.weight_decay),
    "adam": lambda params, lr, s: torch.optim.Adam(params, lr=lr, weight_decay=s.weight_decay),
    "adamw": lambda params, lr, s: torch.optim.AdamW(params, lr=lr, weight_decay=s.weight_decay),
}


def build_optimizer(params: Iterable[torch.nn.Parameter], lr: float,
                    settings: TrainSettings) -> torch.optim.Optimizer:
    """``settings.optimizer`` over ``params`` at ``lr`` (weight decay on every parameter,
    as the seeds do)."""
    return _OPTIMIZERS[settings.optimizer](list(params), lr, settings)
