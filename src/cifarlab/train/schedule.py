"""Learning-rate schedules as pure functions of the epoch, and the run's phase plan.

The lr of an epoch is a closed form of (epoch, phase), so a resumed run needs no scheduler
state: the epoch number is the state. Values match torch's per-epoch schedulers
(``LinearLR`` warm-up then ``CosineAnnealingLR``; see tests/train/test_schedule.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cifarlab.train.settings import TrainSettings


def _constant(t: int, length: int, base_lr: float, eta_min: float) -> float:
    return base_lr


def _cosine(t: int, length: int, base_lr: float, eta_min: float) -> float:
    # Past its horizon the curve stays at eta_min instead of rising again (torch would).
    t = min(t, length)
    return eta_min + (base_lr - eta_min) * (1.0 + math.cos(math.pi * t / length)) / 2.0


_SCHEDULES = {"constant": _constant, "cosine": _cosine}


def lr_at(epoch: int, base_lr: float, *, schedule: str, t_max: int,
          warmup_epochs: int = 0, eta_min: float = 0.0) -> float:
    """The lr of 0-based ``epoch`` (within its phase).

    Warm-up: epochs 0..W-1 ramp linearly, ``base_lr * (e + 1) / (W + 1)``, so the first
    epoch never trains at lr 0 and epoch W is the first at ``base_lr``. Then ``schedule``
    runs over the remaining ``t_max - W`` epochs (cosine: base_lr -> eta_min).
    """
    if epoch < warmup_epochs:
        return base_lr * (epoch + 1) / (warmup_epochs + 1)
    return _SCHEDULES[schedule](epoch - warmup_epochs, t_max - warmup_epochs, base_lr, eta_min)


@dataclass(frozen=True)
class PlannedPhase:
    """One phase laid out on the run's epoch axis (``start`` is a 0-based epoch index)."""

    name: str
    start: int
    epochs: int
    trainable: str
    lr: float
    schedule: str
    warmup_epochs: int
    t_max: int

    def lr_for(self, epoch_index: int, eta_min: float) -> float:
        """lr of the run's 0-based ``epoch_index``, which must lie in this phase."""
        return lr_at(epoch_index - self.start, self.lr, schedule=self.schedule,
                     t_max=self.t_max, warmup_epochs=self.warmup_epochs, eta_min=eta_min)


def plan_phases(s: TrainSettings) -> list[PlannedPhase]:
    """Lay the phases out on the epoch axis; without ``phases`` one phase 'main'.

    Phases run in order until ``max_epochs``: a phase cut by that cap is shortened and its
    cosine anneals over the shortened length (so a budgeted quick run still anneals); a
    last phase with ``epochs=None`` takes the rest. Phases past the cap are dropped.
    """
    if not s.phases:
        t_max = s.t_max or s.max_epochs
        return [PlannedPhase("main", 0, s.max_epochs, "all", s.lr, s.schedule,
                             s.warmup_epochs, t_max)]
    plan, start = [], 0
    for p in s.phases:
        left = s.max_epochs - start
        if left <= 0:
            break
        n = left if p.epochs is None else min(p.epochs, left)
        plan.append(PlannedPhase(p.name, start, n, p.trainable, p.lr, p.schedule, 0, n))
        start += n
    return plan


def phase_at(plan: list[PlannedPhase], epoch_index: int) -> int:
    """Index into ``plan`` of the phase holding the run's 0-based ``epoch_index``."""
    for i, p in enumerate(plan):
        if p.start <= epoch_index < p.start + p.epochs:
            return i
    total = plan[-1].start + plan[-1].epochs
    raise IndexError(f"epoch index {epoch_index} is past the plan ({total} epochs)")
