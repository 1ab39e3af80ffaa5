"""The differences the documents claim, and whether this run could detect them (power).

A claimed difference of a comparison (experiment minus reference, percentage points in
claims.yaml) is the claim's ``top1_gain`` for that pair, else the difference of the two
experiments' top-1 claims printed in the same table or figure (the section's head, e.g.
"Table 3", "Figure 8", "1.4 grid"). Simulated claims are left out.

Variances (see :mod:`cifarlab.analysis.stats.power`): ``image_var`` is the measured
per-image variance of the paired difference; ``seed_var`` the variance of the per-seed
differences where the pair has two seeds or more, else twice the study's pooled seed
variance of top-1 (``top1_std^2`` of its experiments with several seeds; two independent
trainings), else unmeasured and taken as 0, which makes ``seeds_needed`` a lower bound
(``seed_var_source`` says which). A claimed difference of 0 cannot be "detected": its
row asks for the design that tells a difference of one tolerance from 0.
"""

from __future__ import annotations

import math
import re
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from cifarlab.analysis.stats.comparisons import seed_deltas
from cifarlab.analysis.stats.power import TARGET_POWER, design, power, se_to_detect, standard_error

POWER_COLUMNS = (
    "study", "kind", "experiment", "reference", "claimed_delta", "measured_delta", "source", "n_seeds",
    "n_images", "seed_sd", "seed_var_source", "image_sd", "se", "power", "detectable", "seeds_needed",
    "images_needed", "test_images_available", "cost_hours", "cost_profile",
)


def _heads(section: str) -> set[str]:
    """'Table 1 (4.1), rank 7; Table 3 (5.1)' -> {'Table 1', 'Table 3'}."""
    return {re.split(r" \(|,", part.strip(), maxsplit=1)[0].strip() for part in str(section).split(";")}


def claimed_delta(claims: Sequence[Mapping[str, Any]], experiment: str, reference: str
                  ) -> tuple[float, str, float] | None:
    """(claimed difference in points, where, tolerance in points) for the pair, or None."""
    for c in claims:
        if c["metric"] == "top1_gain" and c["experiment"] == experiment and c.get("baseline") == reference:
            return float(c["claimed"]), str(c.get("section", "")), float(c.get("tolerance") or 0.0)
    top1 = [c for c in claims if c["metric"] == "top1" and not c.get("simulated")]
    for ce in (c for c in top1 if c["experiment"] == experiment):
        for cr in (c for c in top1 if c["experiment"] == reference):
            common = sorted(_heads(ce.get("section", "")) & _heads(cr.get("section", "")))
            if common:
                tol = max(float(ce.get("tolerance") or 0.0), float(cr.get("tolerance") or 0.0))
                return float(ce["claimed"]) - float(cr["claimed"]), common[0], tol
    return None


def pooled_seed_var(experiments: pd.DataFrame, study: str) -> float:
    """Mean top1_std^2 (fractions) of the study's experiments with several seeds; NaN if none."""
    if "top1_std" not in experiments:
        return math.nan
    part = experiments[(experiments["study"] == study) & (experiments["n_seeds"] > 1)]
    std = pd.to_numeric(part["top1_std"], errors="coerce").dropna()
    return float((std**2).mean()) if len(std) else math.nan


def seed_var_of(deltas: Sequence[float], experiments: pd.DataFrame, study: str, k: int = 2
                ) -> tuple[float, str]:
    """Seed variance of a quantity (a difference of ``k`` = 2 runs, or one run: k = 1)."""
    if len(deltas) > 1:
        return float(np.var(deltas, ddof=1)), f"measured over {len(deltas)} seeds"
    pooled = pooled_seed_var(experiments, study)
    if not math.isnan(pooled):
        return k * pooled, f"pooled top-1 spread of {study}'s multi-seed runs"
    return 0.0, "unmeasured (one seed): taken as 0, seeds needed is a lower bound"


def _cost(plan: pd.DataFrame | None, names: Sequence[str], seeds: int | None) -> float:
    """Device-hours of training ``seeds`` seeds of each of ``names``, from the plan."""
    if plan is None or seeds is None or "predicted_s_per_seed" not in plan:
        return math.nan
    per = plan.set_index("experiment")["predicted_s_per_seed"]
    if any(n not in per.index for n in names):
        return math.nan
    return float(sum(per[n] for n in names) * seeds / 3600.0)


