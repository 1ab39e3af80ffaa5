"""One experiment's seeds -> the summary metrics.json DVC tracks (torch-free).

Every numeric key of the per-seed metrics becomes the mean over seeds; the accuracy-like
keys also get ``<key>_std`` (sample standard deviation, null for a single seed), and
``per_seed`` keeps each seed's values, so `dvc metrics diff` shows both.
"""

from __future__ import annotations

import math
import statistics
from typing import Any, Mapping

SPREAD_KEYS = ("top1", "top5", "loss", "macro_f1", "weighted_f1")


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
        values = [per_seed[s].get(key) for s in seeds]
        if all(_number(v) for v in values):
            mean = statistics.fmean(values)
            integral = all(isinstance(v, int) for v in values) and mean.is_integer()
            out[key] = int(mean) if integral else round(mean, 6)
            if key in SPREAD_KEYS:
                out[f"{key}_std"] = round(statistics.stdev(values), 6) if len(values) > 1 else None
        elif len({str(v) for v in values}) == 1:
            out[key] = values[0]  # the same fact for every seed (device, source names)
    out["per_seed"] = {str(s): {k: per_seed[s].get(k) for k in SPREAD_KEYS} for s in seeds}
    return out
