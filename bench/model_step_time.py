"""Forward+backward wall time per training step for every registered model.

    python bench/model_step_time.py [--pattern '*'] [--batch 32] [--steps 3] [--device cpu]
                                    [--threads N]

Batch of random images at each model's registry input size, train mode, cross-entropy,
``loss.backward()``; one warm-up step, then the median of ``--steps`` timed steps.
Prints a Markdown table (ms per step, images per second), the machine it ran on and the
load average before and after (on a shared machine, other processes inflate the times;
``--threads 1`` is the most stable choice there: oversubscribed OpenMP threads spin).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import torch
import torch.nn.functional as F

from cifarlab.models import get_model, get_model_info, list_models


def step_time(name: str, batch: int, steps: int, device: torch.device) -> float:
    """Median seconds of one forward+backward step (after one warm-up step)."""
    size = get_model_info(name).input_size
    model = get_model(name, 100).to(device).train()
    x = torch.randn(batch, 3, size, size, device=device)
    y = torch.randint(0, 100, (batch,), device=device)
    times = []
    for i in range(steps + 1):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        t0 = time.perf_counter()
        F.cross_entropy(model(x), y).backward()
        model.zero_grad(set_to_none=True)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        if i:  # step 0 is warm-up
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pattern", default="*")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's)")
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
    for name in list_models(args.pattern):
        t = step_time(name, args.batch, args.steps, device)
        print(f"| `{name}` | {get_model_info(name).input_size} | {t * 1e3:,.0f} | "
              f"{args.batch / t:,.0f} |", flush=True)
    print(f"\nload average at the end: {_load()}")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
