"""Typed, self-validating training settings (plain values in, no config objects).

``TrainSettings`` is what :func:`cifarlab.train.fit` needs, nothing more. Every problem is
a ``ValueError`` naming the field, so a bad recipe fails before a job starts.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("cosine", "constant")
MONITORS = {"val_loss": "min", "val_acc": "max"}  # metric -> its natural mode
TRAINABLE = ("head", "all")
LOSSES = ("cross_entropy", "focal")  # cifarlab.train.losses


def _fail(owner: str, name: str, why: str, value: Any) -> None:
    raise ValueError(f"{owner}.{name} {why}, got {value!r}")


def _check_choice(owner: str, name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        _fail(owner, name, f"must be one of {', '.join(map(repr, choices))}", value)


def _check_number(owner: str, name: str, value: Any, *, low: float, strict: bool) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or (value <= low if strict else value < low):
        _fail(owner, name, f"must be a finite number {'>' if strict else '>='} {low}", value)


def _check_int(owner: str, name: str, value: Any, *, low: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        _fail(owner, name, f"must be an integer >= {low}", value)


@dataclass(frozen=True)
class Phase:
    """One stage of staged fine-tuning (s001: head only, then all layers).

    ``epochs`` None means "the rest of ``max_epochs``" (last phase only). The phase's
    cosine schedule anneals over the phase's own length, from ``lr`` to the run's eta_min.
    """

    name: str
    epochs: int | None
    trainable: str  # "head" | "all"
    lr: float
    schedule: str = "cosine"

    def __post_init__(self) -> None:
        owner = f"Phase({self.name!r})"
        if not isinstance(self.name, str) or not self.name:
            _fail("Phase", "name", "must be a non-empty string", self.name)
        if self.epochs is not None:
            _check_int(owner, "epochs", self.epochs, low=1)
        _check_choice(owner, "trainable", self.trainable, TRAINABLE)
        _check_number(owner, "lr", self.lr, low=0.0, strict=True)
        _check_choice(owner, "schedule", self.schedule, SCHEDULES)


@dataclass(frozen=True)
class TrainSettings:
    """Everything :func:`fit` needs to train one model. Units: epochs, absolute lr."""

    optimizer: str = "sgd"  # "sgd" | "adam" | "adamw"
    lr: float = 0.1
    weight_decay: float = 0.0
    momentum: float = 0.9  # SGD only
    nesterov: bool = False  # SGD only
    schedule: str = "cosine"  # "cosine" | "constant", stepped once per epoch
    warmup_epochs: int = 0  # linear warm-up before the schedule
    t_max: int | None = None  # cosine length in epochs incl. warm-up; None = max_epochs
    eta_min: float = 0.0
    max_epochs: int = 100
    label_smoothing: float = 0.0
    loss: str = "cross_entropy"  # "cross_entropy" | "focal" (cifarlab.train.losses)
    focal_gamma: float = 0.0  # focal only: (1 - p)^gamma down-weights confident examples
    class_weights: tuple[float, ...] | None = None  # one per class, in class-index order
    monitor: str = "val_loss"  # "val_loss" | "val_acc" (accuracy as a fraction in [0, 1])
    mode: str | None = None  # "min" | "max"; None = the monitor's natural mode
    patience: int | None = None  # epochs without improvement before stopping; None = off
    min_delta: float = 0.0  # an improvement must beat the best by more than this
    amp: bool = False  # autocast: bf16 (CPU, and GPUs that have it), else fp16 + GradScaler
    channels_last: bool = False  # CUDA and CPU
    seed: int = 0
    grad_clip: float | None = None  # max global gradient L2 norm; None = off
    phases: tuple[Phase, ...] = field(default=())
    # > 0: before each validation, BatchNorm running statistics are re-estimated over this
    # many training batches (torch.optim.swa_utils.update_bn). A budgeted run of a few
    # steps leaves them far from its weights (momentum 0.1), and evaluates near chance.
    bn_recalibration_batches: int = 0
    # Images per forward pass; a batch is split into micro-batches of at most this many
    # and their gradients accumulate (see loop.train_step). None = one pass per batch.
    micro_batch: int | None = None

    def __post_init__(self) -> None:
        self._normalise()
        o = "TrainSettings"
        _check_choice(o, "optimizer", self.optimizer, OPTIMIZERS)
        _check_number(o, "lr", self.lr, low=0.0, strict=True)
        for name in ("weight_decay", "momentum", "eta_min", "min_delta"):
            _check_number(o, name, getattr(self, name), low=0.0, strict=False)
        _check_choice(o, "schedule", self.schedule, SCHEDULES)
        _check_int(o, "max_epochs", self.max_epochs, low=1)
        _check_int(o, "warmup_epochs", self.warmup_epochs, low=0)
        _check_int(o, "seed", self.seed, low=0)
        _check_int(o, "bn_recalibration_batches", self.bn_recalibration_batches, low=0)
        if self.micro_batch is not None:
            _check_int(o, "micro_batch", self.micro_batch, low=1)
        self._check_horizon()
        if not 0.0 <= self.label_smoothing < 1.0:
            _fail(o, "label_smoothing", "must be in [0, 1)", self.label_smoothing)
        self._check_loss()
        _check_choice(o, "monitor", self.monitor, tuple(MONITORS))
        _check_choice(o, "mode", self.mode, ("min", "max"))
        if self.mode != MONITORS[self.monitor]:
            _fail(o, "mode", f"must be {MONITORS[self.monitor]!r} for {self.monitor}", self.mode)
        if self.patience is not None:
            _check_int(o, "patience", self.patience, low=1)
        if self.grad_clip is not None:
            _check_number(o, "grad_clip", self.grad_clip, low=0.0, strict=True)
        if self.nesterov and (self.optimizer != "sgd" or self.momentum <= 0):
            _fail(o, "nesterov", "needs optimizer 'sgd' with momentum > 0", self.nesterov)
        for name in ("amp", "channels_last", "nesterov"):
            if not isinstance(getattr(self, name), bool):
                _fail(o, name, "must be a bool", getattr(self, name))
        self._check_phases()

    def _normalise(self) -> None:
        """Accept plain values from config: phases as dicts/lists, mode left to the monitor."""
        phases = tuple(p if isinstance(p, Phase) else Phase(**dict(p)) for p in self.phases or ())
        object.__setattr__(self, "phases", phases)
        if self.class_weights is not None and not isinstance(self.class_weights, tuple):
            object.__setattr__(self, "class_weights", tuple(self.class_weights))
        if self.mode is None and self.monitor in MONITORS:
            object.__setattr__(self, "mode", MONITORS[self.monitor])

    def _check_loss(self) -> None:
        o = "TrainSettings"
        _check_choice(o, "loss", self.loss, LOSSES)
        _check_number(o, "focal_gamma", self.focal_gamma, low=0.0, strict=False)
        if self.focal_gamma and self.loss != "focal":
            _fail(o, "focal_gamma", "needs loss 'focal'", self.focal_gamma)
        for w in self.class_weights or ():
            _check_number(o, "class_weights", w, low=0.0, strict=True)

    def _check_horizon(self) -> None:
        o = "TrainSettings"
        if self.t_max is not None:
            _check_int(o, "t_max", self.t_max, low=1)
        t_max = self.t_max or self.max_epochs
        if self.schedule == "cosine" and self.warmup_epochs >= t_max:
            _fail(o, "warmup_epochs", f"must be < t_max ({t_max}) for a cosine schedule",
                  self.warmup_epochs)

    def _check_phases(self) -> None:
        if not self.phases:
            return
        names = [p.name for p in self.phases]
        if len(set(names)) != len(names):
            _fail("TrainSettings", "phases", "need unique names", names)
        if any(p.epochs is None for p in self.phases[:-1]):
            _fail("TrainSettings", "phases", "may leave epochs empty only in the last phase",
                  names)
        if self.warmup_epochs or self.t_max is not None:
            _fail("TrainSettings", "phases", "set their own lr/schedule: warmup_epochs and "
                  "t_max must be 0/None with phases", (self.warmup_epochs, self.t_max))

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> "TrainSettings":
        """Build from a plain mapping; unknown keys are a ValueError naming them."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"TrainSettings: unknown field(s) {unknown}; known: {sorted(known)}")
        return cls(**dict(values))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plain values (phases as a list of dicts)."""
        d = dataclasses.asdict(self)
        d["phases"] = [dict(p) for p in d["phases"]]
        if d["class_weights"] is not None:
            d["class_weights"] = list(d["class_weights"])
        return d

    def fingerprint(self) -> str:
        """sha256 of the canonical JSON of the settings: equal settings, equal fingerprint."""
        blob = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()
