"""One table over all experiments, and the seeds' claims beside our measurements.

Pure pandas: records in, DataFrames out; never imports torch. Units follow metrics.json:
top1/top5/macro_f1 are fractions; the scorecard converts to the seeds' units (percent).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

# Column order of experiments.csv; a record's other keys follow these, in sorted order.
EXPERIMENT_COLUMNS = (
    "rank", "experiment", "study", "model", "dataset", "declared_dataset", "recipe", "profile",
    "top1", "top5", "loss", "macro_f1", "weighted_f1", "val_top1", "train_top1",
    "params", "params_m", "flops", "param_efficiency",
    "latency_ms_per_image_b1", "latency_ms_per_image_batched", "peak_mem_mb", "peak_mem_source",
    "train_seconds", "epochs", "max_epochs", "best_epoch", "train_size", "num_classes", "device",
)
_NUMERIC = (
    "top1", "top5", "loss", "macro_f1", "weighted_f1", "val_top1", "train_top1", "params", "flops",
    "latency_ms_per_image_b1", "latency_ms_per_image_batched", "peak_mem_mb", "train_seconds",
    "epochs", "max_epochs", "best_epoch", "train_size", "num_classes",
)


def aggregate(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per experiment, best top-1 first.

    Each record is one experiment's metrics.json merged with its description, e.g.
    ``{"experiment": "cnn4", "study": "s000", "model": "cnn4", "dataset": "fashion_mnist",
    "declared_dataset": "cifar10", "recipe": "s000_adamw", "profile": "quick",
    "max_epochs": 5, "train_size": 10000, "val_top1": 0.91, **metrics}``. Missing values
    become NaN. Adds ``params_m`` (params / 1e6), ``param_efficiency`` (the seeds'
    top-1 % / params in millions) and ``rank`` (1 = best top-1; NaN top-1 last).
    Raises ValueError on a record without ``experiment`` or on duplicate experiments.
    """
    names = [r.get("experiment") for r in records]
    if any(not n for n in names):
        raise ValueError("every record needs an 'experiment' name")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"duplicate experiments: {', '.join(dupes)}")
    df = pd.DataFrame([dict(r) for r in records])
    for col in EXPERIMENT_COLUMNS:
        if col not in df.columns:
            df[col] = np.nan
    for col in _NUMERIC:
        df[col] = pd.to_numeric(df[col], errors="coerce")
    df["params_m"] = df["params"] / 1e6
    df["param_efficiency"] = df["top1"] * 100.0 / df["params_m"]
    df = df.sort_values(["top1", "experiment"], ascending=[False, True], na_position="last")
    df["rank"] = np.arange(1, len(df) + 1)
    extra = sorted(c for c in df.columns if c not in EXPERIMENT_COLUMNS)
    return df[list(EXPERIMENT_COLUMNS) + extra].reset_index(drop=True)


# ---- scorecard ---------------------------------------------------------------------------

TRAINED = ("dataset", "num_classes", "epochs", "train_size")  # what an accuracy depends on


@dataclass(frozen=True)
class ClaimMetric:
    column: str  # the aggregate() column measured
    scale: float  # measured * scale = the seed's unit
    unit: str
    conditions: tuple[str, ...]  # claim facts that must match for the pair to be comparable


CLAIM_METRICS: dict[str, ClaimMetric] = {
    "top1": ClaimMetric("top1", 100.0, "%", TRAINED),
    "top5": ClaimMetric("top5", 100.0, "%", TRAINED),
    "val_top1": ClaimMetric("val_top1", 100.0, "%", TRAINED),
    "train_top1": ClaimMetric("train_top1", 100.0, "%", TRAINED),
    "macro_f1": ClaimMetric("macro_f1", 100.0, "%", TRAINED),
    "top1_gain": ClaimMetric("top1", 100.0, "points", TRAINED),  # experiment minus baseline
    "params": ClaimMetric("params", 1.0, "count", ("num_classes",)),
    "params_m": ClaimMetric("params", 1e-6, "M", ("num_classes",)),
    "peak_mem_mb": ClaimMetric("peak_mem_mb", 1.0, "MiB", ("device",)),
    "latency_ms_batched": ClaimMetric("latency_ms_per_image_batched", 1.0, "ms/image", ("device",)),
    "latency_ms_b1": ClaimMetric("latency_ms_per_image_b1", 1.0, "ms/image", ("device",)),
}
HARDWARE_CAVEAT = "hardware-dependent: the seed's GPU and software differ from ours"
SCORECARD_COLUMNS = (
    "study", "experiment", "metric", "unit", "claimed", "measured", "delta", "status",
    "comparable", "reasons", "caveat", "simulated", "section", "seed", "profile",
    "measured_dataset", "claimed_dataset",
)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _condition_reasons(row: Mapping[str, Any], claim: Mapping[str, Any],
                       conditions: Sequence[str]) -> list[str]:
    """Why ``row`` (our run) and ``claim`` were not made under the same conditions."""
    reasons = []
    for key in conditions:
        want = claim.get(key)
        have = row.get("max_epochs" if key == "epochs" else key)
        if _missing(want):
            continue  # the seed does not say: nothing to compare against
        if key == "device":
            if _missing(have) or not str(have).startswith(str(want)):
                where = "an unknown device" if _missing(have) else have
                reasons.append(f"measured on {where}, the seed on {want}")
        elif _missing(have):
            reasons.append(f"our {key.replace('_', ' ')} is unknown (the seed's: {want})")
        elif key == "epochs" and int(have) != int(want):
            reasons.append(f"budget {int(have)} epochs vs the seed's {int(want)}")
        elif key == "train_size" and int(have) < int(want):
            reasons.append(f"trained on {int(have)} images vs the seed's {int(want)}")
        elif key in ("dataset", "num_classes") and str(have) != str(want):
            reasons.append(f"{key.replace('_', ' ')} {have} vs the seed's {want}")
    return reasons


