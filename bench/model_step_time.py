"""Forward+backward wall time per training step for every registered model.

    python bench/model_step_time.py [--pattern '*'] [--batch 32] [--steps 3] [--device cpu]
                                    [--threads N] [--size PX] [--write-cost-table]

Batch of random images at each model's registry input size, train mode, cross-entropy,
``loss.backward()``; one warm-up step, then the median of ``--steps`` timed steps.
Prints a Markdown table (ms per step, images per second), the machine it ran on and the
load average before and after (on a shared machine, other processes inflate the times;
``--threads 1`` is the most stable choice there: oversubscribed OpenMP threads spin).

``--size PX`` times every model at PX pixels (models whose size is a construction argument
are built for it). ``--write-cost-table`` also writes the measured seconds per training
image to ``src/cifarlab/models/cpu_cost.json``: the quick profile's budget
(``cifarlab.budget``) prices each run with it, since FLOPs misjudge CPU time (depthwise and
attention models run several times slower per FLOP than plain convolutions).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

import torch

from cifarlab.models import get_model_info, list_models
from cifarlab.speed import step_seconds


COST_TABLE = Path(__file__).resolve().parents[1] / "src" / "cifarlab" / "models" / "cpu_cost.json"


def step_time(name: str, batch: int, steps: int, device: torch.device, size: int | None = None) -> float:
    """Median seconds of one forward+backward step (after one warm-up step)."""
    return step_seconds(name, batch, steps, size, str(device))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pattern", default="*")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's)")
    ap.add_argument("--size", type=int, help="input pixels for every model (default: its registry size)")
    ap.add_argument("--write-cost-table", action="store_true", help=f"write {COST_TABLE.name}")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    print(f"device: {where}; torch threads: {torch.get_num_threads()}; cpus: {os.cpu_count()}; "
          f"batch {args.batch}; median of {args.steps} steps after 1 warm-up; "
          f"load average {_load()}\n")
    print("| model | input px | ms / step (fwd+bwd) | images / s |")
    print("|---|---|---|---|")
    per_image = {}
    for name in list_models(args.pattern):
        t = step_time(name, args.batch, args.steps, device, args.size)
        per_image[name] = t / args.batch
        print(f"| `{name}` | {args.size or get_model_info(name).input_size} | {t * 1e3:,.0f} | "
              f"{args.batch / t:,.0f} |", flush=True)
    print(f"\nload average at the end: {_load()}")
    if args.write_cost_table:
        table = {"measured_by": "python bench/model_step_time.py " + " ".join(os.sys.argv[1:]),
                 "device": where, "threads": torch.get_num_threads(), "batch": args.batch,
                 "input_px": args.size, "load_average_at_end": _load(),
                 "seconds_per_train_image": {k: round(v, 6) for k, v in per_image.items()}}
        COST_TABLE.write_text(json.dumps(table, indent=2, sort_keys=True) + "\n")
        print(f"wrote {COST_TABLE}")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
