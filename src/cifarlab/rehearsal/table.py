"""The rehearsal's table: each experiment's peak memory beside the planner's prediction.

Torch-free. One row per selected experiment: what the planner predicted
(``cifarlab.plan.memory``), what the train process and the evaluate process peaked at
(their run.json / metrics.json ``peak_mem_mb``: the process's maximum resident size on the
CPU), and the status: ran, failed, or not run because the prediction exceeds the limit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

COLUMNS = ("experiment", "study", "model", "batch_size", "eval_batch_size", "input_px", "predicted_mb",
           "train_peak_mb", "measured_over_predicted", "predicted_evaluate_mb", "evaluate_peak_mb",
           "train_seconds", "status")


def _read(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.is_file() else None


def measured(work: Path, experiment: str, seed: int) -> dict[str, Any]:
    """Peak memory and train seconds one run recorded in the work copy (empty if none)."""
    run = _read(work / "results" / "runs" / experiment / "train" / f"seed_{seed}" / "run.json")
    train = _read(work / "results" / "runs" / experiment / "train" / f"seed_{seed}" / "train.json")
    metrics = _read(work / "results" / "runs" / experiment / "eval" / f"seed_{seed}" / "metrics.json")
    return {"train_peak_mb": (run or {}).get("peak_mem_mb"),
            "evaluate_peak_mb": (metrics or {}).get("peak_mem_mb"),
            "train_seconds": (train or {}).get("train_seconds")}


def row(experiment: str, study: str, model: str, prediction: Mapping[str, Any] | None,
        got: Mapping[str, Any], status: str) -> dict[str, Any]:
    p = prediction or {}
    predicted, peak = p.get("predicted_mb"), got.get("train_peak_mb")
    ratio = round(peak / predicted, 2) if predicted and peak else None
    return {"experiment": experiment, "study": study, "model": model, "batch_size": p.get("batch_size"),
            "eval_batch_size": p.get("eval_batch_size"), "input_px": p.get("input_size"),
            "predicted_mb": predicted, "predicted_evaluate_mb": p.get("evaluate_mb"), **got,
            "measured_over_predicted": ratio, "status": status}


def frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(COLUMNS))


def markdown(df: pd.DataFrame) -> str:
    """The table as Markdown (MiB rounded), for the terminal and memory.md."""
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            if v is None or (isinstance(v, float) and pd.isna(v)):
                cells.append("")
            elif isinstance(v, float):
                cells.append(f"{v:,.0f}" if c.endswith("_mb") else f"{v:g}")
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
