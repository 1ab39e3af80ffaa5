"""Where a job's seconds go: named phases of one step process, for bench/job_overhead.py.

``mark(name)`` closes the phase that ran since the previous mark (or since the interpreter
started, for the first one: Python's own start-up and the imports before it). Nothing is
recorded unless ``CIFARLAB_PHASE_LOG`` names a file; then, at exit, one JSON line per
process is appended to it: the step, the experiment, and each phase's wall and CPU seconds.
Marks cost a clock read, so the steps keep them in production.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import time

_LOG = os.environ.get("CIFARLAB_PHASE_LOG")
_phases: list[tuple[str, float, float]] = []
_context: dict[str, str | None] = {}


def _process_start() -> float:
    """perf_counter() at this process's start, from /proc (Linux); else now."""
    try:
        ticks = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])
        uptime = float(open("/proc/uptime").read().split()[0])
        return time.perf_counter() - (uptime - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return time.perf_counter()


_last_wall = _process_start() if _LOG else 0.0
_last_cpu = 0.0  # process CPU time counts from the process start


def set_context(step: str, experiment: str | None) -> None:
    _context.update(step=step, experiment=experiment)


def mark(name: str) -> None:
    """End the phase ``name`` now."""
    global _last_wall, _last_cpu
    if not _LOG:
        return
    wall, cpu = time.perf_counter(), time.process_time()
    _phases.append((name, wall - _last_wall, cpu - _last_cpu))
    _last_wall, _last_cpu = wall, cpu


def _write() -> None:
    if not _LOG or not _phases:
        return
    mark("exit")
    row = {**_context, "argv": sys.argv[1:], "phases": [
        {"phase": n, "wall_s": round(w, 4), "cpu_s": round(c, 4)} for n, w, c in _phases]}
    with open(_LOG, "a") as fh:  # one short line per process: appends do not interleave
        fh.write(json.dumps(row) + "\n")


atexit.register(_write)
