"""Longest-processing-time-first scheduling of jobs onto N identical devices (torch-free).

LPT (Graham 1969) sorts the jobs longest first and gives each to the device that frees up
first. Its makespan is at most (4/3 - 1/(3N)) times the optimum, and no schedule can
finish before ``max(longest job, total / N)``; Graham's list-scheduling bound
``total / N + (1 - 1/N) * longest`` caps it from above. Those two bounds bracket the
prediction even where the optimum is unknown (it is NP-hard to compute).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Mapping

from cifarlab.plan.workload import PlanError


@dataclass(frozen=True)
class Schedule:
    """Which device runs which jobs (in start order), and the resulting times in seconds."""

    n_devices: int
    devices: tuple[tuple[str, ...], ...]
    loads: tuple[float, ...]  # busy seconds per device

    @property
    def makespan(self) -> float:
        """Wall seconds until the last device finishes."""
        return max(self.loads, default=0.0)

    @property
    def total(self) -> float:
        """Device-seconds of all jobs together."""
        return float(sum(self.loads))

    def bounds(self, jobs: Mapping[str, float]) -> tuple[float, float]:
        """(lower, upper): no schedule beats ``lower``; LPT never exceeds ``upper``."""
        longest = max(jobs.values(), default=0.0)
        n = self.n_devices
        total = float(sum(jobs.values()))
        return max(longest, total / n), total / n + (1.0 - 1.0 / n) * longest


def lpt_schedule(jobs: Mapping[str, float], n_devices: int) -> Schedule:
    """Schedule ``jobs`` (name -> seconds) longest first onto ``n_devices`` devices.

    Ties are broken by job name and device index, so the schedule is deterministic.
    Raises PlanError for fewer than one device or a negative duration.
    """
    if n_devices < 1:
        raise PlanError(f"--gpus: need at least 1 device, got {n_devices}")
    bad = sorted(name for name, s in jobs.items() if not s >= 0)
    if bad:
        raise PlanError(f"job {bad[0]}: duration must be >= 0 seconds, got {jobs[bad[0]]}")
    heap = [(0.0, d) for d in range(n_devices)]  # (busy seconds, device index)
    placed: list[list[str]] = [[] for _ in range(n_devices)]
    loads = [0.0] * n_devices
    for name, seconds in sorted(jobs.items(), key=lambda kv: (-kv[1], kv[0])):
        load, d = heapq.heappop(heap)
        placed[d].append(name)
        loads[d] = load + seconds
        heapq.heappush(heap, (loads[d], d))
    return Schedule(n_devices, tuple(tuple(p) for p in placed), tuple(loads))
