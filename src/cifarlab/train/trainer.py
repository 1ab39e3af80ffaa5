"""fit(): train one model with early stopping, checkpoints and resume.

Resume: after every completed epoch the whole run (model, optimizer, grad scaler,
early-stopping state, RNG states, history, index of the best-epoch weights) is written
atomically to ``state_dir/state.pt`` with a fingerprint of the run (settings, model
tensor shapes, loader sizes, the caller's ``fingerprint_extra``). A later fit() with the
same fingerprint continues after the last completed epoch and, on CPU, ends with the
bits of an uninterrupted run; a different fingerprint discards the state and starts
fresh (a logged warning and ``FitResult.resume_note`` say so). The lr is a closed form of
the epoch (schedule.py), so there is no scheduler state. ``state_dir`` must lie outside
the rule's declared outputs (Snakemake deletes those before a rerun); it is removed once
``out_dir`` is complete, so a finished run never resumes into a second one.

The loaders must draw their randomness from (seed, epoch) given by ``set_epoch(epoch)``
(or from torch's global RNG, which the state carries): fit() calls ``set_epoch`` with the
1-based epoch number before every pass, the same number ``history`` uses.
"""

from __future__ import annotations

import csv
import itertools
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import torch
from torch import nn

from cifarlab.io import atomic_path, write_json
from cifarlab.train import checkpoint as ck
from cifarlab.train import distributed as ddp
from cifarlab.train.early_stopping import EarlyStopping
from cifarlab.train.losses import make_criterion
from cifarlab.train.loop import EpochStats, epoch_line, evaluate, progress_bar, train_one_epoch
from cifarlab.train.optim import build_optimizer
from cifarlab.train.precision import Precision, make_precision
from cifarlab.train.schedule import PlannedPhase, phase_at, plan_phases
from cifarlab.train.settings import TrainSettings
from cifarlab.train.trainable import set_trainable

log = logging.getLogger(__name__)

HISTORY_COLUMNS = ("epoch", "phase", "train_loss", "train_acc", "val_loss", "val_acc",
                   "lr", "seconds")


@dataclass(frozen=True)
class FitResult:
    """What fit() did. ``history`` rows carry HISTORY_COLUMNS; accuracies are fractions."""

    history: list[dict[str, Any]]
    best_epoch: int
    best_metric: float
    monitor: str
    mode: str
    stopped_early: bool
    stop_reason: str  # "early_stopping" | "completed" (every planned epoch ran)
    device: str
    precision: str  # "float32" | "bfloat16" | "float16"
    resumed_from_epoch: int  # completed epochs loaded from state_dir; 0 = fresh start
    resume_note: str  # why it resumed or started fresh
    out_dir: Path

    @property
    def epochs_run(self) -> int:
        return len(self.history)

    @property
    def train_seconds(self) -> float:
        """Sum of the epochs' seconds, those run before a resume included."""
        return float(sum(row["seconds"] for row in self.history))

    def summary(self) -> dict[str, Any]:
        """The content of train.json."""
        return {"epochs_run": self.epochs_run, "best_epoch": self.best_epoch,
                "best_metric": self.best_metric, "monitor": self.monitor, "mode": self.mode,
                "stopped_early": self.stopped_early, "stop_reason": self.stop_reason,
                "train_seconds": round(self.train_seconds, 3), "device": self.device,
                "precision": self.precision, "resumed_from_epoch": self.resumed_from_epoch,
                "resume_note": self.resume_note}