def _measure(claim: Mapping[str, Any], metric: ClaimMetric,
             rows: Mapping[str, Mapping[str, Any]]) -> tuple[bool, float | None, list[str], str]:
    """(ran, measured value in the claim's unit, condition mismatches, explanation)."""
    wanted = [claim["experiment"]] + ([claim["baseline"]] if claim["metric"] == "top1_gain" else [])
    missing = [name for name in wanted if name not in rows]
    if missing:
        return False, None, [], f"no experiment {', '.join(missing)} in this run"
    found = [rows[name] for name in wanted]
    if any(_missing(r.get(metric.column)) for r in found):
        return True, None, [], f"no {metric.column} in the run's record"
    values = [float(r[metric.column]) * metric.scale for r in found]
    measured = values[0] - values[1] if len(values) == 2 else values[0]  # top1_gain: minus baseline
    reasons = list(dict.fromkeys(x for r in found for x in _condition_reasons(r, claim, metric.conditions)))
    return True, measured, reasons, "; ".join(reasons)


def _status(ran: bool, measured: float | None, reasons: list[str], claim: Mapping[str, Any],
            delta: float | None) -> str:
    if not ran:
        return "not run"
    if measured is None:
        return "not measured"
    if reasons:
        return "not comparable"
    if claim.get("simulated"):
        return "seed value simulated"
    tol = claim.get("tolerance")
    if _missing(tol):
        return "measured"
    return "agrees" if abs(delta) <= float(tol) + 1e-9 else "differs"


def _score_claim(claim: Mapping[str, Any], rows: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    metric = CLAIM_METRICS.get(claim["metric"])
    if metric is None:
        known = ", ".join(CLAIM_METRICS)
        raise ValueError(f"claim {claim.get('experiment')}: unknown metric {claim['metric']!r}; known: {known}")
    ran, measured, reasons, explanation = _measure(claim, metric, rows)
    delta = None if measured is None else measured - float(claim["claimed"])
    caveats = [claim.get("caveat"), "simulated (s) in the seed" if claim.get("simulated") else None,
               HARDWARE_CAVEAT if "device" in metric.conditions else None]
    row = rows.get(claim["experiment"], {})
    return {
        "study": claim["study"], "experiment": claim["experiment"], "metric": claim["metric"],
        "unit": metric.unit, "claimed": float(claim["claimed"]), "measured": measured, "delta": delta,
        "status": _status(ran, measured, reasons, claim, delta),
        "comparable": measured is not None and not reasons, "reasons": explanation,
        "caveat": "; ".join(c for c in caveats if c), "simulated": bool(claim.get("simulated")),
        "section": claim.get("section", ""), "seed": claim.get("seed", ""),
        "profile": row.get("profile"), "measured_dataset": row.get("dataset"),
        "claimed_dataset": claim.get("dataset"),
    }


def scorecard(df: pd.DataFrame, claims: Sequence[Mapping[str, Any]], *,
              include_not_run: bool = True) -> pd.DataFrame:
    """The seeds' claims beside our measurements, one row per claim.

    ``df`` is :func:`aggregate`'s output; ``claims`` the list from
    ``cifarlab.report.load_claims()`` (each: study, experiment, metric, claimed, and the
    study's conditions dataset / num_classes / epochs / train_size / device).
    ``status`` is one of: ``not run`` (no such experiment), ``not measured`` (the run
    lacks that metric, e.g. no val_top1 in its record), ``not comparable`` (our run's
    dataset, class count, epoch budget, training-set size or device differs from the
    seed's: ``reasons`` says which, e.g. the quick profile's Fashion-MNIST subset vs the
    seed's CIFAR-10), ``seed value simulated``, ``agrees`` / ``differs`` (within / beyond
    the claim's tolerance), ``measured`` (comparable, no tolerance set). ``measured`` and
    ``delta`` are in the claim's unit (percent for accuracies).
    """
    rows = {str(r["experiment"]): r for r in df.to_dict("records")}
    out = pd.DataFrame([_score_claim(c, rows) for c in claims], columns=list(SCORECARD_COLUMNS))
    if not include_not_run:
        out = out[out["status"] != "not run"].reset_index(drop=True)
    return out


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
