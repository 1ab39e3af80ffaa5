"""cifarlab.analysis.stats: intervals, paired tests, power and the verdict rule against
published values, hand-computed tables, closed forms and a coverage simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import chi2, norm, t

from cifarlab.analysis.stats.intervals import error_bars, seed_interval, wilson, wilson_fraction
from cifarlab.analysis.stats.paired import align, bootstrap_deltas, combined_p, compare, mcnemar_exact
from cifarlab.analysis.stats.power import design, power, se_to_detect, standard_error
from cifarlab.analysis.stats.verdicts import interval_verdict

Z = norm.ppf(0.975)


def _wilson_closed_form(k: int, n: int) -> tuple[float, float]:
    """Wilson (1927): (p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n), in float64."""
    p = k / n
    centre, denom = p + Z**2 / (2 * n), 1 + Z**2 / n
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2))
    return (centre - half) / denom, (centre + half) / denom


@pytest.mark.parametrize("k, n, published", [
    (81, 263, (0.2553, 0.3662)),  # Newcombe (1998), Stat Med 17:857, Table II
    (15, 148, (0.0624, 0.1605)),  # ibid.
    (0, 10, (0.0, 0.2775)),       # ibid.: no successes, the lower bound is 0
])
def test_wilson_matches_published_values_and_the_closed_form(k, n, published):
    low, high = wilson(k, n)
    assert (low, high) == pytest.approx(published, abs=5e-5)  # published to 4 decimals
    # scipy against the float64 closed form: a few ulps of the square root and division
    assert (low, high) == pytest.approx(_wilson_closed_form(k, n), abs=1e-12)
    assert wilson_fraction(k / n, n) == pytest.approx((low, high))
    assert all(math.isnan(x) for x in wilson_fraction(float("nan"), n) + wilson(0, 0))


def test_seed_interval_is_wilson_for_one_seed_and_a_variance_sum_for_several():
    assert seed_interval([0.8], 500) == pytest.approx(wilson(400, 500))
    values, n = [0.80, 0.83, 0.86], 1000
    m, p = len(values), np.mean(values)
    a, b = np.var(values, ddof=1) / m, p * (1 - p) / n
    df = (a + b) ** 2 * (m - 1) / a**2  # Welch-Satterthwaite, the binomial term without penalty
    half = t.ppf(0.975, df) * math.sqrt(a + b)
    assert seed_interval(values, n) == pytest.approx((p - half, p + half), abs=1e-12)
    # more images narrow it only down to the seed term; the seed term is never dropped
    wide, narrow = seed_interval(values, 100), seed_interval(values, 10**9)
    assert wide[1] - wide[0] > narrow[1] - narrow[0] > 2 * t.ppf(0.975, m - 1) * math.sqrt(a) * 0.999
    assert seed_interval([0.5, 0.5], 100) == pytest.approx(wilson_fraction(0.5, 100), abs=0.01)  # no spread
    assert all(math.isnan(x) for x in seed_interval([], 100))


def test_error_bars_for_matplotlib():
    bars = error_bars([0.5, 0.8, 0.7], [0.4, 0.75, float("nan")], [0.65, 0.9, 0.72], scale=100)
    np.testing.assert_allclose(bars, [[10, 5, 0], [15, 10, 2]], atol=1e-9)


@pytest.mark.parametrize("n10, n01, expected", [
    (1, 6, 2 * (1 + 7) / 2**7),  # 2 P(X <= 1), X ~ Bin(7, 1/2)
    (0, 5, 2 / 2**5),            # 2 P(X = 0), X ~ Bin(5, 1/2)
    (3, 3, 1.0),                 # balanced: no evidence
    (0, 0, 1.0),                 # no discordant pair
    (2, 10, 2 * (1 + 12 + 66) / 2**12),
])
def test_mcnemar_exact_against_hand_computed_tables(n10, n01, expected):
    assert mcnemar_exact(n10, n01) == pytest.approx(expected, rel=1e-12)
    assert combined_p(np.array([n10]), np.array([n01])) == pytest.approx(expected, rel=1e-12)  # one seed


def test_mcnemar_from_correctness_and_seeds_combined_by_fisher():
    # a 2x2 table per seed: both right 10, only a right 0, only b right 5, both wrong 5
    a = np.array([1] * 10 + [0] * 5 + [0] * 5, bool)
    b = np.array([1] * 10 + [1] * 5 + [0] * 5, bool)
    r = compare(np.vstack([a, a]), np.vstack([b, b]))
    assert (r.n10, r.n01, r.n_seeds, r.n_images) == (0, 10, 2, 20)
    assert r.delta == pytest.approx(-0.25)
    # Fisher: x = -2 (2 ln(1/32)); chi2 with 4 df: sf(x) = e^(-x/2) (1 + x/2); two-sided: twice
    x = 4 * math.log(32)
    assert r.p_value == pytest.approx(2 * math.exp(-x / 2) * (1 + x / 2), rel=1e-9)
    assert r.p_value == pytest.approx(2 * chi2.sf(x, 4), rel=1e-9)
    assert not r.tied and r.ci_high < 0


def test_align_pairs_common_seeds_and_images():
    a = {0: (np.array([3, 1, 2]), np.array([True, False, True])), 1: (np.array([1, 2, 3]), np.ones(3, bool))}
    b = {0: (np.array([2, 3, 9]), np.array([False, False, True]))}
    seeds, x, y = align(a, b)
    assert seeds == [0]
    np.testing.assert_array_equal(x, [[True, True]])  # images 2, 3 of seed 0
    np.testing.assert_array_equal(y, [[False, False]])
    assert align(a, {5: b[0]})[0] == []


def test_bootstrap_is_exact_in_the_pattern_counts_and_reproducible():
    rng = np.random.default_rng(1)
    a, b = rng.random((3, 400)) < 0.7, rng.random((3, 400)) < 0.6
    first, again = bootstrap_deltas(a, b), bootstrap_deltas(a, b)
    np.testing.assert_array_equal(first, again)  # a fixed generator seed
    # the resamples centre on the observed difference; their sd on the closed-form se
    observed = a.mean() - b.mean()
    assert abs(first.mean() - observed) < 4 * first.std() / math.sqrt(len(first))
    assert np.isin(np.round(bootstrap_deltas(a[:1], b[:1]) * 400), np.arange(-400, 401)).all()


def test_paired_bootstrap_covers_a_known_delta():
    """200 simulated test sets of 300 images with a true paired difference of 0.05: the 95%
    interval must cover it in 90-99% of them (binomial spread of 200 draws around 95%)."""
    cells = np.array([0.60, 0.15, 0.10, 0.15])  # P(both right), P(only a), P(only b), P(both wrong)
    truth = cells[1] - cells[2]
    rng = np.random.default_rng(7)
    covered = 0
    for _ in range(200):
        kind = rng.choice(4, size=300, p=cells)
        a, b = np.isin(kind, (0, 1)), np.isin(kind, (0, 2))
        r = compare(a[None], b[None], n_boot=1000, seed=int(rng.integers(2**31)))
        covered += r.ci_low <= truth <= r.ci_high
    assert 0.90 <= covered / 200 <= 0.99


def test_power_against_the_closed_form():
    delta, v = 0.02, 0.1  # a paired difference of 2 points, per-image variance 0.1, no seed spread
    n = math.ceil(v * (Z + norm.ppf(0.8)) ** 2 / delta**2)  # the textbook sample size
    assert design(se_to_detect(delta), 0.0, v, 10**6) == (1, n)
    assert power(delta, standard_error(0.0, v, 1, n)) >= 0.8 > power(delta, standard_error(0.0, v, 1, n - 1))
    # at se = delta / (z_a + z_b) the power is 0.8 plus the far tail Phi(-2 z_a - z_b)
    se = delta / (Z + norm.ppf(0.8))
    assert power(delta, se) == pytest.approx(0.8 + norm.cdf(-2 * Z - norm.ppf(0.8)), rel=1e-12)
    assert power(0.0, 0.01) == pytest.approx(0.05)
    # a seed spread: m seeds are needed before any number of images suffices
    seed_var = 2.5 * se_to_detect(delta) ** 2  # needs m >= 3 for seed_var / m < se^2
    m, n_m = design(se_to_detect(delta), seed_var, v, 10**7)
    assert m == 3 and n_m == math.ceil(v / (se_to_detect(delta) ** 2 - seed_var / 3))
    assert design(se_to_detect(delta), seed_var, v, 10) is None  # out of reach with 10 images


@pytest.mark.parametrize("claimed, low, high, tolerance, verdict", [
    (82.7, 82.0, 83.0, 1.0, "reproduced"),       # inside, width 1.0 <= 2
    (84.5, 82.0, 83.0, 1.0, "not reproduced"),   # above the widened interval (84.0)
    (81.1, 82.0, 83.0, 1.0, "reproduced"),       # inside by the tolerance
    (81.1, 82.0, 83.0, 0.5, "not reproduced"),   # outside with a smaller tolerance
    (82.7, 75.0, 85.0, 1.0, "inconclusive"),     # inside, width 10 > 2
    (60.0, 75.0, 85.0, 1.0, "not reproduced"),   # a wide interval still refutes a far claim
    (82.7, 81.7, 83.7, 1.0, "reproduced"),       # width exactly 2 x tolerance
])
def test_interval_verdict_rule(claimed, low, high, tolerance, verdict):
    assert interval_verdict(claimed, low, high, tolerance) == verdict