@dataclass
class _Run:
    """The mutable state of one fit(): everything the resume state holds, and the rest."""

    settings: TrainSettings
    model: nn.Module
    train_loader: Any
    val_loader: Any
    device: torch.device
    precision: Precision
    state_dir: Path
    progress: bool
    fingerprint: str
    plan: list[PlannedPhase] = field(init=False)
    stopper: EarlyStopping = field(init=False)
    base_grad: dict[str, bool] = field(init=False)
    criterion: Any = field(init=False)  # None: plain cross-entropy (batch_loss's default)
    history: list[dict[str, Any]] = field(default_factory=list)
    optimizer: torch.optim.Optimizer | None = None
    phase_index: int = -1
    best_file: str | None = None
    net: nn.Module | None = None  # what trains: ``model`` itself, or its DDP wrapper
    stop_reason: str | None = None
    live: Any = None  # a train.live.EpochLog on the main process, else None

    def __post_init__(self) -> None:
        s = self.settings
        self.plan = plan_phases(s)
        self.stopper = EarlyStopping(s.mode, s.patience, s.min_delta)
        self.base_grad = {n: p.requires_grad for n, p in self.model.named_parameters()}
        plain = s.loss == "cross_entropy" and s.class_weights is None
        self.criterion = None if plain else make_criterion(
            s.loss, gamma=s.focal_gamma, label_smoothing=s.label_smoothing, class_weights=s.class_weights)

    @property
    def total_epochs(self) -> int:
        return self.plan[-1].start + self.plan[-1].epochs

    def enter_phase(self, index: int) -> None:
        """Freeze/unfreeze for the phase and give it a fresh optimizer (as the seed does)."""
        phase = self.plan[index]
        params = set_trainable(self.model, phase.trainable, self.base_grad)
        # DDP reduces the gradients of the parameters that train when it is built:
        # a phase that freezes or unfreezes some needs a new wrapper.
        self.net = ddp.wrap(self.model, self.device) if ddp.active() else self.model
        self.optimizer = build_optimizer(params, phase.lr, self.settings)
        self.phase_index = index

    def run_epoch(self) -> None:
        """Train and validate one epoch, record it, keep best weights, save the state."""
        s, index = self.settings, len(self.history)
        epoch = index + 1
        phase_i = phase_at(self.plan, index)
        if phase_i != self.phase_index:
            self.enter_phase(phase_i)
        phase = self.plan[phase_i]
        lr = phase.lr_for(index, s.eta_min)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        for loader in (self.train_loader, self.val_loader):
            if hasattr(loader, "set_epoch"):
                loader.set_epoch(epoch)
        start = time.perf_counter()
        desc = f"{phase.name} {epoch}/{self.total_epochs}" if len(self.plan) > 1 else \
            f"epoch {epoch}/{self.total_epochs}"
        with progress_bar(len(self.train_loader), desc, self.progress and ddp.is_main()) as bar:
            train, val = self.train_and_validate(epoch, bar)
            bar.set_postfix(loss=f"{train.loss:.4f}", val_loss=f"{val.loss:.4f}",
                            val_acc=f"{val.acc:.4f}", lr=f"{lr:.3g}")
        self.history.append({
            "epoch": epoch, "phase": phase.name, "train_loss": train.loss,
            "train_acc": train.acc, "val_loss": val.loss, "val_acc": val.acc, "lr": lr,
            "seconds": time.perf_counter() - start})
        if self.live is not None:
            self.live.log(self.history[-1])
        if self.progress and ddp.is_main():  # a string progress names the run (issue 8)
            name = self.progress if isinstance(self.progress, str) else ""
            print(epoch_line(name, desc, train, val, lr, self.history[-1]["seconds"]), flush=True)
        self.after_epoch(epoch)

    def train_and_validate(self, epoch: int, bar: Any) -> tuple[EpochStats, EpochStats]:
        """One training and one validation pass; under DDP, means over all ranks."""
        s = self.settings
        train = train_one_epoch(
            self.net, self.train_loader, self.optimizer, self.precision, epoch=epoch,
            label_smoothing=s.label_smoothing, grad_clip=s.grad_clip, device=self.device,
            bar=bar, criterion=self.criterion, micro_batch=s.micro_batch)
        if s.bn_recalibration_batches:
            recalibrate_bn(self.model, self.train_loader, min(s.bn_recalibration_batches, len(self.train_loader)))
        if not ddp.active():
            return train, evaluate(self.model, self.val_loader, self.precision,
                                   label_smoothing=s.label_smoothing, device=self.device,
                                   criterion=self.criterion)
        ddp.sync_buffers(self.model)  # every rank validates (and rank 0 saves) rank 0's
        val = evaluate(self.model, self.val_loader, self.precision,
                       label_smoothing=s.label_smoothing, device=self.device, criterion=self.criterion)
        # Training shares are equal by construction (global batch / ranks, drop_last);
        # validation shards may differ by a sample, so they are weighted.
        return ddp.reduce_stats(train, 1), ddp.reduce_stats(val, self.val_loader.rank_samples)

    def after_epoch(self, epoch: int) -> None:
        """Early stopping, best weights, then the resume state (in that order on disk).
        Under DDP every rank decides alike (reduced metrics); rank 0 alone writes."""
        s, main = self.settings, ddp.is_main()
        value = self.history[-1][s.monitor]
        if self.stopper.update(value, epoch):
            name = ck.best_file_name(epoch)
            if main:
                ck.save_torch(self.state_dir / name, ck.checkpoint(self.model, epoch, s.monitor,
                                                                    value, s))
            self.best_file = name
        if self.stopper.should_stop:
            self.stop_reason = "early_stopping"
        elif epoch == self.total_epochs:
            self.stop_reason = "completed"
        if main:
            ck.save_torch(self.state_dir / ck.STATE_FILE, self.state_dict())
            ck.tidy_state_dir(self.state_dir, keep=self.best_file)

    def state_dict(self) -> dict[str, Any]:
        return {
            "format": ck.STATE_FORMAT, "fingerprint": self.fingerprint,
            "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
            "phase_index": self.phase_index, "scaler": self.precision.scaler.state_dict(),
            "early_stopping": self.stopper.state_dict(), "rng": ck.capture_rng(),
            "history": self.history, "best_file": self.best_file,
            "stop_reason": self.stop_reason,
        }

    def resume(self) -> tuple[int, str]:
        """Continue from ``state_dir`` when its fingerprint matches; (epochs, note)."""
        path = self.state_dir / ck.STATE_FILE
        if not path.exists():
            if ddp.is_main():
                ck.clear_state_dir(self.state_dir)
            return 0, "fresh start: no saved state"
        try:
            state = ck.load_torch(path, self.device)
        except Exception as exc:  # unreadable: treat as absent, never as fatal
            state, why = None, f"unreadable saved state ({type(exc).__name__}: {exc})"
        else:
            why = "saved state from a different run (fingerprint differs)"
            same = isinstance(state, dict) and (state.get("format"), state.get(
                "fingerprint")) == (ck.STATE_FORMAT, self.fingerprint)
            state = state if same else None
        if state is None:
            log.warning("%s in %s: discarding it and starting fresh", why, self.state_dir)
            if ddp.is_main():
                ck.clear_state_dir(self.state_dir)
            return 0, f"fresh start: {why}"
        self.load_state_dict(state)
        done = len(self.history)
        log.info("resuming %s after epoch %d", self.state_dir, done)
        return done, f"resumed after epoch {done} from {path}"

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.history = list(state["history"])
        self.stopper.load_state_dict(state["early_stopping"])
        self.best_file, self.stop_reason = state["best_file"], state["stop_reason"]
        self.precision.scaler.load_state_dict(state["scaler"])
        if self.stop_reason is None:
            phase_i = phase_at(self.plan, len(self.history))
            self.enter_phase(phase_i)
            if phase_i == state["phase_index"]:  # else the next epoch opens a new phase
                self.optimizer.load_state_dict(state["optimizer"])
        ck.restore_rng(state["rng"])
        if ddp.is_main():
            ck.tidy_state_dir(self.state_dir, keep=self.best_file)


