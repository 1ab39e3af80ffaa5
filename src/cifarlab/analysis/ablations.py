"""One figure per ablation: bars over the variants of one design choice, and s004's grid.

The variants are named by experiment (the catalogue says which); missing experiments are
drawn as an empty slot labelled "not run" rather than silently dropped, so the figure
always shows the document's full design.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from cifarlab.analysis.figbase import palette, style


def _by_experiment(df: pd.DataFrame) -> dict[str, dict]:
    return {str(r["experiment"]): r for r in df.to_dict("records")}


def _pct(value: float) -> float:
    return float(value) * 100.0 if float(value) <= 1.0 else float(value)


def plot_ablation(df: pd.DataFrame, variants: Sequence[tuple[str, str]], *, title: str,
                  xlabel: str = "variant", metric: str = "top1") -> Figure:
    """Bars of ``metric`` (%) for ``variants`` [(label, experiment)], params under each label.

    Error bars are ``<metric>_std`` over seeds where present; a variant whose experiment
    has no row (or no value) is shown as "not run".
    """
    rows = _by_experiment(df)
    labels, values, errs, notes = [], [], [], []
    for label, exp in variants:
        row = rows.get(exp) or {}
        v = row.get(metric)
        ok = v is not None and np.isfinite(float(v))
        values.append(_pct(v) if ok else 0.0)
        std = row.get(f"{metric}_std")
        errs.append(_pct(std) if ok and std is not None and np.isfinite(float(std)) and float(v) <= 1 else 0.0)
        params = row.get("params")
        p = f"{float(params) / 1e6:.3f}M" if params is not None and np.isfinite(float(params)) else "?"
        labels.append(f"{label}\n{exp}\n{p}")
        notes.append(f"{values[-1]:.2f}" if ok else "not run")
    with style():
        fig = Figure(figsize=(max(5.0, 1.6 * len(variants) + 1.5), 4.5), layout="constrained")
        ax = fig.add_subplot()
        x = np.arange(len(variants))
        ax.bar(x, values, yerr=errs, capsize=4, color=palette(len(variants)))
        for xi, v, note in zip(x, values, notes):
            ax.text(xi, v, note, ha="center", va="bottom", fontsize=8)
        ax.set_xticks(x, labels, fontsize=7)
        ax.set_ylim(0, 105)
        ax.set_ylabel(f"test {metric} accuracy (%)")
        ax.set_xlabel(xlabel)
        ax.set_title(title)
    return fig


def batch_epoch_grid(df: pd.DataFrame, cells: Mapping[tuple[int, int], str], metric: str = "top1") -> pd.DataFrame:
    """Batch size (rows) x epochs (columns) frame of ``metric`` in %, NaN where not run."""
    rows = _by_experiment(df)
    batches = sorted({b for b, _ in cells})
    epochs = sorted({e for _, e in cells})
    grid = pd.DataFrame(np.nan, index=pd.Index(batches, name="batch size"),
                        columns=pd.Index(epochs, name="epochs"))
    for (b, e), exp in cells.items():
        v = (rows.get(exp) or {}).get(metric)
        if v is not None and np.isfinite(float(v)):
            grid.loc[b, e] = _pct(v)
    return grid


def plot_batch_epoch_heatmap(df: pd.DataFrame, cells: Mapping[tuple[int, int], str], *, title: str,
                             metric: str = "top1") -> Figure:
    """Heatmap of test ``metric`` (%) over batch size x epochs (s004's dla34 grid)."""
    grid = batch_epoch_grid(df, cells, metric)
    with style():
        fig = Figure(figsize=(6.0, 4.2), layout="constrained")
        ax = fig.add_subplot()
        sns.heatmap(grid, ax=ax, annot=True, fmt=".2f", cmap="viridis", cbar_kws={"label": f"{metric} (%)"},
                    mask=grid.isna())
        ax.set_title(title)
        ax.tick_params(axis="y", labelrotation=0)
    return fig
