"""One table over all experiments (experiments.csv) and one over their seeds (runs.csv);
the seeds' claims beside our measurements are :mod:`cifarlab.analysis.tables.scorecard`.

Pure pandas: records in, DataFrames out; never imports torch. Units follow metrics.json:
top1/top5/macro_f1 are fractions; the scorecard converts to the seeds' units (percent).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from cifarlab.analysis.stats.chance import chance_p
from cifarlab.analysis.stats.intervals import seed_interval, wilson_fraction

# Column order of experiments.csv; a record's other keys follow these, in sorted order.
EXPERIMENT_COLUMNS = (
    "rank", "experiment", "study", "model", "dataset", "declared_dataset", "recipe", "profile",
    "top1", "top1_ci_low", "top1_ci_high", "top5", "top5_ci_low", "top5_ci_high",  # 95% intervals
    "loss", "macro_f1", "weighted_f1", "val_top1", "train_top1",
    "params", "params_m", "flops", "param_efficiency",
    "latency_ms_per_image_b1", "latency_ms_per_image_batched", "peak_mem_mb", "peak_mem_source",
    "train_seconds", "epochs", "max_epochs", "best_epoch", "train_size", "num_classes", "device",
)
INTERVALS = ("top1", "top5")  # <metric>_ci_low / _ci_high: 95% (cifarlab.analysis.stats.intervals)
CI_COLUMNS = tuple(f"{m}_ci_{end}" for m in INTERVALS for end in ("low", "high"))
_NUMERIC = CI_COLUMNS + (
    "top1", "top5", "loss", "macro_f1", "weighted_f1", "val_top1", "train_top1", "params", "flops",
    "latency_ms_per_image_b1", "latency_ms_per_image_batched", "peak_mem_mb", "train_seconds",
    "epochs", "max_epochs", "best_epoch", "train_size", "num_classes",
)


SPREAD = ("top1", "top5", "loss", "macro_f1", "weighted_f1", "val_top1", "train_top1")  # get _std
_FIRST = ("study", "model", "dataset", "declared_dataset", "recipe", "profile", "device",
          "peak_mem_source", "family", "ablation_of", "description", "pretrained_note",
          "phases_merged")


def runs_table(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per (experiment, seed) run, numeric columns coerced; a record without
    ``seed`` is seed 0. ``top1_ci_low`` ... ``top5_ci_high``: the seed's 95% Wilson
    interval over its ``n_test`` images (computed here where metrics.json predates them).
    Raises ValueError on a record without ``experiment`` or on a duplicate (experiment, seed)."""
    names = [r.get("experiment") for r in records]
    if any(not n for n in names):
        raise ValueError("every record needs an 'experiment' name")
    keys = [(r["experiment"], int(r.get("seed", 0) or 0)) for r in records]
    dupes = sorted({f"{e} seed {s}" for e, s in keys if keys.count((e, s)) > 1})
    if dupes:
        raise ValueError(f"duplicate runs: {', '.join(dupes)}")
    df = pd.DataFrame([{**r, "seed": s} for r, (_, s) in zip(records, keys)])
    for col in EXPERIMENT_COLUMNS:
        if col not in df.columns:
            df[col] = np.nan
    for col in _NUMERIC:
        df[col] = pd.to_numeric(df[col], errors="coerce")
    n_test = pd.to_numeric(df["n_test"], errors="coerce") if "n_test" in df else pd.Series(np.nan, index=df.index)
    for metric in INTERVALS:
        low, high = f"{metric}_ci_low", f"{metric}_ci_high"
        todo = df[low].isna() & df[metric].notna() & n_test.notna()
        for i in df.index[todo]:
            df.loc[i, low], df.loc[i, high] = wilson_fraction(df.loc[i, metric], n_test[i])
    return df.sort_values(["experiment", "seed"]).reset_index(drop=True)


