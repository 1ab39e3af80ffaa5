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
