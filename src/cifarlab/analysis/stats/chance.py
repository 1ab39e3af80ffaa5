"""Is a run's test accuracy above chance? A one-sided binomial test (scipy.stats).

A miniature run is judged on a few hundred test images, where 14% against a chance level
of 10% can be luck: ``chance_p`` is the probability that a classifier guessing uniformly
among the classes gets at least as many test images right. The run summary and the
experiments table report it; ``ABOVE_CHANCE_P`` is the level called "above chance".
"""

from __future__ import annotations

import math

ABOVE_CHANCE_P = 0.01


def chance_p(top1: float, n_test: float, num_classes: float, n_seeds: int = 1) -> float:
    """P(at least round(top1 * n) right | n guesses at 1/num_classes), n = n_test x n_seeds
    (seeds pooled: each seed is evaluated on the same number of test images). NaN when a
    value is missing."""
    from scipy.stats import binomtest

    values = (top1, n_test, num_classes)
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in values) or num_classes < 2:
        return math.nan
    n = int(round(n_test * max(1, n_seeds)))
    if n <= 0:
        return math.nan
    k = int(round(top1 * n))
    return float(binomtest(k, n, 1.0 / num_classes, alternative="greater").pvalue)
