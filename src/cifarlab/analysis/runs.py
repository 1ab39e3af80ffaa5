"""Reading one run folder's files (the only I/O in cifarlab.analysis; torch-free)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from cifarlab.io import read_json
from cifarlab.provenance import read_provenance

AVERAGE_ROWS = ("macro avg", "weighted avg")  # as cifarlab.evaluate.metrics writes them


def class_rows(per_class: pd.DataFrame) -> pd.DataFrame:
    """The per-class rows of a per_class.csv frame, without the macro / weighted averages."""
    return per_class[~per_class["class"].astype(str).isin(AVERAGE_ROWS)].reset_index(drop=True)


def _optional(path: Path, reader: Any) -> Any:
    return reader(path) if path.is_file() else None


def load_run(run_dir: str | os.PathLike) -> dict[str, Any]:
    """Everything the analysis needs from ``results/runs/<experiment>/``.

    Reads metrics.json (required: FileNotFoundError if absent), and when present
    per_class.csv, confusion.csv (index = true class), history.csv, train.json,
    evaluate.prov.json and train.prov.json. Returns ``{"experiment", "dir", "metrics",
    "per_class", "confusion", "history", "train", "provenance": {"evaluate", "train"}}``
    with None for each absent file.
    """
    d = Path(run_dir)
    metrics_path = d / "metrics.json"
    if not metrics_path.is_file():
        raise FileNotFoundError(f"{metrics_path}: missing; run the evaluate step first")
    return {
        "experiment": d.name,
        "dir": str(d),
        "metrics": read_json(metrics_path),
        "per_class": _optional(d / "per_class.csv", pd.read_csv),
        "confusion": _optional(d / "confusion.csv", lambda p: pd.read_csv(p, index_col=0)),
        "history": _optional(d / "history.csv", pd.read_csv),
        "train": _optional(d / "train.json", read_json),
        "provenance": {
            "evaluate": _optional(d / "evaluate.prov.json", read_provenance),
            "train": _optional(d / "train.prov.json", read_provenance),
        },
    }


def history_accuracies(history: pd.DataFrame | None, best_epoch: Any = None) -> dict[str, float]:
    """``val_top1`` / ``train_top1`` (fractions) at the best epoch of a history frame.

    The row is the one whose ``epoch`` equals ``best_epoch`` (else the highest validation
    accuracy). Train accuracy is the running accuracy on augmented batches, as the seeds
    report it. Empty when there is no history or no accuracy column.
    """
    from cifarlab.analysis.plots import history_column

    if history is None or history.empty:
        return {}
    val_col, train_col = history_column(history, "val", "acc"), history_column(history, "train", "acc")
    rows = history[history["epoch"] == best_epoch] if best_epoch is not None else history.iloc[0:0]
    if rows.empty:
        if val_col is None:
            return {}
        rows = history.loc[[history[val_col].idxmax()]]
    row = rows.iloc[-1]
    out = {}
    for key, col in (("val_top1", val_col), ("train_top1", train_col)):
        if col is not None and pd.notna(row[col]):
            value = float(row[col])
            out[key] = value / 100.0 if value > 1.0 else value  # percent histories -> fractions
    return out


def run_record(run: Mapping[str, Any], description: Mapping[str, Any]) -> dict[str, Any]:
    """One :func:`cifarlab.analysis.tables.aggregate` record for a :func:`load_run` dict.

    metrics.json, then val_top1 / train_top1 from the history at metrics' best_epoch
    (:func:`history_accuracies`), then ``description``: what only the config knows
    (experiment, study, model, dataset, declared_dataset, recipe, profile, max_epochs,
    train_size, num_classes, ...). Later sources win.
    """
    record = dict(run["metrics"])
    record["experiment"] = run["experiment"]
    record.update(history_accuracies(run.get("history"), record.get("best_epoch")))
    record.update(description)
    return record
