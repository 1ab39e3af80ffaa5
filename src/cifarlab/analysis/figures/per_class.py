"""One experiment's test-set analysis: confusion matrices, per-class accuracy, confused pairs."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from cifarlab.analysis.figures.figbase import CI_LABEL, draw_intervals, interval_errors, palette, percent, style

_ANNOTATE_MAX_CLASSES = 20  # write the value in each confusion cell up to this many classes


def plot_confusion(matrix: np.ndarray, class_names: Sequence[str], title: str = "", *,
                   normalize: bool = True) -> Figure:
    """Confusion heatmap (rows true, columns predicted): counts, or row-normalised to %.

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
    with style():
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
        default = "Confusion matrix (% of each true class)" if normalize else "Confusion matrix (counts)"
        ax.set_title(title or default)
    return fig


def plot_per_class_accuracy(per_class: pd.DataFrame, title: str = "") -> Figure:
    """Bars of per-class accuracy (%) from a per_class.csv frame (average rows dropped), with
    each class's 95% interval where the frame has ``accuracy_ci_low`` / ``_ci_high``."""
    from cifarlab.analysis.runs import class_rows

    data = class_rows(per_class)
    values = percent(data["accuracy"])
    err, what = interval_errors(data, "accuracy")
    with style():
        fig = Figure(figsize=(max(5.0, 0.35 * len(data) + 2.0), 4.0), layout="constrained")
        ax = fig.add_subplot()
        x = np.arange(len(data))
        ax.bar(x, values, color=palette(1)[0])
        ax.set_xticks(x, data["class"].astype(str))
        if err is not None and what == CI_LABEL:  # a class's std over seeds is not in per_class.csv
            draw_intervals(ax, x, values, err, what, horizontal=False)
        ax.set_ylim(0, 100)
        ax.set_ylabel("accuracy (%)" + (f" (bars: {what})" if what == CI_LABEL else ""))
        ax.tick_params(axis="x", labelrotation=90, labelsize=7 if len(data) > 20 else 9)
        ax.set_title(title or "Per-class test accuracy")
    return fig


def plot_confused_pairs(pairs: pd.DataFrame, title: str = "") -> Figure:
    """Horizontal bars of the most confused (true -> predicted) pairs and their counts.

    ``pairs``: :func:`cifarlab.analysis.tables.experiments.top_confused_pairs` output (``true``,
    ``predicted``, ``count`` columns), largest first.
    """
    labels = [f"{t} \u2192 {p}" for t, p in zip(pairs["true"].astype(str), pairs["predicted"].astype(str))]
    counts = pairs["count"].to_numpy(dtype=float)
    with style():
        fig = Figure(figsize=(6.5, 1.2 + 0.35 * max(len(pairs), 1)), layout="constrained")
        ax = fig.add_subplot()
        ax.barh(labels, counts, color=palette(2)[1])
        ax.invert_yaxis()
        for y, c in enumerate(counts):
            ax.text(c, y, f" {c:.0f}", va="center", fontsize=8)
        ax.set_xlabel("test images (true \u2192 predicted)")
        ax.set_title(title or f"Top-{len(pairs)} confused pairs")
    return fig
