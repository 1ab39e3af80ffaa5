"""Across experiments: top-1 bars, accuracy vs parameters, family averages, seed spread.

Inputs are experiments.csv (one row per experiment, seed means, ``top1_std``) and
runs.csv (one row per experiment and seed) frames.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from cifarlab.analysis.figures.figbase import STD_LABEL, draw_intervals, interval_errors, palette, percent, style


def _study_colours(studies: Sequence[str]) -> dict[str, tuple]:
    names = list(dict.fromkeys(studies))
    return dict(zip(names, palette(len(names))))


def plot_accuracy_bars(df: pd.DataFrame, metric: str = "top1", title: str | None = None) -> Figure:
    """Horizontal bars of ``metric`` (%) per experiment, best on top, coloured by study.

    Error bars show the 95% interval (``<metric>_ci_low`` / ``_ci_high``, asymmetric) where
    the table has it, else ``<metric>_std`` over seeds (:func:`figbase.interval_errors`).
    """
    data = df.dropna(subset=[metric]).sort_values(metric, ascending=False)
    values = percent(data[metric])
    err, what = interval_errors(data, metric)
    y = np.arange(len(data))  # numeric positions: error bars share the bars' axis
    with style():
        fig = Figure(figsize=(7.0, 1.2 + 0.35 * max(len(data), 1)), layout="constrained")
        ax = fig.add_subplot()
        colours = _study_colours(data["study"].astype(str))
        ax.barh(y, values, color=[colours[s] for s in data["study"].astype(str)])
        ax.set_yticks(y, data["experiment"].astype(str))
        ends = values.copy()
        if err is not None:
            draw_intervals(ax, values, y, err, what, horizontal=True)
            ends = values + err[1]
        ax.invert_yaxis()
        for yi, v, end in zip(y, values, ends):
            ax.text(end, yi, f" {v:.2f}", va="center", fontsize=8)
        ax.set_xlim(0, max(100.0, float(np.nanmax(ends)) * 1.08) if len(values) else 100.0)
        ax.set_xlabel(f"test {metric} accuracy (%)" + (f" (bars: {what})" if what else ""))
        ax.set_title(title or f"Test {metric} accuracy per experiment")
        handles = [Patch(color=c, label=s) for s, c in colours.items()]
        if handles:
            ax.legend(handles=handles, title="study", loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return fig


def pareto_front(params: Sequence[float], acc: Sequence[float]) -> np.ndarray:
    """Indices of the points no other point beats (fewer or equal params and higher accuracy),
    sorted by params."""
    x, y = np.asarray(params, dtype=float), np.asarray(acc, dtype=float)
    order = np.lexsort((-y, x))
    front, best = [], -np.inf
    for i in order:
        if y[i] > best:
            front.append(i)
            best = y[i]
    return np.asarray(front, dtype=int)


def plot_accuracy_vs_params(df: pd.DataFrame, title: str | None = None) -> Figure:
    """Top-1 (%) against parameters (millions, log x), the Pareto front as a step line."""
    data = df.dropna(subset=["top1", "params"])
    with style():
        fig = Figure(figsize=(7.5, 5.0), layout="constrained")
        ax = fig.add_subplot()
        colours = _study_colours(data["study"].astype(str))
        x = data["params"].to_numpy(dtype=float) / 1e6
        y = percent(data["top1"])
        for study, colour in colours.items():
            sel = (data["study"].astype(str) == study).to_numpy()
            ax.scatter(x[sel], y[sel], s=40, color=colour, label=study, zorder=3)
        err, what = interval_errors(data, "top1")
        if err is not None:
            draw_intervals(ax, x, y, err, what, horizontal=False)
        for xi, yi, name in zip(x, y, data["experiment"].astype(str)):
            ax.annotate(name, (xi, yi), textcoords="offset points", xytext=(4, 3), fontsize=7)
        if len(x):
            front = pareto_front(x, y)
            ax.step(x[front], y[front], where="post", color="black", lw=1.0, ls="--",
                    label="Pareto front", zorder=2)
        if len(x) and np.all(x > 0):
            ax.set_xscale("log")
        ax.set_xlabel("parameters (millions, log scale)")
        ax.set_ylabel("test top-1 accuracy (%)" + (f" (bars: {what})" if what else ""))
        ax.set_title(title or "Accuracy vs. parameters (upper left = more efficient)")
        ax.legend(fontsize=8)
    return fig


FAMILY_RANGE = "range over the family's models"


def family_averages(df: pd.DataFrame) -> pd.DataFrame:
    """``family, top1, top1_min, top1_max, params_m, n`` per technique family: means, and the
    lowest and highest member (rows without a family dropped)."""
    data = df.dropna(subset=["family", "top1"]).copy()
    data["params_m"] = data["params"].astype(float) / 1e6
    out = data.groupby("family", sort=False).agg(top1=("top1", "mean"), top1_min=("top1", "min"),
                                                  top1_max=("top1", "max"), params_m=("params_m", "mean"),
                                                  n=("experiment", "count"))
    return out.reset_index().sort_values("top1", ascending=False)


def plot_family_averages(df: pd.DataFrame, title: str | None = None) -> Figure:
    """Mean top-1 (%) per technique family (s002 Table 2), labelled with mean params and n.

    A family mean is not one measurement, so its whiskers are the range of its models
    (each model's own interval is on s002 Figure 1)."""
    fam = family_averages(df)
    with style():
        fig = Figure(figsize=(7.0, 1.2 + 0.45 * max(len(fam), 1)), layout="constrained")
        ax = fig.add_subplot()
        values = percent(fam["top1"])
        y = np.arange(len(fam))
        ax.barh(y, values, color=palette(len(fam)))
        ax.set_yticks(y, fam["family"].astype(str))
        err = np.vstack([values - percent(fam["top1_min"]), percent(fam["top1_max"]) - values])
        if len(fam):
            draw_intervals(ax, values, y, np.clip(err, 0, None), FAMILY_RANGE, horizontal=True)
        ax.invert_yaxis()
        for yv, (v, top, p, n) in enumerate(zip(values, percent(fam["top1_max"]), fam["params_m"], fam["n"])):
            ax.text(top, yv, f" {v:.2f}% ({p:.2f}M, n={n})", va="center", fontsize=8)
        ax.set_xlim(0, 110)
        ax.set_xlabel(f"mean test top-1 accuracy (%) (bars: {FAMILY_RANGE})")
        ax.set_title(title or "Average accuracy per technique family")
    return fig


def plot_seed_spread(runs: pd.DataFrame, metric: str = "top1", title: str | None = None) -> Figure:
    """One row per experiment: every seed's ``metric`` (%) as a dot with its 95% interval
    over the test images where runs.csv has one, the mean over seeds as a bar."""
    data = runs.dropna(subset=[metric]).copy()
    data["value"] = percent(data[metric])
    order = list(data.groupby("experiment")["value"].mean().sort_values(ascending=False).index)
    # Seeds of one experiment sit side by side (fixed offsets, not random jitter), so each
    # seed's interval stays readable.
    rank = data.groupby("experiment").cumcount().to_numpy()
    size = data.groupby("experiment")["value"].transform("size").to_numpy()
    data["y"] = data["experiment"].map({e: i for i, e in enumerate(order)}).to_numpy() \
        + (rank - (size - 1) / 2) * 0.5 / np.maximum(size, 1)
    with style():
        fig = Figure(figsize=(7.0, 1.2 + 0.35 * max(len(order), 1)), layout="constrained")
        ax = fig.add_subplot()
        what = None
        if len(data):
            err, what = interval_errors(data, metric)
            if what == STD_LABEL:  # one seed's std is not a per-seed interval
                err, what = None, None
            ax.scatter(data["value"], data["y"], s=25, color=palette(1)[0], zorder=3, label="seed")
            if err is not None:
                draw_intervals(ax, data["value"].to_numpy(), data["y"].to_numpy(), err, what, horizontal=True)
            means = data.groupby("experiment")["value"].mean().reindex(order)
            ax.scatter(means.to_numpy(), np.arange(len(order)), marker="|", s=300, color="black", label="mean")
            ax.legend(fontsize=8)
        ax.set_yticks(np.arange(len(order)), order)
        ax.invert_yaxis()
        ax.set_xlabel(f"test {metric} accuracy (%) per seed" + (f" (bars: {what})" if what else ""))
        ax.set_ylabel("")
        ax.set_title(title or "Spread over seeds")
    return fig
