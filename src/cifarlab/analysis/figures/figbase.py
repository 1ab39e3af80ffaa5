"""What every figure module shares: seaborn style, percent scaling, file names, saving.

Figures are built with ``matplotlib.figure.Figure`` directly: no pyplot, no GUI backend,
PNG output always rendered by Agg whatever ``matplotlib.get_backend()`` says, and no
global figure registry to leak; seaborn's style is applied through its context managers,
so importing a figure module changes no global rcParams. Accuracies arrive as fractions
and are drawn in percent.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from cifarlab.io import atomic_path

ACC_ALIASES = ("acc", "top1", "accuracy")  # history column suffixes read as accuracy
PER_EXPERIMENT_SEP = "__"  # figure file names: <kind>.png or <kind>__<experiment>.png
# Error bars are tagged with a gid "interval:<what they show>", so the figures step can
# record in the PNG's sidecar what a figure's bars mean (a PNG keeps no artists).
INTERVAL_GID = "interval:"
CI_LABEL = "95% interval"  # <metric>_ci_low / _ci_high (aggregate's statistics)
STD_LABEL = "+- std over seeds"  # the fallback when a table has no interval columns


@contextlib.contextmanager
def style() -> Iterator[None]:
    """The house look (whitegrid, notebook context), scoped to the ``with`` block."""
    with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=0.9):
        yield


def percent(values: pd.Series | np.ndarray) -> np.ndarray:
    """Fractions -> percent; values already above 1 are taken as percent."""
    arr = np.asarray(values, dtype=float)
    finite = arr[np.isfinite(arr)]
    return arr * 100.0 if finite.size and np.nanmax(finite) <= 1.0 else arr


def interval_errors(data: pd.DataFrame, metric: str) -> tuple[np.ndarray | None, str | None]:
    """Error-bar lengths (2 x n: below, above; in the units :func:`percent` gives ``metric``)
    and what they show: the asymmetric 95% interval from ``<metric>_ci_low`` /
    ``<metric>_ci_high`` where the table has them, else +- ``<metric>_std``, else nothing.
    A row without a value gets no bar (0)."""
    value = data[metric].to_numpy(dtype=float)
    scale = 100.0 if np.nanmax(np.append(value, 0)) <= 1.0 else 1.0  # as percent() decides
    low, high, std = f"{metric}_ci_low", f"{metric}_ci_high", f"{metric}_std"
    if {low, high} <= set(data.columns) and data[[low, high]].notna().any(axis=None):
        below = value - data[low].to_numpy(dtype=float)
        above = data[high].to_numpy(dtype=float) - value
        err, label = np.vstack([below, above]) * scale, CI_LABEL
    elif std in data.columns and data[std].notna().any():
        err, label = np.vstack([data[std].to_numpy(dtype=float)] * 2) * scale, STD_LABEL
    else:
        return None, None
    return np.clip(np.nan_to_num(err, nan=0.0), 0.0, None), label  # an interval never excludes its value


def draw_intervals(ax: Any, x: Any, y: Any, err: np.ndarray, label: str, *, horizontal: bool) -> None:
    """Error bars at (x, y), tagged with what they show (see :func:`intervals_drawn`)."""
    bars = ax.errorbar(x, y, **{"xerr" if horizontal else "yerr": err}, fmt="none", ecolor="black",
                       elinewidth=1.0, capsize=3, zorder=4)
    for lines in bars.lines[2]:
        lines.set_gid(INTERVAL_GID + label)


def intervals_drawn(fig: Figure) -> list[str]:
    """What the error bars of ``fig`` show (e.g. ["95% interval"]); [] when it has none."""
    gids = {c.get_gid() for ax in fig.axes for c in ax.collections}
    return sorted(g.removeprefix(INTERVAL_GID) for g in gids if g and g.startswith(INTERVAL_GID))


def palette(n: int) -> list:
    """``n`` colour-blind-safe colours."""
    return list(sns.color_palette("colorblind", max(int(n), 1)))


def history_column(history: pd.DataFrame, split: str, key: str) -> str | None:
    """The column holding ``split`` (train / val) ``key`` (loss / acc) in a history frame.

    Accuracy may be named ``<split>_acc``, ``<split>_top1`` or ``<split>_accuracy``.
    """
    for suffix in ACC_ALIASES if key == "acc" else (key,):
        if f"{split}_{suffix}" in history.columns:
            return f"{split}_{suffix}"
    return None


def figure_name(kind: str, experiment: str | None = None) -> str:
    """File name of a figure: ``accuracy_bars.png`` or ``curves__cnn4.png``."""
    return f"{kind}{PER_EXPERIMENT_SEP}{experiment}.png" if experiment else f"{kind}.png"


def save_figure(fig: Figure, path: str | os.PathLike, *, provenance: Mapping[str, Any] | None = None,
                dpi: int = 110) -> Path:
    """Write ``fig`` as PNG atomically; with ``provenance``, also its ``.prov.json`` sidecar."""
    from cifarlab.provenance import sidecar_path, write_provenance

    out = Path(path)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    if provenance is not None:
        write_provenance(sidecar_path(out), provenance)
    return out