def recalibrate_bn(model: nn.Module, loader: Iterable, batches: int) -> None:
    """Re-estimate BatchNorm running statistics over ``batches`` training batches
    (torch's ``update_bn``: a cumulative average, so a few steps' drift is undone)."""
    from torch.optim.swa_utils import update_bn

    if any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules()):
        with torch.no_grad():
            update_bn(itertools.islice(iter(loader), batches), model)


def fit(model: nn.Module, train_loader: Iterable, val_loader: Iterable,
        settings: TrainSettings, *, out_dir: Path, state_dir: Path,
        device: torch.device | str, progress: bool = True,
        fingerprint_extra: Mapping[str, Any] | None = None,
        live_dir: Path | None = None) -> FitResult:
    """Train ``model`` and write best.pt, last.pt, history.csv, train.json into out_dir.

    ``train_loader``/``val_loader`` yield ``(x, y)`` on ``device`` (y int64 labels or float
    soft targets), have ``len()`` (batches) and optionally ``set_epoch(epoch)``. Resumes
    from ``state_dir`` (see the module docstring); ``fingerprint_extra`` is any JSON-able
    identity of what settings do not cover (model config, data hashes) that must match
    for a resume. ``live_dir``: per-epoch metrics through dvclive (train/live.py).
    Raises NonFiniteLossError when the training loss turns NaN/inf.
    """
    device = torch.device(device)
    out_dir, state_dir = Path(out_dir), Path(state_dir)
    torch.manual_seed(settings.seed)
    precision = make_precision(device, settings.amp, settings.channels_last)
    model.to(device)
    if precision.channels_last:
        model.to(memory_format=torch.channels_last)
    # Under DDP the ranks' validation shards may differ by a batch: all ranks must compute
    # rank 0's fingerprint, so the validation side counts samples, not batches.
    sizes = (len(train_loader), val_loader.dataset_size if ddp.active() else len(val_loader))
    run = _Run(settings, model, train_loader, val_loader, device, precision, state_dir,
               progress, ck.run_fingerprint(settings, model, sizes, fingerprint_extra))
    resumed_from, note = run.resume()
    ddp.barrier()  # rank 0 may have cleared a stale state the others were reading
    if live_dir is not None and ddp.is_main():
        from cifarlab.train.live import EpochLog

        run.live = EpochLog(Path(live_dir), run.history)
    try:
        while run.stop_reason is None:
            run.run_epoch()
    finally:
        if run.live is not None:
            run.live.close()
    if not ddp.is_main():  # rank 0 writes the outputs; the others only report
        return _result(run, out_dir, resumed_from, note)
    result = _write_outputs(run, out_dir, resumed_from, note)
    ck.clear_state_dir(state_dir)
    return result


