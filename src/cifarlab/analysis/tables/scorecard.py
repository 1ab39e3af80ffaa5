"""The reproduction scorecard: each claim of the documents beside our measurement, with
one verdict (pure pandas, torch-free).

Verdicts, in the order they are decided:

- ``not run``: no such experiment in this run, or it has no value for the metric;
- ``claim unreliable``: the document marks the value simulated ("(s)"), or gives other
  values for the same experiment and metric elsewhere (a contradiction), or claims.yaml
  says why (``unreliable``);
- ``not comparable``: our run differs in what the number depends on (dataset, classes,
  epoch budget, training-set size, hardware); ``reason`` says which;
- an accuracy measured with a 95% interval (top1 and top5: over seeds and test images;
  top1_gain: the paired comparison of the two runs) is judged by the interval rule of
  :mod:`cifarlab.analysis.stats.verdicts`: ``not reproduced`` when the claim lies outside
  the interval widened by the tolerance, ``inconclusive`` when inside but the interval is
  wider than twice the tolerance (``needed``: the seeds and test images that would decide,
  :func:`cifarlab.analysis.stats.power.design`), else ``reproduced``;
- any other number: ``reproduced`` when ``|measured - claimed| <= max(tolerance, 2 * std
  over seeds)``, else ``not reproduced``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import pandas as pd

from cifarlab.analysis.stats.verdicts import judge_interval, measured_interval

TRAINED = ("dataset", "num_classes", "epochs", "train_size")  # what an accuracy depends on
VERDICTS = ("reproduced", "not reproduced", "inconclusive", "not comparable", "not run", "claim unreliable")


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
    "weighted_f1": ClaimMetric("weighted_f1", 100.0, "%", TRAINED),
    "top1_gain": ClaimMetric("top1", 100.0, "points", TRAINED),  # experiment minus baseline
    "params": ClaimMetric("params", 1.0, "count", ("num_classes",)),
    "params_m": ClaimMetric("params", 1e-6, "M", ("num_classes",)),
    "peak_mem_mb": ClaimMetric("peak_mem_mb", 1.0, "MiB", ("device",)),
    "latency_ms_batched": ClaimMetric("latency_ms_per_image_batched", 1.0, "ms/image", ("device",)),
    "latency_ms_b1": ClaimMetric("latency_ms_per_image_b1", 1.0, "ms/image", ("device",)),
    "train_hours": ClaimMetric("train_seconds", 1 / 3600, "h", ("device", "epochs", "train_size")),
    "param_efficiency": ClaimMetric("param_efficiency", 1.0, "%/M", TRAINED),
    "min_val_loss": ClaimMetric("min_val_loss", 1.0, "loss", TRAINED),
    "min_val_loss_epoch": ClaimMetric("min_val_loss_epoch", 1.0, "epoch", TRAINED),
    "best_val_top1": ClaimMetric("val_top1", 100.0, "%", TRAINED),
    "best_val_epoch": ClaimMetric("best_epoch", 1.0, "epoch", TRAINED),
    "max_error_confidence": ClaimMetric("max_error_confidence", 100.0, "%", TRAINED),
    "val_top1_after_head": ClaimMetric("val_top1_after_head", 100.0, "%", TRAINED),
    "val_top1_finetune_epoch1": ClaimMetric("val_top1_finetune_epoch1", 100.0, "%", TRAINED),
}
HARDWARE_CAVEAT = "hardware-dependent: the seed's GPU and software differ from ours"
SCORECARD_COLUMNS = (
    "study", "experiment", "metric", "unit", "claimed", "measured", "measured_std", "ci_low", "ci_high",
    "n_seeds", "delta", "tolerance", "verdict", "reason", "needed", "comparable", "caveat", "simulated", "section",
    "seed", "profile", "measured_dataset", "claimed_dataset",
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
                reasons.append(f"hardware: measured on {where}, the document on {want}")
        elif _missing(have):
            reasons.append(f"our {key.replace('_', ' ')} is unknown (the document's: {want})")
        elif key == "epochs" and int(have) != int(want):
            reasons.append(f"budget: {int(have)} epochs vs the document's {int(want)}")
        elif key == "train_size" and int(have) < int(want):
            reasons.append(f"budget: trained on {int(have)} images vs the document's {int(want)}")
        elif key == "dataset" and str(have) != str(want):
            reasons.append(f"dataset: {have} vs the document's {want}")
        elif key == "num_classes" and int(have) != int(want):
            reasons.append(f"classes: {int(have)} vs the document's {int(want)}")
    return reasons


def _measure(claim: Mapping[str, Any], metric: ClaimMetric, rows: Mapping[str, Mapping[str, Any]]):
    """(measured in the claim's unit or None, its std over seeds, n seeds, condition
    mismatches, why nothing was measured)."""
    wanted = [claim["experiment"]] + ([claim["baseline"]] if claim["metric"] == "top1_gain" else [])
    missing = [name for name in wanted if name not in rows]
    if missing:
        return None, None, 0, [], f"no experiment {', '.join(missing)} in this run"
    found = [rows[name] for name in wanted]
    if any(_missing(r.get(metric.column)) for r in found):
        merged = [r["phases_merged"] for r in found if isinstance(r.get("phases_merged"), str)]
        if merged:  # the profile trained it in one phase: there is no phase boundary to read
            return None, None, 0, [f"no head-only phase ({merged[0]})"], ""
        return None, None, 0, [], f"no {metric.column} in the run's record"
    values = [float(r[metric.column]) * metric.scale for r in found]
    measured = values[0] - values[1] if len(values) == 2 else values[0]  # top1_gain: minus baseline
    stds = [r.get(f"{metric.column}_std") for r in found]
    std = math.sqrt(sum((float(s) * metric.scale) ** 2 for s in stds if not _missing(s))) \
        if any(not _missing(s) for s in stds) else None
    n_seeds = min(int(r.get("n_seeds") or 1) for r in found)
    reasons = list(dict.fromkeys(x for r in found for x in _condition_reasons(r, claim, metric.conditions)))
    if metric.conditions == TRAINED and any(isinstance(r.get("pretrained_note"), str) for r in found):
        reasons.append("not pretrained: the weights file was absent, so the run started from random weights")
    return measured, std, n_seeds, reasons, ""


def contradictions(claims: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], list[float]]:
    """(experiment, metric) -> the distinct values the documents claim for it, where they
    differ by more than the claim's tolerance (the document contradicts itself)."""
    seen: dict[tuple[str, str], list[float]] = {}
    tolerance: dict[tuple[str, str], float] = {}
    for c in claims:
        key = (c["experiment"], c["metric"])
        values = seen.setdefault(key, [])
        if float(c["claimed"]) not in values:
            values.append(float(c["claimed"]))
        tolerance[key] = float(c.get("tolerance") or 0.0)
    # Two printings of one number that agree within the tolerance (93.77 / 93.81 for one
    # configuration) are run-to-run noise, not a contradiction.
    return {k: v for k, v in seen.items() if max(v) - min(v) > tolerance[k] + 1e-9}


