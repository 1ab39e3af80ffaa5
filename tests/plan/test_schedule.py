"""Longest-first scheduling: against the brute-force optimum and the two bounds."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from cifarlab.plan.schedule import lpt_schedule
from cifarlab.plan.workload import PlanError


def optimum(durations: list[float], n: int) -> float:
    """The best makespan over every assignment of jobs to devices (small cases only)."""
    best = float("inf")
    for assign in itertools.product(range(n), repeat=len(durations)):
        loads = [0.0] * n
        for d, s in zip(assign, durations):
            loads[d] += s
        best = min(best, max(loads))
    return best


@pytest.mark.parametrize("case", range(60))
def test_lpt_within_four_thirds_of_the_optimum_and_inside_its_bounds(case):
    rng = np.random.default_rng(case)
    n = int(rng.integers(1, 4))
    durations = [float(x) for x in rng.integers(1, 50, size=int(rng.integers(1, 8)))]
    jobs = {f"job{i}": s for i, s in enumerate(durations)}
    schedule = lpt_schedule(jobs, n)
    opt = optimum(durations, n)
    lower, upper = schedule.bounds(jobs)
    assert lower - 1e-9 <= opt <= schedule.makespan <= (4 / 3 - 1 / (3 * n)) * opt + 1e-9
    assert schedule.makespan <= upper + 1e-9
    assert sorted(j for d in schedule.devices for j in d) == sorted(jobs)  # each job once
    assert schedule.total == pytest.approx(sum(durations))


def test_lpt_is_longest_first_not_optimal_on_grahams_tight_case():
    # Two devices, jobs 3,3,2,2,2: the optimum is 6 (3+3 | 2+2+2); longest-first gives 7.
    jobs = {"a": 3.0, "b": 3.0, "c": 2.0, "d": 2.0, "e": 2.0}
    schedule = lpt_schedule(jobs, 2)
    assert optimum(list(jobs.values()), 2) == 6.0
    assert schedule.makespan == 7.0
    assert schedule.devices == (("a", "c", "e"), ("b", "d"))
    assert schedule.bounds(jobs) == (6.0, 6.0 + 0.5 * 3.0)


def test_more_devices_than_jobs_and_a_long_job_dominate_the_wall_time():
    jobs = {"long": 100.0, "s1": 1.0, "s2": 1.0}
    assert lpt_schedule(jobs, 8).makespan == 100.0
    assert lpt_schedule(jobs, 1).makespan == 102.0
    assert lpt_schedule({}, 3).makespan == 0.0


@pytest.mark.parametrize("n, jobs, key", [(0, {"a": 1.0}, "--gpus"), (1, {"a": -1.0}, "job a")])
def test_bad_input_names_the_option_or_job(n, jobs, key):
    with pytest.raises(PlanError, match=key):
        lpt_schedule(jobs, n)
