"""Training curves: s000's two panels, s001's three (with the phase boundary), s002's zoom.

A run is one history frame (history.csv) or a list of them, one per seed: several seeds
are drawn as their mean with a band of +- one standard deviation.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence, Union

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from cifarlab.analysis.figures.figbase import history_column, palette, percent, style

Histories = Union[pd.DataFrame, Sequence[pd.DataFrame]]


def seed_frames(run: Histories) -> list[pd.DataFrame]:
    """One frame per seed from a frame or a list of frames (empty frames dropped)."""
    frames = [run] if isinstance(run, pd.DataFrame) else list(run)
    return [f for f in frames if f is not None and not f.empty]


def mean_std(frames: Sequence[pd.DataFrame], column: str) -> pd.DataFrame | None:
    """``epoch, mean, std, n`` of ``column`` over seeds (std 0 with one seed); None if absent."""
    parts = [f[["epoch", column]] for f in frames if column in f.columns]
    if not parts:
        return None
    stacked = pd.concat(parts).astype(float)
    out = stacked.groupby("epoch")[column].agg(["mean", "std", "count"]).reset_index()
    return out.rename(columns={"count": "n"}).fillna({"std": 0.0})


def _line(ax: Any, frames: Sequence[pd.DataFrame], split: str, key: str, colour: Any,
          label: str, *, as_percent: bool, lw: float, ls: str) -> None:
    col = history_column(frames[0], split, key)
    stats = mean_std(frames, col) if col else None
    if stats is None:
        return
    scale = 100.0 if as_percent and np.nanmax(stats["mean"]) <= 1.0 else 1.0
    x, y, s = stats["epoch"], stats["mean"] * scale, stats["std"] * scale
    marker = "o" if len(x) <= 3 else None  # a run of one or two epochs still shows its points
    ax.plot(x, y, ls, lw=lw, color=colour, marker=marker, ms=4,
            label=label + (f" (mean of {len(frames)} seeds)" if len(frames) > 1 else ""))
    if len(frames) > 1:
        ax.fill_between(x, y - s, y + s, color=colour, alpha=0.2, lw=0)


def phase_boundaries(history: pd.DataFrame) -> list[float]:
    """Epochs after which the ``phase`` column changes (drawn halfway between epochs)."""
    if "phase" not in history.columns or len(history) < 2:
        return []
    phase = history["phase"].astype(str).to_numpy()
    epochs = history["epoch"].to_numpy(dtype=float)
    return [(epochs[i - 1] + epochs[i]) / 2 for i in range(1, len(phase)) if phase[i] != phase[i - 1]]


def _finish(axes: Sequence[Any], labels: Sequence[str]) -> None:
    for ax, ylabel in zip(axes, labels):
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].legend(fontsize=7)


def plot_training_curves(histories: Mapping[str, Histories], *, show_lr: bool = False,
                         inset_last: int | None = None, title: str | None = None) -> Figure:
    """Loss and accuracy per epoch, train (dotted) and validation (solid), one colour per run.

    ``histories``: name -> history frame(s) with ``epoch`` and any of ``train_loss``,
    ``val_loss``, ``train_acc``, ``val_acc`` (``_top1`` / ``_accuracy`` work too), ``lr``
    and ``phase`` (a change of phase is a dashed vertical line: s001's head-only ->
    fine-tune). Axes: loss, accuracy, + learning rate when ``show_lr`` (s001's three
    panels), + a zoom on the last ``inset_last`` epochs of validation accuracy (s002).
    """
    ncols = 3 if show_lr else 2
    with style():
        fig = Figure(figsize=(5.0 * ncols, 4.0), layout="constrained")
        axes = fig.subplots(1, ncols)
        colours = palette(len(histories))
        for colour, (name, run) in zip(colours, histories.items()):
            frames = seed_frames(run)
            if not frames:
                continue
            for split, lw, ls in (("train", 1.0, ":"), ("val", 2.0, "-")):
                _line(axes[0], frames, split, "loss", colour, f"{name} {split}", as_percent=False, lw=lw, ls=ls)
                _line(axes[1], frames, split, "acc", colour, f"{name} {split}", as_percent=True, lw=lw, ls=ls)
            if show_lr and "lr" in frames[0].columns:
                axes[2].plot(frames[0]["epoch"], frames[0]["lr"], color=colour, label=name)
            for x in phase_boundaries(frames[0]):
                for ax in axes:
                    ax.axvline(x, color="grey", ls="--", lw=1.0)
        _finish(axes, ["loss", "accuracy (%)", "learning rate"][:ncols])
        if inset_last:
            _inset(axes[1], histories, colours, inset_last)
        fig.suptitle(title or "Training curves (train dotted, validation solid)")
    return fig


def plot_loss_and_val_accuracy(history: Histories, title: str | None = None) -> Figure:
    """s000's figure: train/validation loss (left) and validation accuracy (right)."""
    frames = seed_frames(history)
    with style():
        fig = Figure(figsize=(12.0, 5.0), layout="constrained")  # the seed's 12x5 inch canvas
        left, right = fig.subplots(1, 2)
        c = palette(3)
        if frames:
            _line(left, frames, "train", "loss", c[0], "train loss", as_percent=False, lw=1.5, ls="-")
            _line(left, frames, "val", "loss", c[1], "validation loss", as_percent=False, lw=1.5, ls="-")
            _line(right, frames, "val", "acc", c[2], "validation accuracy", as_percent=True, lw=1.5, ls="-")
        left.set_title("Loss curves")
        right.set_title("Validation accuracy")
        _finish([left, right], ["loss", "accuracy (%)"])
        right.legend(fontsize=7)
        if title:
            fig.suptitle(title)
    return fig


def _inset(ax: Any, histories: Mapping[str, Histories], colours: Sequence, last: int) -> None:
    inset = ax.inset_axes([0.5, 0.08, 0.45, 0.4])
    for colour, run in zip(colours, histories.values()):
        frames = seed_frames(run)
        if frames:
            tail = [f.tail(last) for f in frames]
            _line(inset, tail, "val", "acc", colour, "", as_percent=True, lw=1.5, ls="-")
    inset.set_title(f"last {last} epochs (val)", fontsize=7)
    inset.tick_params(labelsize=6)
    inset.set_xlabel("")
    if inset.get_legend():
        inset.get_legend().remove()
