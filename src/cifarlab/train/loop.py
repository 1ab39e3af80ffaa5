"""One training epoch and one evaluation pass; the loss with hard or soft targets.

Sums stay on the device and the loss is checked for finiteness one batch late, so the
host never waits for the step it has just queued (the GPU keeps a batch of work ahead).
"""

from __future__ import annotations

import contextlib
import math
import sys
from dataclasses import dataclass
from typing import Callable, Iterable

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from cifarlab.errors import CifarlabError
from cifarlab.train.precision import Precision


class NonFiniteLossError(CifarlabError, RuntimeError):
    """The training loss became NaN or infinite; the message names epoch and batch.

    A CifarlabError: the fix is in params.yaml or the data, so the CLI prints the one
    line and exits 2 rather than showing a traceback."""


@dataclass(frozen=True)
class EpochStats:
    loss: float  # mean per sample
    acc: float  # fraction in [0, 1]


def batch_loss(logits: torch.Tensor, y: torch.Tensor, label_smoothing: float = 0.0,
               criterion: Callable | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean loss (cross-entropy, or ``criterion(logits, y)`` from cifarlab.train.losses) and
    the number of correct predictions.

    ``y`` is int64 class indices, or float (N, K) probabilities from MixUp/CutMix; soft
    targets count as correct when the prediction equals their argmax.
    """
    if logits.dtype in (torch.float16, torch.bfloat16):
        logits = logits.float()  # the loss in float32 even under autocast (float64 stays)
    loss = (criterion(logits, y) if criterion is not None
            else F.cross_entropy(logits, y, label_smoothing=label_smoothing))
    labels = y.argmax(dim=1) if y.is_floating_point() else y
    return loss, (logits.argmax(dim=1) == labels).sum()


class _Totals:
    """Per-sample sums on the device, read once at the end of the pass."""

    def __init__(self, device: torch.device) -> None:
        self.loss = torch.zeros((), device=device, dtype=torch.float64)
        self.correct = torch.zeros((), device=device, dtype=torch.int64)
        self.n = 0

    def add(self, loss: torch.Tensor, correct: torch.Tensor, n: int) -> None:
        self.loss += loss.detach().double() * n
        self.correct += correct
        self.n += n

    def stats(self) -> EpochStats:
        if self.n == 0:
            raise ValueError("the loader yielded no batch")
        return EpochStats(self.loss.item() / self.n, self.correct.item() / self.n)


def _check_finite(loss: torch.Tensor, epoch: int, batch: int, batches: int) -> float:
    value = loss.item()
    if not math.isfinite(value):
        raise NonFiniteLossError(
            f"training loss is {value} at epoch {epoch}, batch {batch}/{batches}: the run "
            "diverged (lower the lr, add warm-up or grad_clip) or the batch holds NaN/inf")
    return value


def _accumulate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, precision: Precision,
                label_smoothing: float, micro_batch: int | None,
                criterion: Callable | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward and backward of one batch in micro-batches of at most ``micro_batch``
    images; returns the batch's mean loss (detached when split) and correct count.

    Each micro-batch's mean loss is weighted by its share of the batch, so the
    accumulated gradient is the batch mean's, exactly as DDP's average over equal shards
    (s002: 8 GPUs x 128 images): BatchNorm normalises each micro-batch by its own
    statistics, the optimizer steps once per batch. Under DDP the gradients are reduced
    once, at the last micro-batch (``no_sync`` before it).
    """
    n = len(y)
    if micro_batch is None or micro_batch >= n:
        with precision.autocast():
            loss, correct = batch_loss(model(precision.prepare(x)), y, label_smoothing, criterion)
        precision.scaler.scale(loss).backward()
        return loss, correct
    parts = list(zip(x.split(micro_batch), y.split(micro_batch)))
    losses, corrects = [], []
    for k, (xk, yk) in enumerate(parts, start=1):
        sync = k == len(parts) or not hasattr(model, "no_sync")
        with contextlib.nullcontext() if sync else model.no_sync():
            with precision.autocast():
                loss_k, correct_k = batch_loss(model(precision.prepare(xk)), yk, label_smoothing, criterion)
            share = len(yk) / n
            precision.scaler.scale(loss_k * share).backward()
        losses.append(loss_k.detach() * share)
        corrects.append(correct_k)
    return torch.stack(losses).sum(), torch.stack(corrects).sum()


def train_one_epoch(model: nn.Module, loader: Iterable, optimizer: torch.optim.Optimizer,
                    precision: Precision, *, epoch: int, label_smoothing: float,
                    grad_clip: float | None, device: torch.device, bar: tqdm,
                    criterion: Callable | None = None, micro_batch: int | None = None) -> EpochStats:
    """Train over ``loader`` once; raise NonFiniteLossError on a NaN/inf batch loss.
    ``micro_batch``: images per forward pass, gradients accumulated (:func:`_accumulate`)."""
    model.train()
    params = [p for g in optimizer.param_groups for p in g["params"]]
    totals, pending, batches = _Totals(device), None, len(loader)
    for i, (x, y) in enumerate(loader, start=1):
        optimizer.zero_grad(set_to_none=True)
        loss, correct = _accumulate(model, x, y, precision, label_smoothing, micro_batch, criterion)
        if grad_clip is not None:
            precision.scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(params, grad_clip)
        precision.scaler.step(optimizer)
        precision.scaler.update()
        if pending is not None:  # the previous batch's loss, computed by now or nearly
            bar.set_postfix(loss=f"{_check_finite(*pending, batches):.4f}", refresh=False)
        pending = (loss.detach(), epoch, i)
        totals.add(loss, correct, len(y))
        bar.update()
    if pending is not None:
        _check_finite(*pending, batches)
    return totals.stats()


def progress_bar(total: int, desc: str, enabled: bool) -> tqdm:
    """One bar per epoch on stderr, only when stderr is a terminal: parallel jobs writing
    bars into one terminal or a log file interleave into noise (they print
    :func:`epoch_line` instead). The caller adds the validation metrics at the end."""
    return tqdm(total=total, desc=desc, file=sys.stderr, disable=not (enabled and sys.stderr.isatty()),
                leave=True, dynamic_ncols=True)


def epoch_line(name: str, desc: str, train: EpochStats, val: EpochStats, lr: float, seconds: float) -> str:
    """One line per epoch, named after the run, readable when parallel jobs share a terminal."""
    return (f"[{name or 'train'}] {desc}: loss {train.loss:.4f} acc {train.acc:.4f} | "
            f"val_loss {val.loss:.4f} val_acc {val.acc:.4f} | lr {lr:.3g} | {seconds:.1f}s")


@torch.no_grad()
def evaluate(model: nn.Module, loader: Iterable, precision: Precision, *,
             label_smoothing: float, device: torch.device, criterion: Callable | None = None) -> EpochStats:
    """Mean loss (same criterion as training, label smoothing included) and accuracy."""
    model.eval()
    totals = _Totals(device)
    for x, y in loader:
        with precision.autocast():
            loss, correct = batch_loss(model(precision.prepare(x)), y, label_smoothing, criterion)
        totals.add(loss, correct, len(y))
    return totals.stats()
