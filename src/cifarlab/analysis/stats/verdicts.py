"""The scorecard's rule for a claim measured with an interval (values in the claim's unit).

Decided in this order:

- ``not reproduced``: the claim lies outside our 95% interval widened by the claim's
  tolerance on both sides (a wide interval can still refute a claim far outside it);
- ``inconclusive``: the claim lies inside, but the interval is wider than twice the
  tolerance, so it could not have told a miss of one tolerance from a hit;
- ``reproduced``: the claim lies inside and the interval is at most twice the tolerance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import pandas as pd

RULE = (
    "Verdicts of measured accuracies: 'reproduced' when the claimed value lies inside our 95% "
    "interval widened by the claim's tolerance and that interval is at most twice the tolerance "
    "wide; 'not reproduced' when the claim lies outside the widened interval; 'inconclusive' when "
    "it lies inside but the interval is wider than twice the tolerance ('needed' gives the seeds "
    "and test images that would decide). Numbers without an interval (parameters, memory, time) "
    "are reproduced when |delta| <= max(tolerance, 2 std over seeds).")
_EPS = 1e-9  # claims and tolerances are printed to 2 decimals: float noise is not a miss


def interval_verdict(claimed: float, low: float, high: float, tolerance: float) -> str:
    """'reproduced', 'not reproduced' or 'inconclusive' (see the module docstring)."""
    tol = max(float(tolerance or 0.0), 0.0)
    if not (low - tol - _EPS <= claimed <= high + tol + _EPS):
        return "not reproduced"
    return "inconclusive" if high - low > 2.0 * tol + _EPS else "reproduced"


@dataclass(frozen=True)
class Measured:
    """A claim's measurement with its interval, in the claim's unit (``scale`` x fraction)."""

    measured: float
    low: float
    high: float
    scale: float
    seed_var: float  # fraction^2: of one seed's value (or difference)
    seed_var_source: str
    image_var: float  # fraction^2: per test image
    test_images: int  # the dataset's test images a design may use


INTERVAL_METRICS = ("top1", "top5", "top1_gain")  # the claim metrics measured with an interval


def measured_interval(claim: Mapping[str, Any], metric: Any, rows: Mapping[str, Mapping[str, Any]],
                      pairs: pd.DataFrame | None) -> Measured | None:
    """The claim's measured value and 95% interval, or None when it has none (another
    metric, a gain whose paired comparison is absent, an interval not computed)."""
    from cifarlab.analysis.stats.claimed import seed_var_of
    from cifarlab.analysis.stats.comparisons import lookup, seed_deltas

    name, scale = claim["metric"], float(metric.scale)
    row = rows.get(claim["experiment"], {})
    available = _int(row.get("test_size"), _int(row.get("n_test"), 0))
    if name == "top1_gain":
        pair = lookup(pairs, claim["experiment"], claim.get("baseline"))
        if pair is None:
            return None
        var, source = seed_var_of(seed_deltas(pair), _frame(rows), str(claim["study"]), k=2)
        return Measured(pair["delta"] * scale, pair["delta_ci_low"] * scale, pair["delta_ci_high"] * scale,
                        scale, var, source, float(pair["image_var"]), available or int(pair["n_images"]))
    if name not in INTERVAL_METRICS:
        return None
    col = metric.column
    low, high, value = row.get(f"{col}_ci_low"), row.get(f"{col}_ci_high"), row.get(col)
    if any(_nan(x) for x in (low, high, value)):
        return None
    std, n_seeds = row.get(f"{col}_std"), _int(row.get("n_seeds"), 1)
    if n_seeds > 1 and not _nan(std):
        var, source = float(std) ** 2, f"measured over {n_seeds} seeds"
    else:
        var, source = seed_var_of([], _frame(rows), str(claim["study"]), k=1)
    p = float(value)
    return Measured(p * scale, float(low) * scale, float(high) * scale, scale, var, source, p * (1 - p), available)


def judge_interval(claim: Mapping[str, Any], m: Measured) -> tuple[str, str, str]:
    """(verdict, reason, needed) of a claim measured with an interval."""
    from scipy.stats import norm

    from cifarlab.analysis.stats import LEVEL
    from cifarlab.analysis.stats.power import design

    claimed, tol = float(claim["claimed"]), float(claim.get("tolerance") or 0.0)
    decided = interval_verdict(claimed, m.low, m.high, tol)
    width = m.high - m.low
    reason = (f"claim {claimed:g} {'outside' if decided == 'not reproduced' else 'inside'} our 95% interval "
              f"[{m.low:.3g}, {m.high:.3g}] widened by the tolerance {tol:g}; interval width {width:.3g} "
              f"{'>' if width > 2 * tol + _EPS else '<='} 2 x tolerance")
    needed = ""
    if decided == "inconclusive":
        se = tol / m.scale / float(norm.ppf(1.0 - (1.0 - LEVEL) / 2.0))  # half-width <= tolerance
        plan = design(se, m.seed_var, m.image_var, m.test_images)
        needed = (f"{plan[0]} seed{'s' if plan[0] > 1 else ''} x {plan[1]:,} test images" if plan else
                  f"out of reach with {m.test_images:,} test images and up to 100 seeds")
        needed += f" (seed spread: {m.seed_var_source})"
    return decided, reason, needed


def _nan(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _int(x: Any, default: int) -> int:
    return default if _nan(x) else int(x)


def _frame(rows: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(list(rows.values())) if rows else pd.DataFrame(columns=["study", "n_seeds", "top1_std"])