def verdict(measured: float | None, reasons: list[str], unreliable: str | None,
            why_not_run: str) -> tuple[str, str] | None:
    """(verdict, reason) when the claim cannot be judged on its delta, else None."""
    if measured is None:
        return ("not comparable", "; ".join(reasons)) if reasons else ("not run", why_not_run)
    if unreliable:
        return "claim unreliable", unreliable
    if reasons:
        return "not comparable", "; ".join(reasons)
    return None


def _score_claim(claim: Mapping[str, Any], rows: Mapping[str, Mapping[str, Any]],
                 conflicts: Mapping[tuple[str, str], list[float]], pairs: pd.DataFrame | None = None
                 ) -> dict[str, Any]:
    metric = CLAIM_METRICS.get(claim["metric"])
    if metric is None:
        known = ", ".join(CLAIM_METRICS)
        raise ValueError(f"claim {claim.get('experiment')}: unknown metric {claim['metric']!r}; known: {known}")
    measured, std, n_seeds, reasons, why_not = _measure(claim, metric, rows)
    claimed = float(claim["claimed"])
    others = conflicts.get((claim["experiment"], claim["metric"]))
    unreliable = "; ".join(x for x in (
        "the document marks it simulated (s)" if claim.get("simulated") else "",
        f"the document gives {', '.join(f'{v:g}' for v in others)} for it in different places" if others else "",
        claim.get("unreliable") or "") if x)
    judged = verdict(measured, reasons, unreliable, why_not)
    interval = None if measured is None else measured_interval(claim, metric, rows, pairs)
    if interval is not None:
        measured = interval.measured
    delta = None if measured is None else measured - claimed
    needed = ""
    if judged:
        decided, reason = judged
    elif interval is not None:
        decided, reason, needed = judge_interval(claim, interval)
    else:
        allowed = max(float(claim.get("tolerance") or 0.0), 2.0 * float(std or 0.0))
        decided = "reproduced" if abs(delta) <= allowed + 1e-9 else "not reproduced"
        reason = f"|delta| {abs(delta):.3g} {'<=' if decided == 'reproduced' else '>'} {allowed:.3g} " \
                 f"(max of tolerance and 2 std over {n_seeds} seed{'s' if n_seeds != 1 else ''})"
    caveats = [claim.get("caveat"), HARDWARE_CAVEAT if "device" in metric.conditions else None]
    row = rows.get(claim["experiment"], {})
    return {
        "study": claim["study"], "experiment": claim["experiment"], "metric": claim["metric"],
        "unit": metric.unit, "claimed": claimed, "measured": measured, "measured_std": std,
        "ci_low": interval.low if interval else None, "ci_high": interval.high if interval else None,
        "n_seeds": n_seeds, "delta": delta, "tolerance": claim.get("tolerance"),
        "verdict": decided, "reason": reason, "needed": needed,
        "comparable": decided in ("reproduced", "not reproduced", "inconclusive"),
        "caveat": "; ".join(c for c in caveats if c), "simulated": bool(claim.get("simulated")),
        "section": claim.get("section", ""), "seed": claim.get("seed", ""),
        "profile": row.get("profile"), "measured_dataset": row.get("dataset"),
        "claimed_dataset": claim.get("dataset"),
    }


