"""Predicted vs measured training time per experiment (torch-free).

The planner (``cifarlab plan``) writes ``results/plan/<profile>.csv`` before a run; after
the run ``experiments.csv`` holds each experiment's measured ``train_seconds`` (fit()'s
training + validation time of one seed; the mean over seeds where a summary averages
them) and the epochs it ran. Early stopping ends runs before their planned epochs, so the
prediction is compared at the epochs actually run: ``s_per_epoch x epochs run``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

TIMING_COLUMNS = ("experiment", "epochs_planned", "epochs_run", "predicted_s",
                  "measured_train_s", "ratio")


def read_plan(path: str | os.PathLike) -> pd.DataFrame:
    """The planner's CSV (FileNotFoundError naming the path when it is absent)."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no plan; run `cifarlab plan` for this profile first")
    return pd.read_csv(p)


def predicted_vs_actual(plan: pd.DataFrame, experiments: pd.DataFrame) -> pd.DataFrame:
    """One row per experiment of ``experiments``: predicted and measured train seconds.

    ``plan`` needs ``experiment``, ``s_per_epoch`` and ``epochs``; ``experiments`` needs
    ``experiment`` and ``train_seconds`` (``epochs``, the epochs run, where known: else
    the planned epochs are assumed). ``ratio`` is measured / predicted (1.0 = exact,
    2.0 = the run took twice the prediction). When both frames carry ``profile``, a plan
    made for another profile is not comparable: its prediction is left empty (NaN), as
    it is for an experiment the plan does not hold. Columns: TIMING_COLUMNS.
    """
    for frame, what, need in ((plan, "plan", ("experiment", "s_per_epoch", "epochs")),
                              (experiments, "experiments", ("experiment", "train_seconds"))):
        missing = [c for c in need if c not in frame.columns]
        if missing:
            raise ValueError(f"{what}: missing column(s) {', '.join(missing)}")
    keep = ["experiment", "s_per_epoch", "epochs"] + (["profile"] if "profile" in plan else [])
    planned_part = plan[keep].rename(columns={"epochs": "epochs_plan", "profile": "profile_plan"})
    merged = experiments.drop(columns=["s_per_epoch"], errors="ignore").merge(
        planned_part, on="experiment", how="left")
    per_epoch = pd.to_numeric(merged["s_per_epoch"], errors="coerce")
    if "profile" in experiments and "profile_plan" in merged:
        per_epoch = per_epoch.where(merged["profile"].astype(str) == merged["profile_plan"].astype(str))
    planned = pd.to_numeric(merged["epochs_plan"], errors="coerce")
    run = (pd.to_numeric(merged["epochs"], errors="coerce") if "epochs" in experiments
           else pd.Series(np.nan, index=merged.index))
    predicted = per_epoch * run.fillna(planned)
    measured = pd.to_numeric(merged["train_seconds"], errors="coerce")
    return pd.DataFrame({
        "experiment": merged["experiment"], "epochs_planned": planned, "epochs_run": run,
        "predicted_s": predicted, "measured_train_s": measured,
        "ratio": measured / predicted.where(predicted > 0),
    }, columns=list(TIMING_COLUMNS))
