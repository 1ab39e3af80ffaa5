"""Power of a paired accuracy comparison, and the seeds and test images a difference needs.

A closed form (normal approximation, two-sided test at alpha): the seed-mean difference of
m seeds on n shared test images has variance ``seed_var / m + image_var / n``, where
``seed_var`` is the variance of one seed's difference over training seeds and
``image_var`` the variance over test images of one image's paired difference (the
binomial variance of a paired design: discordant share minus the squared difference). A
true difference delta is detected with power ``Phi(|delta|/se - z) + Phi(-|delta|/se - z)``,
z the two-sided normal quantile. A design detects it at power 1 - beta when
``se <= |delta| / (z_{1-alpha/2} + z_{1-beta})``.
"""

from __future__ import annotations

import math

from cifarlab.analysis.stats import ALPHA

TARGET_POWER = 0.80
MAX_SEEDS = 100  # a design needing more seeds than this is reported as out of reach


def standard_error(seed_var: float, image_var: float, seeds: int, images: int) -> float:
    """Standard error of a seed-mean difference (see the module docstring)."""
    return math.sqrt(max(seed_var, 0.0) / seeds + max(image_var, 0.0) / images)


def power(delta: float, se: float, alpha: float = ALPHA) -> float:
    """Probability that a two-sided z-test at ``alpha`` rejects 0 when the difference is ``delta``."""
    from scipy.stats import norm

    if se <= 0.0:
        return 1.0 if delta != 0.0 else alpha
    z = norm.ppf(1.0 - alpha / 2.0)
    shift = abs(delta) / se
    return float(norm.cdf(shift - z) + norm.cdf(-shift - z))


def se_to_detect(delta: float, target: float = TARGET_POWER, alpha: float = ALPHA) -> float:
    """The largest standard error at which ``delta`` is detected with power ``target``."""
    from scipy.stats import norm

    return abs(delta) / float(norm.ppf(1.0 - alpha / 2.0) + norm.ppf(target))


def design(se_target: float, seed_var: float, image_var: float, max_images: int,
           max_seeds: int = MAX_SEEDS) -> tuple[int, int] | None:
    """The fewest seeds, then the fewest test images (at most ``max_images``), whose
    standard error is at most ``se_target``; None when no design within the limits does."""
    if not se_target > 0.0 or max_images < 1:
        return None
    target = se_target**2
    for m in range(1, max_seeds + 1):
        left = target - max(seed_var, 0.0) / m
        if left <= 0.0:
            continue
        n = max(1, math.ceil(max(image_var, 0.0) / left)) if image_var > 0 else 1
        if n <= max_images:
            return m, n
    return None
