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


def _seed_files(train: Path | None, evaluation: Path | None) -> dict[str, Any]:
    def opt(folder: Path | None, name: str, reader: Any) -> Any:
        return None if folder is None else _optional(folder / name, reader)

    return {
        "metrics": opt(evaluation, "metrics.json", read_json),
        "per_class": opt(evaluation, "per_class.csv", pd.read_csv),
        "confusion": opt(evaluation, "confusion.csv", lambda p: pd.read_csv(p, index_col=0)),
        "predictions": None if evaluation is None else str(evaluation / "predictions.npz"),
        "history": opt(train, "history.csv", pd.read_csv),
        "train": opt(train, "train.json", read_json),
        "run": opt(train, "run.json", read_json),
    }


def _seeds_in(folder: Path) -> list[int]:
    return sorted(int(p.name.removeprefix("seed_")) for p in folder.glob("seed_*") if p.is_dir())


def load_run(run_dir: str | os.PathLike) -> dict[str, Any]:
    """Everything the analysis needs from ``results/runs/<experiment>/``.

    Reads the seed summary metrics.json (required: FileNotFoundError if absent) and, per
    seed found under ``eval/seed_<k>/`` and ``train/seed_<k>/``: metrics, per_class,
    confusion (index = true class), the predictions.npz path, history, train.json and
    run.json (budget, input size, pretrained). Returns ``{"experiment", "dir", "metrics",
    "seeds": {seed: {...}}, "provenance": {"evaluate", "train"}}`` plus the first seed's
    per_class, confusion, history and train at the top level (single-seed figures), None
    for each absent file.
    """
    d = Path(run_dir)
    metrics_path = d / "metrics.json"
    if not metrics_path.is_file():
        raise FileNotFoundError(f"{metrics_path}: missing; run the evaluate step first")
    train, evaluation = d / "train", d / "eval"
    seeds = sorted(set(_seeds_in(train)) | set(_seeds_in(evaluation)))
    per_seed = {s: _seed_files(train / f"seed_{s}" if (train / f"seed_{s}").is_dir() else None,
                               evaluation / f"seed_{s}" if (evaluation / f"seed_{s}").is_dir() else None)
                for s in seeds}
    first = per_seed[seeds[0]] if seeds else _seed_files(None, None)
    return {
        "experiment": d.name,
        "dir": str(d),
        "metrics": read_json(metrics_path),
        "seeds": per_seed,
        **{k: first[k] for k in ("per_class", "confusion", "history", "train")},
        "provenance": {
            "evaluate": _optional(evaluation / "evaluate.prov.json", read_provenance),
            "train": _optional(train / "train.prov.json", read_provenance),
        },
    }


def seed_correct(run: Mapping[str, Any]) -> dict[int, tuple[Any, Any]]:
    """``{seed: (test-image indices, top-1 correct)}`` from a :func:`load_run` dict's
    predictions.npz files (seeds without one are left out): what the paired comparisons
    read. The probabilities are not loaded."""
    import numpy as np

    out = {}
    for seed, files in run["seeds"].items():
        path = files.get("predictions")
        if path and Path(path).is_file():
            with np.load(path) as npz:
                out[int(seed)] = (npz["indices"], npz["preds"] == npz["labels"])
    return out


def history_accuracies(history: pd.DataFrame | None, best_epoch: Any = None) -> dict[str, float]:
    """``val_top1`` / ``train_top1`` (fractions) at the best epoch of a history frame.

    The row is the one whose ``epoch`` equals ``best_epoch`` (else the highest validation
    accuracy). Train accuracy is the running accuracy on augmented batches, as the seeds
    report it. Empty when there is no history or no accuracy column.
    """
    from cifarlab.analysis.figures.figbase import history_column

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


def history_facts(history: pd.DataFrame | None) -> dict[str, float]:
    """Facts of the curves the documents quote: the minimum validation loss and its epoch,
    and for a two-phase run the validation accuracy at the end of the first (head-only)
    phase and after the first epoch of the next (fractions)."""
    if history is None or history.empty or "val_loss" not in history:
        return {}
    out: dict[str, float] = {}
    losses = pd.to_numeric(history["val_loss"], errors="coerce")
    if losses.notna().any():
        at = losses.idxmin()
        out.update(min_val_loss=float(losses[at]), min_val_loss_epoch=float(history["epoch"][at]))
    if "phase" in history and history["phase"].nunique() > 1 and "val_acc" in history:
        first = history["phase"].iloc[0]
        head, rest = history[history["phase"] == first], history[history["phase"] != first]
        out.update(val_top1_after_head=float(head["val_acc"].iloc[-1]),
                   val_top1_finetune_epoch1=float(rest["val_acc"].iloc[0]))
    return out


def seed_records(run: Mapping[str, Any], description: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One :func:`cifarlab.analysis.tables.experiments.aggregate` record per seed of a :func:`load_run`
    dict: the seed's metrics.json, val_top1 / train_top1 from its history at the best
    epoch (:func:`history_accuracies`), whether it started pretrained, then
    ``description`` (what only the config knows: study, model, dataset, ...). Later
    sources win."""
    out = []
    for seed, files in run["seeds"].items():
        record = dict(files["metrics"] or {})
        record.update(experiment=run["experiment"], seed=int(seed))
        record.update(history_accuracies(files.get("history"), record.get("best_epoch")))
        record.update(history_facts(files.get("history")))
        facts = files.get("run") or {}
        for key in ("pretrained_note", "phases_merged"):  # why a run departs from its recipe
            if facts.get(key):
                record[key] = facts[key]
        record.update(description)
        out.append(record)
    return out