def _summarise(group: pd.DataFrame) -> dict[str, Any]:
    """One experiment's seeds -> means, ``<metric>_std`` (sample std; NaN for one seed),
    ``n_seeds``, ``seeds`` ("0;1"), ``<metric>_seeds`` (the per-seed values) and top1 / top5's
    95% interval over seeds and test images (:func:`seed_interval`)."""
    row: dict[str, Any] = {"experiment": group["experiment"].iloc[0], "n_seeds": len(group),
                           "seeds": ";".join(str(int(s)) for s in group["seed"])}
    for col in group.columns:
        if col in ("experiment", "seed") or col in CI_COLUMNS:
            continue
        values = group[col]
        if col in _NUMERIC or pd.api.types.is_numeric_dtype(values):
            row[col] = values.mean()
            if col in SPREAD:
                row[f"{col}_std"] = values.std(ddof=1) if values.notna().sum() > 1 else np.nan
                row[f"{col}_seeds"] = ";".join("" if pd.isna(v) else f"{v:.6g}" for v in values)
        else:
            present = values.dropna()
            row[col] = present.iloc[0] if len(present) else np.nan
    n_test = pd.to_numeric(group["n_test"], errors="coerce").min() if "n_test" in group else np.nan
    for metric in INTERVALS:
        row[f"{metric}_ci_low"], row[f"{metric}_ci_high"] = seed_interval(group[metric].tolist(), n_test)
    return row


def aggregate(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per experiment (its seeds summarised), best mean top-1 first.

    Each record is one (experiment, seed) run: its metrics.json merged with its
    description, e.g. ``{"experiment": "cnn4", "seed": 0, "study": "s000", "model":
    "cnn4", "dataset": "fashion_mnist", "declared_dataset": "cifar10", "recipe":
    "s000_adamw", "profile": "quick", "max_epochs": 5, "train_size": 10000, "val_top1":
    0.91, **metrics}``. Missing values become NaN. Numeric columns are seed means; the
    accuracy metrics also get ``_std`` (over seeds), ``_seeds`` (each seed's value), top1 and
    top5 ``_ci_low`` / ``_ci_high`` (95% over seeds and test images), and every row
    ``n_seeds`` / ``seeds``. Adds ``params_m`` (params / 1e6),
    ``param_efficiency`` (the seeds' top-1 % / params in millions) and ``rank`` (1 = best
    top-1; NaN top-1 last). Raises ValueError as :func:`runs_table`.
    """
    runs = runs_table(records)
    df = pd.DataFrame([_summarise(g) for _, g in runs.groupby("experiment", sort=False)])
    df["params_m"] = df["params"] / 1e6
    df["param_efficiency"] = df["top1"] * 100.0 / df["params_m"]
    if {"n_test", "num_classes"} <= set(df.columns):  # cifarlab.analysis.stats.chance
        df["chance_p"] = [chance_p(r.top1, r.n_test, r.num_classes, r.n_seeds) for r in df.itertuples()]
    df = df.sort_values(["top1", "experiment"], ascending=[False, True], na_position="last")
    df["rank"] = np.arange(1, len(df) + 1)
    extra = sorted(c for c in df.columns if c not in EXPERIMENT_COLUMNS)
    return df[list(EXPERIMENT_COLUMNS) + extra].reset_index(drop=True)


def top_confused_pairs(matrix: np.ndarray, class_names: Sequence[str], n: int = 10) -> pd.DataFrame:
    """The ``n`` largest off-diagonal confusion counts: true, predicted, count, share of true."""
    m = np.asarray(matrix)
    rows = [
        {"true": class_names[i], "predicted": class_names[j], "count": int(m[i, j]),
         "share_of_true": float(m[i, j] / m[i].sum()) if m[i].sum() else float("nan")}
        for i in range(m.shape[0]) for j in range(m.shape[1]) if i != j and m[i, j] > 0
    ]
    frame = pd.DataFrame(rows, columns=["true", "predicted", "count", "share_of_true"])
    frame = frame.sort_values(["count", "true", "predicted"], ascending=[False, True, True])
    return frame.head(n).reset_index(drop=True)