def power_row(row: Mapping[str, Any], claim: tuple[float, str, float], experiments: pd.DataFrame,
              plan: pd.DataFrame | None, plan_profile: str) -> dict[str, Any]:
    """One POWER_COLUMNS row for a comparison row (fractions) and its claim (points)."""
    claimed, source, tol = claim[0] / 100.0, claim[1], claim[2] / 100.0
    m, n = int(row["n_seeds"]), int(row["n_images"])
    seed_var, seed_src = seed_var_of(seed_deltas(row), experiments, str(row["study"]))
    image_var = float(row["image_var"]) if pd.notna(row.get("image_var")) else 0.0
    se = standard_error(seed_var, image_var, m, n)
    effect = claimed if claimed != 0.0 else tol  # a claimed 0: tell one tolerance from 0
    test_size = experiments.set_index("experiment").get("test_size")
    available = test_size.get(row["experiment"]) if test_size is not None else None
    available = int(available) if available is not None and pd.notna(available) else n
    need = design(se_to_detect(effect), seed_var, image_var, available) if effect else None
    now = power(effect, se) if effect else math.nan
    return {
        "study": row["study"], "kind": row["kind"], "experiment": row["experiment"],
        "reference": row["reference"], "claimed_delta": claimed, "measured_delta": row["delta"],
        "source": source + (" (claimed 0: power against one tolerance)" if claimed == 0.0 else ""),
        "n_seeds": m, "n_images": n, "seed_sd": math.sqrt(seed_var), "seed_var_source": seed_src,
        "image_sd": math.sqrt(image_var), "se": se, "power": now,
        "detectable": bool(now >= TARGET_POWER) if not math.isnan(now) else False,
        "seeds_needed": need[0] if need else math.nan, "images_needed": need[1] if need else math.nan,
        "test_images_available": available,
        "cost_hours": _cost(plan, [row["experiment"], row["reference"]], need[0] if need else None),
        "cost_profile": plan_profile if plan is not None else "",
    }


def power_table(comparisons: pd.DataFrame, claims: Sequence[Mapping[str, Any]], experiments: pd.DataFrame,
                plan: pd.DataFrame | None = None, plan_profile: str = "") -> pd.DataFrame:
    """POWER_COLUMNS: one row per measured comparison whose difference a document claims.

    ``plan``: ``cifarlab plan``'s CSV (experiment, predicted_s_per_seed) for ``cost_hours``:
    the device-hours of training ``seeds_needed`` seeds of both experiments."""
    rows = []
    for row in comparisons.to_dict("records"):
        claim = claimed_delta(claims, row["experiment"], row["reference"])
        if claim is not None:
            rows.append(power_row(row, claim, experiments, plan, plan_profile))
    return pd.DataFrame(rows, columns=list(POWER_COLUMNS))


def power_display(power: pd.DataFrame) -> pd.DataFrame:
    """power.csv for a page: differences in points, the verdict on detection in words."""
    if power.empty:
        return pd.DataFrame()

    def needs(r) -> str:
        if pd.isna(r.seeds_needed):
            return f"out of reach with {int(r.test_images_available):,} test images"
        return f"{int(r.seeds_needed)} seed{'s' if r.seeds_needed > 1 else ''} x {int(r.images_needed):,} images"

    return pd.DataFrame({
        "study": power["study"], "comparison": power["kind"], "experiment": power["experiment"],
        "reference": power["reference"], "claimed delta (points)": power["claimed_delta"] * 100.0,
        "measured delta (points)": power["measured_delta"] * 100.0, "where claimed": power["source"],
        "seeds x images": [f"{int(m)} x {int(n):,}" for m, n in zip(power["n_seeds"], power["n_images"])],
        "power": power["power"], "detectable here": ["yes" if d else "no" for d in power["detectable"]],
        "needed at 80% power": [needs(r) for r in power.itertuples()],
        "cost (device-hours)": power["cost_hours"], "seed spread": power["seed_var_source"],
    })
