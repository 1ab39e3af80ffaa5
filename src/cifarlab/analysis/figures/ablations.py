"""One figure per ablation: bars over the variants of one design choice, and s004's grid.

The variants are named by experiment (the catalogue says which); missing experiments are
drawn as an empty slot labelled "not run" rather than silently dropped, so the figure
always shows the document's full design.
"""

from __future__ import annotations

from typing import Collection, Mapping, Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from cifarlab.analysis.figures.figbase import draw_intervals, interval_errors, palette, percent, style

TIED_GID = "tied-with-best"  # the outline of a grid cell a paired test cannot tell from the best


def _by_experiment(df: pd.DataFrame) -> dict[str, dict]:
    return {str(r["experiment"]): r for r in df.to_dict("records")}


def _variant_rows(df: pd.DataFrame, variants: Sequence[tuple[str, str]], metric: str) -> pd.DataFrame:
    """One row per variant, in order (all NaN where the experiment did not run)."""
    rows = _by_experiment(df)
    frame = pd.DataFrame([rows.get(exp) or {} for _, exp in variants], index=range(len(variants)))
    for col in (metric, "params"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce") if col in frame else np.nan
    return frame


def plot_ablation(df: pd.DataFrame, variants: Sequence[tuple[str, str]], *, title: str,
                  xlabel: str = "variant", metric: str = "top1") -> Figure:
    """Bars of ``metric`` (%) for ``variants`` [(label, experiment)], params under each label.

    Error bars are the 95% interval where the table has it, else ``<metric>_std`` over
    seeds (:func:`figbase.interval_errors`); a variant whose experiment has no row (or no
    value) is shown as "not run".
    """
    frame = _variant_rows(df, variants, metric)
    ok = frame[metric].notna().to_numpy()
    values = np.where(ok, percent(frame[metric]), 0.0)
    err, what = interval_errors(frame, metric)
    labels = [f"{label}\n{exp}\n" + (f"{p / 1e6:.3f}M" if np.isfinite(p) else "?")
              for (label, exp), p in zip(variants, frame["params"].to_numpy(dtype=float))]
    with style():
        fig = Figure(figsize=(max(5.0, 1.6 * len(variants) + 1.5), 4.5), layout="constrained")
        ax = fig.add_subplot()
        x = np.arange(len(variants))
        ax.bar(x, values, color=palette(len(variants)))
        tops = values.copy()
        if err is not None and ok.any():
            draw_intervals(ax, x[ok], values[ok], err[:, ok], what, horizontal=False)
            tops[ok] += err[1, ok]
        for xi, v, top, done in zip(x, values, tops, ok):
            ax.text(xi, top, f"{v:.2f}" if done else "not run", ha="center", va="bottom", fontsize=8)
        ax.set_xticks(x, labels, fontsize=7)
        ax.set_ylim(0, 105)
        ax.set_ylabel(f"test {metric} accuracy (%)" + (f" (bars: {what})" if what else ""))
        ax.set_xlabel(xlabel)
        ax.set_title(title)
    return fig


def batch_epoch_grid(df: pd.DataFrame, cells: Mapping[tuple[int, int], str], metric: str = "top1",
                     scale_as: str | None = None) -> pd.DataFrame:
    """Batch size (rows) x epochs (columns) frame of ``metric`` in %, NaN where not run.

    ``scale_as``: a column whose units ``metric`` shares (an interval bound is a fraction
    when its value is, whatever its own size)."""
    rows = _by_experiment(df)
    batches = sorted({b for b, _ in cells})
    epochs = sorted({e for _, e in cells})
    grid = pd.DataFrame(np.nan, index=pd.Index(batches, name="batch size"),
                        columns=pd.Index(epochs, name="epochs"))
    for (b, e), exp in cells.items():
        row = rows.get(exp) or {}
        v, ref = row.get(metric), row.get(scale_as or metric)
        if v is not None and np.isfinite(float(v)):
            grid.loc[b, e] = float(v) * 100.0 if ref is not None and float(ref) <= 1.0 else float(v)
    return grid


TIED_NOTE = "outlined: cannot be told apart from the best cell (paired test)"


def _cell_text(grid: pd.DataFrame, low: pd.DataFrame | None, high: pd.DataFrame | None) -> np.ndarray:
    """Each cell's value, with its 95% interval on a second line where known."""
    text = np.full(grid.shape, "", dtype=object)
    for (i, j), v in np.ndenumerate(grid.to_numpy()):
        if np.isfinite(v):
            text[i, j] = f"{v:.2f}"
            if low is not None and np.isfinite(low.iat[i, j]) and np.isfinite(high.iat[i, j]):
                text[i, j] += f"\n[{low.iat[i, j]:.1f}, {high.iat[i, j]:.1f}]"
    return text


def plot_batch_epoch_heatmap(df: pd.DataFrame, cells: Mapping[tuple[int, int], str], *, title: str,
                             metric: str = "top1", tied: Collection[str] = ()) -> Figure:
    """Heatmap of test ``metric`` (%) over batch size x epochs (s004's dla34 grid).

    Each cell shows its value and, where the table has them, its 95% interval; the cells
    named in ``tied`` (the experiments a paired test cannot tell apart from the best cell,
    the best included) are outlined.
    """
    grid = batch_epoch_grid(df, cells, metric)
    ci = {f"{metric}_ci_low", f"{metric}_ci_high"} <= set(df.columns)
    low = batch_epoch_grid(df, cells, f"{metric}_ci_low", scale_as=metric) if ci else None
    high = batch_epoch_grid(df, cells, f"{metric}_ci_high", scale_as=metric) if ci else None
    with style():
        fig = Figure(figsize=(6.4, 4.6), layout="constrained")
        ax = fig.add_subplot()
        sns.heatmap(grid, ax=ax, annot=_cell_text(grid, low, high), fmt="", cmap="viridis",
                    cbar_kws={"label": f"{metric} (%)"}, mask=grid.isna(), annot_kws={"fontsize": 8})
        marked = 0
        for (b, e), exp in cells.items():
            if exp in set(tied) and np.isfinite(grid.loc[b, e]):
                i, j = grid.index.get_loc(b), grid.columns.get_loc(e)
                ax.add_patch(Rectangle((j, i), 1, 1, fill=False, edgecolor="red", lw=2.5, gid=TIED_GID))
                marked += 1
        ax.set_title(title)
        if marked:
            ax.set_xlabel(f"epochs\n{TIED_NOTE}", fontsize=8)
        ax.tick_params(axis="y", labelrotation=0)
    return fig
