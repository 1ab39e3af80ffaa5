"""``python -m cifarlab.rehearsal [--only TERMS] [--ci] [--cores N] [--memory-gb G] [--out DIR]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cifarlab.config import REPO_ROOT
from cifarlab.errors import CifarlabError
from cifarlab.rehearsal.run import Request, machine_memory_mb, rehearse


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cifarlab.rehearsal", description=__doc__)
    p.add_argument("--only", default=None, help="study ids, experiment names or patterns, comma-separated")
    p.add_argument("--cores", type=int, default=1, help="Snakemake's --cores (default 1: one job at a time)")
    p.add_argument("--memory-gb", type=float, default=None,
                   help="an experiment predicted above this does not start (default: half this machine's memory)")
    p.add_argument("--ci", action="store_true",
                   help="only CI's part: the cheapest experiment of each model family and of each recipe kind")
    p.add_argument("--ci-cost", type=float, default=None,
                   help="with --ci: add families only while the part costs at most this many "
                        "cost-table seconds (models/cpu_cost.json; default: every family)")
    p.add_argument("--out", type=Path, default=REPO_ROOT / "results" / "rehearsal")
    args = p.parse_args(argv)
    if args.cores < 1:
        print("rehearsal: error: --cores: need at least 1", file=sys.stderr)
        return 2
    if args.memory_gb is not None and args.memory_gb <= 0:
        print("rehearsal: error: --memory-gb: must be positive", file=sys.stderr)
        return 2
    limit = args.memory_gb * 1024 if args.memory_gb else machine_memory_mb() / 2
    try:
        return rehearse(Request(args.only, args.cores, limit, args.out, ci=args.ci, ci_cost=args.ci_cost))
    except (CifarlabError, OSError, ValueError) as exc:
        print(f"rehearsal: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
