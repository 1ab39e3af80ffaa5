"""95% intervals of an accuracy (fractions in, fractions out).

Per (experiment, seed): the Wilson score interval over the test images (scipy's
``binomtest(...).proportion_ci(method="wilson")``).

Per experiment over m seeds evaluated on the same n test images: the seed mean p with
``var = s^2 / m + p (1 - p) / n``: the spread of the seeds (s, sample std, its variance
shrinking with more seeds) plus the binomial variance of the test set (shared by all
seeds, so it does not shrink with m). The quantile is Student's t with the
Welch-Satterthwaite degrees of freedom ``(a + b)^2 (m - 1) / a^2`` (a = s^2 / m, b the
binomial term, which has no degrees-of-freedom penalty): few seeds with a large spread
widen it, a spread small beside the binomial term leaves it near the normal quantile. One
seed: the Wilson interval, since there is no spread to measure.
"""

from __future__ import annotations

import math
from typing import Sequence

from cifarlab.analysis.stats import LEVEL

NAN2 = (math.nan, math.nan)


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def wilson(successes: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval of ``successes`` out of ``n`` (NaN, NaN for n = 0)."""
    from scipy.stats import binomtest

    if n <= 0:
        return NAN2
    ci = binomtest(int(successes), int(n)).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


def wilson_fraction(fraction: float, n: float, level: float = LEVEL) -> tuple[float, float]:
    """Wilson interval of an accuracy ``fraction`` measured on ``n`` images (the count is
    ``round(fraction * n)``); NaN where either is missing."""
    if _missing(fraction) or _missing(n) or n <= 0:
        return NAN2
    return wilson(int(round(fraction * n)), int(n), level)


def seed_interval(values: Sequence[float], n_test: float, level: float = LEVEL) -> tuple[float, float]:
    """The interval of the seed mean of ``values`` (one accuracy per seed, all measured on
    the same ``n_test`` images): see the module docstring. NaN when nothing is measured."""
    vals = [float(v) for v in values if not _missing(v)]
    if not vals:
        return NAN2
    m, p = len(vals), sum(vals) / len(vals)
    if m == 1:
        return wilson_fraction(p, n_test, level)
    from scipy.stats import norm, t

    a = sum((v - p) ** 2 for v in vals) / (m - 1) / m  # seed variance of the mean
    b = 0.0 if _missing(n_test) or n_test <= 0 else p * (1.0 - p) / float(n_test)
    if a + b == 0.0:
        return p, p
    q = 1.0 - (1.0 - level) / 2.0
    quantile = norm.ppf(q) if a == 0.0 else t.ppf(q, (a + b) ** 2 * (m - 1) / a**2)
    half = float(quantile) * math.sqrt(a + b)
    return max(0.0, p - half), min(1.0, p + half)


def error_bars(mean: Sequence[float], low: Sequence[float], high: Sequence[float], scale: float = 1.0):
    """matplotlib's asymmetric ``yerr`` / ``xerr`` (2, N) from a mean and its interval,
    times ``scale`` (100 for percent); 0 where a bound is missing, never negative."""
    import numpy as np

    m, lo, hi = (np.asarray(x, dtype=float) * scale for x in (mean, low, high))
    return np.clip(np.nan_to_num(np.vstack([m - lo, hi - m]), nan=0.0), 0.0, None)
