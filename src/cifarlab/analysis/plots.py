"""Figures as pure functions: data in, ``matplotlib.figure.Figure`` out (no pyplot state).

Figures are built with ``matplotlib.figure.Figure`` directly: no pyplot, no GUI backend,
PNG output always rendered by Agg whatever ``matplotlib.get_backend()`` says, and no
global figure registry to leak; seaborn's
style is applied through its context managers, so importing this module changes no
global rcParams. Accuracies arrive as fractions and are drawn in percent.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from cifarlab.io import atomic_path

ACC_ALIASES = ("acc", "top1", "accuracy")  # history column suffixes read as accuracy
PER_EXPERIMENT_SEP = "__"  # figure file names: <kind>.png or <kind>__<experiment>.png
_ANNOTATE_MAX_CLASSES = 20  # write the share in each confusion cell up to this many classes


@contextlib.contextmanager
def _style() -> Iterator[None]:
    with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=0.9):
        yield


def _percent(values: pd.Series | np.ndarray) -> np.ndarray:
    """Fractions -> percent; values already above 1 are taken as percent."""
    arr = np.asarray(values, dtype=float)
    finite = arr[np.isfinite(arr)]
    return arr * 100.0 if finite.size and np.nanmax(finite) <= 1.0 else arr


def history_column(history: pd.DataFrame, split: str, key: str) -> str | None:
    """The column holding ``split`` (train / val) ``key`` (loss / acc) in a history frame.

    Accuracy may be named ``<split>_acc``, ``<split>_top1`` or ``<split>_accuracy``.
    """
    for suffix in ACC_ALIASES if key == "acc" else (key,):
        if f"{split}_{suffix}" in history.columns:
            return f"{split}_{suffix}"
    return None


def figure_name(kind: str, experiment: str | None = None) -> str:
    """File name of a summary figure: ``accuracy_bars.png`` or ``curves__cnn4.png``."""
    return f"{kind}{PER_EXPERIMENT_SEP}{experiment}.png" if experiment else f"{kind}.png"


def plot_accuracy_bars(df: pd.DataFrame, metric: str = "top1", title: str | None = None) -> Figure:
    """Horizontal bars of ``metric`` (fraction -> %) per experiment, best on top, coloured by study.

    ``df``: :func:`cifarlab.analysis.tables.aggregate` output. One axes.
    """
    data = df[["experiment", "study", metric]].dropna(subset=[metric]).sort_values(metric, ascending=False)
    values = _percent(data[metric])
    with _style():
        fig = Figure(figsize=(7.0, 1.2 + 0.35 * max(len(data), 1)), layout="constrained")
        ax = fig.add_subplot()
        studies = list(dict.fromkeys(data["study"].astype(str)))
        colours = dict(zip(studies, sns.color_palette("colorblind", max(len(studies), 1))))
        ax.barh(data["experiment"].astype(str), values, color=[colours[s] for s in data["study"].astype(str)])
        ax.invert_yaxis()
        for y, v in enumerate(values):
            ax.text(v, y, f" {v:.2f}", va="center", fontsize=8)
        ax.set_xlim(0, max(100.0, float(np.nanmax(values)) * 1.08) if len(values) else 100.0)
        ax.set_xlabel(f"test {metric} accuracy (%)")
        ax.set_title(title or f"Test {metric} accuracy per experiment")
        handles = [Patch(color=colours[s], label=s) for s in studies]
        if handles:
            ax.legend(handles=handles, title="study", loc="upper left", bbox_to_anchor=(1.01, 1.0),
                      fontsize=8)
    return fig


def _phase_boundaries(history: pd.DataFrame) -> list[float]:
    """Epochs after which the ``phase`` column changes (drawn between epochs)."""
    if "phase" not in history.columns or len(history) < 2:
        return []
    phase = history["phase"].astype(str).to_numpy()
    epochs = history["epoch"].to_numpy(dtype=float)
    return [(epochs[i - 1] + epochs[i]) / 2 for i in range(1, len(phase)) if phase[i] != phase[i - 1]]


def plot_training_curves(
    histories: Mapping[str, pd.DataFrame],
    *,
    show_lr: bool = False,
    inset_last: int | None = None,
    title: str | None = None,
) -> Figure:
    """Loss and accuracy per epoch, train (thin) and validation (thick), one colour per run.

    ``histories``: name -> frame with ``epoch`` and any of ``train_loss``, ``val_loss``,
    ``train_acc``, ``val_acc`` (fractions or percent; ``_top1`` / ``_accuracy`` suffixes
    work too), ``lr``, and optionally ``phase``: a
    change of phase is drawn as a dashed vertical line (s001's head-only -> fine-tune).
    Axes: loss, accuracy, plus learning rate when ``show_lr`` (s001's three panels), plus a
    zoom on the last ``inset_last`` epochs of validation accuracy when given (s002).
    """
    ncols = 3 if show_lr else 2
    with _style():
        fig = Figure(figsize=(5.0 * ncols, 4.0), layout="constrained")
        axes = fig.subplots(1, ncols)
        palette = sns.color_palette("colorblind", max(len(histories), 1))
        panels = [(axes[0], "loss", "loss", False), (axes[1], "acc", "accuracy (%)", True)]
        for colour, (name, hist) in zip(palette, histories.items()):
            for ax, key, _, pct in panels:
                for split, lw, style in (("train", 1.0, ":"), ("val", 2.0, "-")):
                    col = history_column(hist, split, key)
                    if col is not None:
                        y = _percent(hist[col]) if pct else hist[col].to_numpy(dtype=float)
                        ax.plot(hist["epoch"], y, style, lw=lw, color=colour, label=f"{name} {split}")
            if show_lr and "lr" in hist.columns:
                axes[2].plot(hist["epoch"], hist["lr"], color=colour, label=name)
            for x in _phase_boundaries(hist):
                for ax in axes:
                    ax.axvline(x, color="grey", ls="--", lw=1.0)
        for ax, _, ylabel, _ in panels:
            ax.set_ylabel(ylabel)
        for ax in axes:
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes[0].legend(fontsize=7)
        if show_lr:
            axes[2].set_ylabel("learning rate")
        if inset_last:
            _inset(axes[1], histories, palette, inset_last)
        fig.suptitle(title or "Training curves (train dotted, validation solid)")
    return fig


def _inset(ax: Any, histories: Mapping[str, pd.DataFrame], palette: Sequence, last: int) -> None:
    inset = ax.inset_axes([0.5, 0.08, 0.45, 0.4])
    for colour, hist in zip(palette, histories.values()):
        col = history_column(hist, "val", "acc")
        if col is not None:
            tail = hist.tail(last)
            inset.plot(tail["epoch"], _percent(tail[col]), color=colour, lw=1.5)
    inset.set_title(f"last {last} epochs (val)", fontsize=7)
    inset.tick_params(labelsize=6)


def plot_confusion(matrix: np.ndarray, class_names: Sequence[str], title: str = "", *,
                   normalize: bool = True) -> Figure:
    """Confusion heatmap (rows true, columns predicted), row-normalised to % by default.

    One axes up to 20 classes (each cell annotated); above that, no annotations and a
    colourbar (two axes).
    """
    m = np.asarray(matrix, dtype=float)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] != len(class_names):
        raise ValueError(f"confusion matrix {m.shape} does not match {len(class_names)} class names")
    if normalize:
        rows = m.sum(axis=1, keepdims=True)
        m = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0) * 100.0
    k = len(class_names)
    small = k <= _ANNOTATE_MAX_CLASSES
    side = max(4.5, min(0.45 * k + 2.0, 16.0))
    with _style():
        fig = Figure(figsize=(side + 0.5, side), layout="constrained")
        ax = fig.add_subplot()
        sns.heatmap(m, ax=ax, cmap="Blues", annot=small, fmt=".1f" if normalize else ".0f",
                    annot_kws={"fontsize": 7}, cbar=not small, square=True,
                    xticklabels=list(class_names), yticklabels=list(class_names),
                    vmin=0, vmax=100 if normalize else None)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.tick_params(labelsize=7 if small else 4)
        ax.tick_params(axis="y", labelrotation=0)
        default = "Confusion matrix (% of each true class)" if normalize else "Confusion matrix"
        ax.set_title(title or default)
    return fig


def plot_accuracy_vs_params(df: pd.DataFrame, title: str | None = None) -> Figure:
    """Top-1 (%) against parameters (millions, log scale), one labelled point per experiment."""
    data = df.dropna(subset=["top1", "params"])
    with _style():
        fig = Figure(figsize=(7.0, 5.0), layout="constrained")
        ax = fig.add_subplot()
        studies = list(dict.fromkeys(data["study"].astype(str)))
        colours = dict(zip(studies, sns.color_palette("colorblind", max(len(studies), 1))))
        x = data["params"].to_numpy(dtype=float) / 1e6
        y = _percent(data["top1"])
        for study in studies:
            sel = (data["study"].astype(str) == study).to_numpy()
            ax.scatter(x[sel], y[sel], s=40, color=colours[study], label=study)
        for xi, yi, name in zip(x, y, data["experiment"].astype(str)):
            ax.annotate(name, (xi, yi), textcoords="offset points", xytext=(4, 3), fontsize=7)
        if len(x) and np.all(x > 0):
            ax.set_xscale("log")
        ax.set_xlabel("parameters (millions)")
        ax.set_ylabel("test top-1 accuracy (%)")
        ax.set_title(title or "Accuracy vs. parameters (upper left = more efficient)")
        if studies:
            ax.legend(title="study", fontsize=8)
    return fig


def plot_per_class_accuracy(per_class: pd.DataFrame, title: str = "") -> Figure:
    """Bars of per-class accuracy (%) from a per_class.csv frame (average rows dropped)."""
    from cifarlab.analysis.runs import class_rows

    data = class_rows(per_class)
    values = _percent(data["accuracy"])
    with _style():
        fig = Figure(figsize=(max(5.0, 0.35 * len(data) + 2.0), 4.0), layout="constrained")
        ax = fig.add_subplot()
        ax.bar(data["class"].astype(str), values, color=sns.color_palette("colorblind")[0])
        ax.set_ylim(0, 100)
        ax.set_ylabel("accuracy (%)")
        ax.tick_params(axis="x", labelrotation=90, labelsize=7 if len(data) > 20 else 9)
        ax.set_title(title or "Per-class test accuracy")
    return fig


def save_figure(fig: Figure, path: str | os.PathLike, *, provenance: Mapping[str, Any] | None = None,
                dpi: int = 120) -> Path:
    """Write ``fig`` as PNG atomically; with ``provenance``, also its ``.prov.json`` sidecar."""
    from cifarlab.provenance import sidecar_path, write_provenance

    out = Path(path)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    if provenance is not None:
        write_provenance(sidecar_path(out), provenance)
    return out


def summary_figures(df: pd.DataFrame, runs: Mapping[str, Mapping[str, Any]]) -> dict[str, Figure]:
    """Every summary figure, keyed by its file name (see :func:`figure_name`).

    ``df``: :func:`aggregate` output; ``runs``: experiment -> :func:`load_run` dict. Makes
    ``accuracy_bars.png``, ``accuracy_vs_params.png``, ``training_curves.png`` (all runs)
    and per experiment ``curves__<exp>.png``, ``confusion__<exp>.png``,
    ``per_class__<exp>.png`` (where the run has the data).
    """
    figs: dict[str, Figure] = {figure_name("accuracy_bars"): plot_accuracy_bars(df),
                               figure_name("accuracy_vs_params"): plot_accuracy_vs_params(df)}
    histories = {n: r["history"] for n, r in runs.items() if r.get("history") is not None}
    if histories:
        figs[figure_name("training_curves")] = plot_training_curves(histories)
    for name, run in runs.items():
        if run.get("history") is not None:
            show_lr = "lr" in run["history"].columns
            figs[figure_name("curves", name)] = plot_training_curves(
                {name: run["history"]}, show_lr=show_lr, title=f"{name}: training curves")
        if run.get("confusion") is not None:
            cm = run["confusion"]
            figs[figure_name("confusion", name)] = plot_confusion(
                cm.to_numpy(), [str(c) for c in cm.columns], f"{name}: confusion matrix (%)")
        if run.get("per_class") is not None:
            figs[figure_name("per_class", name)] = plot_per_class_accuracy(
                run["per_class"], f"{name}: per-class accuracy")
    return figs
