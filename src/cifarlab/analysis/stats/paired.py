"""Two experiments compared on the same test images, seed by seed (numpy + scipy.stats).

Input: boolean correctness matrices ``a`` and ``b`` of shape (m seeds, n images), row k of
both from the same seed, column i of both the same test image (see :func:`align`).

- p-value: McNemar's exact test per seed, i.e. a binomial test of the discordant pairs
  (a right and b wrong: ``n10``; the reverse: ``n01``) against 1/2 (scipy's ``binomtest``).
  Seeds are combined with Fisher's method (scipy's ``combine_pvalues``) on the one-sided
  p-values of each direction; the two-sided p is twice the smaller combined one (capped at
  1). With one seed this is exactly McNemar's exact two-sided p.
- interval: a paired percentile bootstrap. Each resample draws the n test images with
  replacement (the same images for every seed, and for a and b: the pairing) and, with
  several seeds, the m seed pairs with replacement too; the statistic is the mean over seeds
  of ``acc(a) - acc(b)``. Resampling images only needs the count of each column pattern of
  ``a - b`` (at most 3^m patterns), so a resample is one multinomial draw over patterns:
  exact, and as fast at 10,000 images as at 300. With few seeds the seed level of the
  bootstrap is narrow by about sqrt((m - 1) / m); the report states the seed count.
- tied: the interval covers 0 or p >= alpha (either test fails to tell the two apart).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from cifarlab.analysis.stats import ALPHA, LEVEL

N_BOOT = 2000  # bootstrap resamples
BOOT_SEED = 20240611  # a fixed generator seed: the same inputs give the same interval


@dataclass(frozen=True)
class Paired:
    """One comparison; every difference is a fraction (a minus b)."""

    delta: float
    ci_low: float
    ci_high: float
    p_value: float
    n_images: int
    n_seeds: int
    tied: bool
    n10: int  # discordant pairs over all seeds: a right, b wrong
    n01: int  # b right, a wrong
    seed_deltas: tuple[float, ...]
    image_var: float  # variance over images of the per-image difference, mean over seeds


def align(a: Mapping[int, tuple[np.ndarray, np.ndarray]], b: Mapping[int, tuple[np.ndarray, np.ndarray]]
          ) -> tuple[list[int], np.ndarray, np.ndarray]:
    """``{seed: (test-image indices, correct)}`` of two experiments -> (common seeds,
    a (m, n), b (m, n)) over the seeds both have and the images every one of them saw."""
    seeds = sorted(set(a) & set(b))
    if not seeds:
        return [], np.zeros((0, 0), bool), np.zeros((0, 0), bool)
    common = None
    for s in seeds:
        for idx, _ in (a[s], b[s]):
            common = np.asarray(idx) if common is None else np.intersect1d(common, idx)

    def take(runs):
        rows = []
        for s in seeds:
            idx, ok = np.asarray(runs[s][0]), np.asarray(runs[s][1], bool)
            order = np.argsort(idx)
            rows.append(ok[order][np.searchsorted(idx[order], common)])
        return np.vstack(rows)

    return seeds, take(a), take(b)


def mcnemar_exact(n10: int, n01: int, alternative: str = "two-sided") -> float:
    """McNemar's exact p from the discordant counts (1.0 when there are none)."""
    from scipy.stats import binomtest

    if n10 + n01 == 0:
        return 1.0
    return float(binomtest(int(n10), int(n10 + n01), 0.5, alternative=alternative).pvalue)


def combined_p(n10: np.ndarray, n01: np.ndarray) -> float:
    """Two-sided p over seeds: Fisher's method on each direction's one-sided exact p."""
    from scipy.stats import combine_pvalues

    one_sided = []
    for alternative in ("greater", "less"):
        # an exact p below the smallest float (thousands of one-sided pairs) is floored there
        ps = [max(mcnemar_exact(x, y, alternative), np.finfo(float).tiny) for x, y in zip(n10, n01)]
        one_sided.append(float(combine_pvalues(ps, method="fisher").pvalue))
    return min(1.0, 2.0 * min(one_sided))


def bootstrap_deltas(a: np.ndarray, b: np.ndarray, n_boot: int = N_BOOT, seed: int = BOOT_SEED) -> np.ndarray:
    """``n_boot`` resampled seed-mean differences acc(a) - acc(b) (see the module docstring)."""
    d = a.astype(np.int64) - b.astype(np.int64)  # (m, n) in {-1, 0, 1}
    m, n = d.shape
    # each image's column of differences as one base-3 code: np.unique on integers is fast
    codes, counts = np.unique(((d + 1) * 3 ** np.arange(m)[:, None]).sum(axis=0), return_counts=True)
    patterns = (codes[:, None] // 3 ** np.arange(m)) % 3 - 1  # (P, m) back in {-1, 0, 1}
    rng = np.random.default_rng(seed)
    images = rng.multinomial(n, counts / n, size=n_boot)  # (B, P) images drawn per pattern
    seeds = rng.multinomial(m, np.full(m, 1.0 / m), size=n_boot) if m > 1 else np.ones((n_boot, 1))
    return np.einsum("bp,ps,bs->b", images, patterns.astype(float), seeds) / (n * m)


def compare(a: np.ndarray, b: np.ndarray, *, level: float = LEVEL, alpha: float = ALPHA,
            n_boot: int = N_BOOT, seed: int = BOOT_SEED) -> Paired:
    """The paired comparison of correctness matrices ``a`` and ``b`` (m seeds, n images)."""
    a, b = np.atleast_2d(np.asarray(a, bool)), np.atleast_2d(np.asarray(b, bool))
    if a.shape != b.shape or a.size == 0:
        raise ValueError(f"paired comparison needs equal, non-empty shapes; got {a.shape} and {b.shape}")
    m, n = a.shape
    seed_deltas = a.mean(axis=1) - b.mean(axis=1)
    n10, n01 = (a & ~b).sum(axis=1), (~a & b).sum(axis=1)
    boot = bootstrap_deltas(a, b, n_boot, seed)
    tail = (1.0 - level) / 2.0
    low, high = (float(x) for x in np.quantile(boot, [tail, 1.0 - tail]))
    p = combined_p(n10, n01)
    diff = a.astype(float) - b.astype(float)
    return Paired(
        delta=float(seed_deltas.mean()), ci_low=low, ci_high=high, p_value=p, n_images=n, n_seeds=m,
        tied=bool(low <= 0.0 <= high or p >= alpha), n10=int(n10.sum()), n01=int(n01.sum()),
        seed_deltas=tuple(float(x) for x in seed_deltas),
        image_var=float(diff.var(axis=1, ddof=1).mean()) if n > 1 else math.nan,
    )