def _write_outputs(run: _Run, out_dir: Path, resumed_from: int, note: str) -> FitResult:
    """best.pt, last.pt, history.csv, then train.json (the last one written)."""
    s, last = run.settings, run.history[-1]
    if run.best_file is None:
        raise RuntimeError(f"no epoch produced a finite {s.monitor}; nothing to keep as best")
    ck.link_or_copy(run.state_dir / run.best_file, out_dir / "best.pt")
    if run.stopper.best_epoch == last["epoch"]:
        # The last epoch is the best: its checkpoint is last.pt byte for byte, so one file
        # takes both names (half the disk, and DVC hashes it once).
        ck.link_or_copy(out_dir / "best.pt", out_dir / "last.pt")
    else:
        ck.save_torch(out_dir / "last.pt",
                      ck.checkpoint(run.model, last["epoch"], s.monitor, last[s.monitor], s))
    write_history(out_dir / "history.csv", run.history)
    result = _result(run, out_dir, resumed_from, note)
    write_json(out_dir / "train.json", result.summary())
    return result


def _result(run: _Run, out_dir: Path, resumed_from: int, note: str) -> FitResult:
    s = run.settings
    return FitResult(
        history=run.history, best_epoch=run.stopper.best_epoch,
        best_metric=run.stopper.best, monitor=s.monitor, mode=s.mode,
        stopped_early=run.stop_reason == "early_stopping", stop_reason=run.stop_reason,
        device=str(run.device), precision=run.precision.dtype,
        resumed_from_epoch=resumed_from, resume_note=note, out_dir=out_dir)


def write_history(path: Path, history: list[dict[str, Any]]) -> None:
    """history.csv: one row per epoch, HISTORY_COLUMNS, floats at full precision."""
    with atomic_path(path) as tmp, tmp.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=HISTORY_COLUMNS)
        writer.writeheader()
        writer.writerows(history)
