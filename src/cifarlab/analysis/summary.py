"""Across experiments: top-1 bars, accuracy vs parameters, family averages, seed spread.

Inputs are experiments.csv (one row per experiment, seed means, ``top1_std``) and
runs.csv (one row per experiment and seed) frames.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from cifarlab.analysis.figbase import palette, percent, style


def _study_colours(studies: Sequence[str]) -> dict[str, tuple]:
    names = list(dict.fromkeys(studies))
    return dict(zip(names, palette(len(names))))


def plot_accuracy_bars(df: pd.DataFrame, metric: str = "top1", title: str | None = None) -> Figure:
    """Horizontal bars of ``metric`` (%) per experiment, best on top, coloured by study.

    Error bars show ``<metric>_std`` (the spread over seeds) where the column exists.
    """
    data = df.dropna(subset=[metric]).sort_values(metric, ascending=False)
    values = percent(data[metric])
    scale = 100.0 if np.nanmax(np.append(data[metric].to_numpy(dtype=float), 0)) <= 1.0 else 1.0
    std_col = f"{metric}_std"
    err = data[std_col].to_numpy(dtype=float) * scale if std_col in data.columns else None
    with style():
        fig = Figure(figsize=(7.0, 1.2 + 0.35 * max(len(data), 1)), layout="constrained")
        ax = fig.add_subplot()
        colours = _study_colours(data["study"].astype(str))
        ax.barh(data["experiment"].astype(str), values, xerr=err, capsize=3,
                color=[colours[s] for s in data["study"].astype(str)])
        ax.invert_yaxis()
        for y, v in enumerate(values):
            ax.text(v, y, f" {v:.2f}", va="center", fontsize=8)
        ax.set_xlim(0, max(100.0, float(np.nanmax(values)) * 1.08) if len(values) else 100.0)
        ax.set_xlabel(f"test {metric} accuracy (%)" + (" (bars: +- std over seeds)" if err is not None else ""))
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
        for xi, yi, name in zip(x, y, data["experiment"].astype(str)):
            ax.annotate(name, (xi, yi), textcoords="offset points", xytext=(4, 3), fontsize=7)
        if len(x):
            front = pareto_front(x, y)
            ax.step(x[front], y[front], where="post", color="black", lw=1.0, ls="--",
                    label="Pareto front", zorder=2)
        if len(x) and np.all(x > 0):
            ax.set_xscale("log")
        ax.set_xlabel("parameters (millions, log scale)")
        ax.set_ylabel("test top-1 accuracy (%)")
        ax.set_title(title or "Accuracy vs. parameters (upper left = more efficient)")
        ax.legend(fontsize=8)
    return fig


def family_averages(df: pd.DataFrame) -> pd.DataFrame:
    """``family, top1, params_m, n`` means per technique family (rows without one dropped)."""
    data = df.dropna(subset=["family", "top1"]).copy()
    data["params_m"] = data["params"].astype(float) / 1e6
    out = data.groupby("family", sort=False).agg(top1=("top1", "mean"), params_m=("params_m", "mean"),
                                                  n=("experiment", "count"))
    return out.reset_index().sort_values("top1", ascending=False)


def plot_family_averages(df: pd.DataFrame, title: str | None = None) -> Figure:
    """Mean top-1 (%) per technique family (s002 Table 2), labelled with mean params and n."""
    fam = family_averages(df)
    with style():
        fig = Figure(figsize=(7.0, 1.2 + 0.45 * max(len(fam), 1)), layout="constrained")
        ax = fig.add_subplot()
        values = percent(fam["top1"])
        ax.barh(fam["family"].astype(str), values, color=palette(len(fam)))
        ax.invert_yaxis()
        for yv, (v, p, n) in enumerate(zip(values, fam["params_m"], fam["n"])):
            ax.text(v, yv, f" {v:.2f}% ({p:.2f}M, n={n})", va="center", fontsize=8)
        ax.set_xlim(0, 110)
        ax.set_xlabel("mean test top-1 accuracy (%)")
        ax.set_title(title or "Average accuracy per technique family")
    return fig


def plot_seed_spread(runs: pd.DataFrame, metric: str = "top1", title: str | None = None) -> Figure:
    """One strip per experiment: every seed's ``metric`` (%) as a dot, the mean as a bar."""
    data = runs.dropna(subset=[metric]).copy()
    data["value"] = percent(data[metric])
    order = list(data.groupby("experiment")["value"].mean().sort_values(ascending=False).index)
    with style():
        fig = Figure(figsize=(7.0, 1.2 + 0.35 * max(len(order), 1)), layout="constrained")
        ax = fig.add_subplot()
        if len(data):
            sns.stripplot(data=data, x="value", y="experiment", order=order, ax=ax, size=5, jitter=0.15,
                          color=palette(1)[0])
            means = data.groupby("experiment")["value"].mean().reindex(order)
            ax.scatter(means.to_numpy(), np.arange(len(order)), marker="|", s=300, color="black", label="mean")
            ax.legend(fontsize=8)
        ax.set_xlabel(f"test {metric} accuracy (%) per seed")
        ax.set_ylabel("")
        ax.set_title(title or "Spread over seeds")
    return fig
