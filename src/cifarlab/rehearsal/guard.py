"""A memory guard around a Snakemake run: stop it before it takes the machine.

The planner's prediction keeps an experiment that cannot fit from starting; this guard
catches a prediction that was wrong. A thread reads the resident size of the Snakemake
process and all its descendants every ``interval`` seconds; above ``limit_mb`` it kills
the whole process group and records which experiments' jobs were running (the
``--experiment`` of their command lines) and how much they held. psutil comes with
Snakemake.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from dataclasses import dataclass, field

import psutil


@dataclass
class GuardReport:
    limit_mb: float
    peak_mb: float = 0.0  # the largest total seen
    killed: bool = False
    running_at_kill: dict[str, float] = field(default_factory=dict)  # experiment -> MiB


def _experiment_of(proc: psutil.Process) -> str | None:
    try:
        cmd = proc.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    return cmd[cmd.index("--experiment") + 1] if "--experiment" in cmd[:-1] else None


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _rss_mb(proc: psutil.Process) -> float:
    try:
        return proc.memory_info().rss / 2**20
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0.0


def run_guarded(args: list[str], *, cwd, env, limit_mb: float, interval: float = 0.5) -> tuple[int, GuardReport]:
    """Run ``args`` in its own process group under the guard; (exit status, report)."""
    report = GuardReport(limit_mb)
    proc = subprocess.Popen(args, cwd=cwd, env=env, start_new_session=True)
    root, done = psutil.Process(proc.pid), threading.Event()

    def watch() -> None:
        while not done.wait(interval):
            procs = _tree(root)
            sizes = [(p, _rss_mb(p)) for p in procs]
            total = sum(s for _, s in sizes)
            report.peak_mb = max(report.peak_mb, total)
            if total > limit_mb:
                for p, s in sizes:
                    name = _experiment_of(p)
                    if name:
                        report.running_at_kill[name] = max(report.running_at_kill.get(name, 0.0), s)
                report.killed = True
                os.killpg(proc.pid, signal.SIGKILL)
                return

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        status = proc.wait()
    finally:
        done.set()
        thread.join(timeout=5)
    return status, report
