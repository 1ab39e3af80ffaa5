"""Per-process start-up cost of each DAG step: every rule is a fresh Python process.

    python bench/startup.py [--repeats 3]

For each step module (``cifarlab.steps.<verb>``) and for ``import torch, torchvision``, the
median wall time of a fresh ``python -c "import ..."`` process, and whether torch was
loaded. Printed beside the baseline of an empty interpreter (``python -c pass``) measured
in the same run, as a ratio. The table/report steps must stay torch-free: a step imports
only what it uses, and the model code loads inside ``run()`` only where needed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

STEPS = ("download", "split", "preview", "train", "evaluate", "explain", "aggregate", "figures", "report")
PROBE = "import sys, {module}; print('torch' in sys.modules)"


def seconds(code: str, repeats: int) -> tuple[float, str]:
    times, out = [], ""
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    base, _ = seconds("pass", args.repeats)
    print(f"median of {args.repeats} fresh processes; baseline `python -c pass`: {base:.3f} s\n")
    print("| import | seconds | x baseline | torch loaded |")
    print("|---|---|---|---|")
    rows = [(f"cifarlab.steps.{s}", PROBE.format(module=f"cifarlab.steps.{s}")) for s in STEPS]
    rows.append(("torch, torchvision", PROBE.format(module="torch, torchvision")))
    for name, code in rows:
        t, torch_loaded = seconds(code, args.repeats)
        print(f"| `{name}` | {t:.2f} | {t / base:.1f} | {torch_loaded} |", flush=True)


if __name__ == "__main__":
    main()
