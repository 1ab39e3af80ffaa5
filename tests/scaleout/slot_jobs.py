"""Fake training jobs for the slot tests: each takes GPU slots, reports them, then holds
them until its stdin closes (so the test, not a clock, decides how long)."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time

HOLDER = (
    "import os, sys\n"
    "from cifarlab.device import acquire_gpus\n"
    "got = acquire_gpus({count}, wait_s={wait_s}, poll_s=0.02)\n"
    "print(os.environ.get('CUDA_VISIBLE_DEVICES', '') if got else 'none', flush=True)\n"
    "sys.stdin.read()\n"
)


class Job:
    """One process holding (or waiting for) ``count`` GPU slots."""

    def __init__(self, env: dict[str, str], count: int = 1, wait_s: float = 60.0,
                 user: int | None = None, python: str = sys.executable):
        code = HOLDER.format(count=count, wait_s=wait_s)
        self.proc = subprocess.Popen(
            [python, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=env, user=user)
        self.gpus: list[str] | None = None

    def poll_line(self, timeout: float) -> bool:
        """True once the job has printed what it holds (``self.gpus``)."""
        if self.gpus is None and select.select([self.proc.stdout], [], [], timeout)[0]:
            line = self.proc.stdout.readline().strip()
            if line:
                self.gpus = [] if line == "none" else line.split(",")
        return self.gpus is not None

    def release(self) -> int:
        self.proc.stdin.close()
        return self.proc.wait(30)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(30)


def job_env(lock_dir, **extra: str) -> dict[str, str]:
    """This interpreter's environment without GPU settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("CUDA_VISIBLE_DEVICES", "SLURM_JOB_ID") and not k.startswith("CIFARLAB_")}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    if lock_dir is not None:
        env["CIFARLAB_GPU_LOCK_DIR"] = str(lock_dir)
    env.update(extra)
    return env


def wait_for(jobs: list[Job], n: int, timeout: float = 60.0) -> list[Job]:
    """Wait until ``n`` of ``jobs`` report their slots; returns those that did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = [j for j in jobs if j.poll_line(0.02)]
        if len(ready) >= n:
            return ready
    raise AssertionError(f"only {len([j for j in jobs if j.gpus is not None])} of {n} jobs got slots")


def settle(jobs: list[Job], rounds: int = 25) -> list[Job]:
    """Give waiting jobs many poll cycles of theirs; return those that got slots anyway."""
    for _ in range(rounds):
        for j in jobs:
            j.poll_line(0.02)
    return [j for j in jobs if j.gpus is not None]
