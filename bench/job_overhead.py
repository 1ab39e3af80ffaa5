"""Per-job overhead of the train and evaluate steps: where a job's seconds go outside
fit (train) and outside inference (evaluate).

    python bench/job_overhead.py [--experiments resnet_20,simple_cnn,...] [--repeats 1]

Runs the real steps (``workflow/scripts/<step>.py``) as fresh one-thread processes, as a
Snakemake job runs them, in a scratch folder that links this checkout's ``data/split`` (run
``make run`` or ``snakemake data/split`` first) and writes its own ``results/`` there,
so the checkout's results stay as they are. Each step records its phases
(``cifarlab.phases``, ``CIFARLAB_PHASE_LOG``); this prints each phase's median wall and
CPU seconds, and the overhead per job beside the baseline measured in the same run: a
fresh ``python -c "import torch"``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = {"train": "fit", "evaluate": "inference"}  # the phase that is the job's real work
SMALL = "simple_cnn,refined_cnn,resnet_20,eca_resnet_20,ghost_resnet_20,se_resnet18"


def scratch() -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="cifarlab-overhead-"))
    for name in ("workflow", "data", "src"):
        (tmp / name).symlink_to(ROOT / name)
    shutil.copy(ROOT / "params.yaml", tmp / "params.yaml")
    return tmp


def run(step: str, exp: str, cwd: Path, log: Path) -> float:
    env = os.environ | {"CIFARLAB_PHASE_LOG": str(log), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "workflow/scripts/" + step + ".py", "--experiment", exp, "--profile", "quick"],
                   cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - t0


def baseline(repeats: int) -> float:
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import torch"], env=env, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--experiments", default=SMALL, help="comma-separated experiment names")
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    if not (ROOT / "data" / "split").is_dir():
        sys.exit("bench/job_overhead.py: data/split is missing; run `make run` or "
                 "`uv run snakemake --cores 2 data/split` first")
    base = baseline(3)
    tmp = scratch()
    log = tmp / "phases.jsonl"
    try:
        for _ in range(args.repeats):
            for exp in args.experiments.split(","):
                for step in ("train", "evaluate"):
                    run(step, exp, tmp, log)
        rows = [json.loads(line) for line in log.read_text().splitlines()]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"baseline: a fresh `python -c 'import torch'` takes {base:.2f} s wall (median of 3)\n")
    for step in ("train", "evaluate"):
        mine = [r for r in rows if r["step"] == step]
        wall, cpu = defaultdict(list), defaultdict(list)
        overheads = []
        for r in mine:
            total = sum(p["wall_s"] for p in r["phases"])
            work = sum(p["wall_s"] for p in r["phases"] if p["phase"] == WORK[step])
            overheads.append(total - work)
            for p in r["phases"]:
                wall[p["phase"]].append(p["wall_s"])
                cpu[p["phase"]].append(p["cpu_s"])
        print(f"## {step}: {len(mine)} jobs ({args.experiments})\n")
        print("| phase | median wall s | median CPU s |\n|---|---|---|")
        for phase in wall:  # the order phases first appear in
            print(f"| {phase} | {statistics.median(wall[phase]):.2f} | {statistics.median(cpu[phase]):.2f} |")
        med = statistics.median(overheads)
        print(f"\noverhead per {step} job (wall outside {WORK[step]}): median {med:.2f} s, "
              f"max {max(overheads):.2f} s; {med / base:.2f}x the torch-import baseline\n")


if __name__ == "__main__":
    main()