def scorecard(df: pd.DataFrame, claims: Sequence[Mapping[str, Any]], *,
              include_not_run: bool = True, comparisons: pd.DataFrame | None = None) -> pd.DataFrame:
    """The documents' claims beside our measurements, one row per claim, with a verdict.

    ``df`` is :func:`cifarlab.analysis.tables.experiments.aggregate`'s output (seed means and
    ``<metric>_std``); ``claims`` the list from ``cifarlab.report.load_claims()`` (each:
    study, experiment, metric, claimed, tolerance, and the study's conditions dataset /
    num_classes / epochs / train_size / device); ``comparisons`` the paired comparisons
    (:func:`cifarlab.analysis.stats.comparisons.comparison_table`) that give a top1_gain
    claim its interval. ``measured``, ``measured_std``, ``ci_low`` / ``ci_high`` and
    ``delta`` are in the claim's unit (percent for accuracies).
    """
    rows = {str(r["experiment"]): r for r in df.to_dict("records")}
    conflicts = contradictions(claims)
    out = pd.DataFrame([_score_claim(c, rows, conflicts, comparisons) for c in claims],
                       columns=list(SCORECARD_COLUMNS))
    if not include_not_run:
        out = out[out["verdict"] != "not run"].reset_index(drop=True)
    return out
