"""How many compute threads a step may use, and holding torch, OpenMP and MKL to it.

Snakemake runs several jobs side by side and gives each its rule's ``threads``; it exports
them to the job as ``OMP_NUM_THREADS`` (and MKL's, OpenBLAS's, ...). The Snakefile
(``rule_threads`` in workflow/rules/common.smk) gives every rule one thread on one machine,
so ``--cores N`` runs at most N jobs of one compute thread each: never more threads than
cores. On a SLURM cluster a job owns the CPUs its
sbatch asked for (``params.yaml: slurm.<rule>.cpus``), and the Snakefile declares those as
the rule's threads. DVC runs one stage at a time and exports nothing: a step run that way
(or by hand) takes every core this process may use.

``pin()`` runs first in every step process (``cifarlab.cli``), before anything imports
torch or numpy, so the OpenMP and BLAS runtimes start with that many threads, and
``pin_torch()`` sets torch's intra-op and inter-op pools explicitly where a step computes.
"""

from __future__ import annotations

import os
import sys

ENV = "OMP_NUM_THREADS"
# The runtimes that read a thread count at start-up (the same list Snakemake exports).
RUNTIME_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def step_threads() -> int:
    """The job's threads: Snakemake's (``OMP_NUM_THREADS``) when it set them, else every
    core this process may use."""
    value = os.environ.get(ENV, "").strip()
    if value:
        try:
            n = int(value)
        except ValueError:
            raise ValueError(f"{ENV}={value!r} is not a whole number of threads") from None
        if n >= 1:
            return n
        raise ValueError(f"{ENV}={value!r}: need at least 1 thread")
    return available_cores()


def pin(n: int) -> None:
    """Hold the OpenMP/BLAS runtimes (and torch, if already loaded) to ``n`` threads."""
    for var in RUNTIME_VARS:
        os.environ[var] = str(n)
    if "torch" in sys.modules:
        pin_torch(n)


def pin_torch(n: int | None = None) -> int:
    """torch's intra-op threads to ``n`` (default: ``step_threads()``); returns it.
    Inter-op threads too, where torch still allows it (only before its first parallel op)."""
    import torch

    n = n or step_threads()
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    try:
        if torch.get_num_interop_threads() != n:
            torch.set_num_interop_threads(n)
    except RuntimeError:  # already used: torch allows setting it only once, before any use
        pass
    return n
