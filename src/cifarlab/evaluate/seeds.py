"""One experiment's seeds -> the summary metrics.json DVC tracks (torch-free).

Every numeric key of the per-seed metrics becomes the mean over seeds; the accuracy-like
keys also get ``<key>_std`` (sample standard deviation, null for a single seed), top1 and
top5 their 95% interval over seeds and test images (``<key>_ci_low`` / ``<key>_ci_high``,
:func:`cifarlab.analysis.stats.intervals.seed_interval`; one seed: its Wilson interval),
and ``per_seed`` keeps each seed's values, so `dvc metrics diff` shows them all.
"""

from __future__ import annotations

import math
import statistics
from typing import Any, Mapping

SPREAD_KEYS = ("top1", "top5", "loss", "macro_f1", "weighted_f1")
INTERVAL_KEYS = ("top1", "top5")  # get an interval over seeds and test images
_CI = ("_ci_low", "_ci_high")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)


def seed_summary(per_seed: Mapping[int, Mapping[str, Any]]) -> dict[str, Any]:
    """``{seed: metrics}`` -> ``{"n_seeds", "seeds", <key>: mean, <key>_std, "per_seed"}``."""
    if not per_seed:
        raise ValueError("seed_summary: no seeds")
    seeds = sorted(per_seed)
    out: dict[str, Any] = {"n_seeds": len(seeds), "seeds": ",".join(map(str, seeds))}
    keys = list(dict.fromkeys(k for s in seeds for k in per_seed[s]))
    for key in keys:
        if key.endswith(_CI):  # a seed's own interval: the summary's is computed below
            continue
        values = [per_seed[s].get(key) for s in seeds]
        if all(_number(v) for v in values):
            mean = statistics.fmean(values)
            integral = all(isinstance(v, int) for v in values) and mean.is_integer()
            out[key] = int(mean) if integral else round(mean, 6)
            if key in SPREAD_KEYS:
                out[f"{key}_std"] = round(statistics.stdev(values), 6) if len(values) > 1 else None
        elif len({str(v) for v in values}) == 1:
            out[key] = values[0]  # the same fact for every seed (device, source names)
    n_test = out.get("n_test")
    for key in INTERVAL_KEYS:
        values = [per_seed[s].get(key) for s in seeds]
        if all(_number(v) for v in values):
            from cifarlab.analysis.stats.intervals import seed_interval

            low, high = seed_interval(values, n_test if _number(n_test) else math.nan)
            out[f"{key}_ci_low"], out[f"{key}_ci_high"] = (None if math.isnan(x) else round(x, 6)
                                                           for x in (low, high))
    per_seed_keys = SPREAD_KEYS + tuple(k + c for k in INTERVAL_KEYS for c in _CI)
    out["per_seed"] = {str(s): {k: per_seed[s].get(k) for k in per_seed_keys} for s in seeds}
    return out
