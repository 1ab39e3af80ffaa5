"""Two fits side by side, as Snakemake runs two jobs on two cores: one compute thread each
(what the workflow now gives every job) against torch's default (every core each, so four
threads on two cores).

    python bench/threads.py [--model resnet_20] [--steps 30] [--jobs 2]

Each fit is a fresh process running cifarlab's fit() on random 32 px images for one epoch
of ``--steps`` batches of 32. Prints the wall time for all jobs to finish in each mode and
the ratio (default threads / pinned threads: above 1 means pinning is faster), measured in
the same run. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

FIT = """
import sys, tempfile, torch
from cifarlab.threads import pin_torch
if sys.argv[1] == 'pin':
    pin_torch()
from cifarlab.data.loader import DeviceLoader
from cifarlab.models import get_model
from cifarlab.train import TrainSettings, fit
g = torch.Generator().manual_seed(0)
n = 32 * int(sys.argv[3])
x = torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=g)
y = torch.randint(0, 10, (n,), generator=g)
train = DeviceLoader(x, y, 32, train=True, drop_last=True, normalize=((0.5,) * 3, (0.25,) * 3))
val = DeviceLoader(x[:64], y[:64], 64, train=False, normalize=((0.5,) * 3, (0.25,) * 3))
out = tempfile.mkdtemp()
fit(get_model(sys.argv[2], num_classes=10), train, val, TrainSettings(max_epochs=1, lr=0.01),
    out_dir=out + '/o', state_dir=out + '/s', device='cpu', progress=False)
print(torch.get_num_threads())
"""


def side_by_side(mode: str, model: str, steps: int, jobs: int) -> tuple[float, list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    if mode == "pin":
        env["OMP_NUM_THREADS"] = "1"  # what Snakemake exports for a one-thread rule
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", FIT, mode, model, str(steps)], env=env,
                              stdout=subprocess.PIPE, text=True, cwd=tempfile.gettempdir())
             for _ in range(jobs)]
    threads = [p.communicate()[0].strip() for p in procs]
    if any(p.returncode for p in procs):
        sys.exit(f"bench/threads.py: a fit failed in mode {mode}")
    return time.perf_counter() - t0, threads


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="resnet_20")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    print(f"{args.jobs} concurrent fits of {args.model}, {args.steps} steps of 32 images, "
          f"{os.cpu_count()} cores, load average before {os.getloadavg()[0]:.2f}")
    free, free_threads = side_by_side("default", args.model, args.steps, args.jobs)
    pinned, pinned_threads = side_by_side("pin", args.model, args.steps, args.jobs)
    print("| threads per job | wall s for all jobs |\n|---|---|")
    print(f"| torch default ({', '.join(free_threads)}) | {free:.1f} |")
    print(f"| pinned ({', '.join(pinned_threads)}) | {pinned:.1f} |")
    print(f"ratio default / pinned: {free / pinned:.2f} (above 1: pinned is faster)")


if __name__ == "__main__":
    main()
