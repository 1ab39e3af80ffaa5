"""This machine's speed against the cost table's, and what it means for `make run`.

    python -m cifarlab.speed --cores 2      # before a run: speed factor, expected duration

The quick profile's budget is priced in the cost table's seconds (``models/cpu_cost.json``,
one thread, batch 32, 32 px), so its results never depend on the machine; its duration
does. A short reference step (forward + backward of the reference models, timed as the
cost table was) gives the factor: this machine's seconds per step over the table's (1.5
means 1.5x slower). The expected duration scales a measured reference run
(``models/run_reference.json``: the wall time of ``make run`` and the factor measured at
its start, written by ``cifarlab.report.run_summary --write-reference``). The factor goes
to ``results/speed.json`` for the run summary.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from pathlib import Path

from cifarlab.budget import COST_TABLE

REFERENCE_MODELS = ("cnn4", "resnet_20")  # cheap, and the two commonest kinds of step
RUN_REFERENCE = COST_TABLE.with_name("run_reference.json")
SPEED_FILE = Path("results") / "speed.json"


def step_seconds(name: str, batch: int = 32, steps: int = 3, size: int | None = None,
                 device: str = "cpu", classes: int = 100) -> float:
    """Median seconds of one forward+backward step of model ``name`` (after a warm-up)."""
    import inspect

    import torch
    import torch.nn.functional as F

    from cifarlab.models import get_model, get_model_info

    info = get_model_info(name)
    extra = {"img_size": size} if size and size != info.input_size and \
        "img_size" in inspect.signature(info.factory).parameters else {}
    size = size or info.input_size
    dev = torch.device(device)
    model = get_model(name, classes, **extra).to(dev).train()
    x = torch.randn(batch, 3, size, size, device=dev)
    y = torch.randint(0, classes, (batch,), device=dev)
    times = []
    for i in range(steps + 1):
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        t0 = time.perf_counter()
        F.cross_entropy(model(x), y).backward()
        model.zero_grad(set_to_none=True)
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        if i:  # step 0 is the warm-up
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def speed_factor(measured: dict[str, float], table: dict[str, float]) -> float:
    """Geometric mean over models of measured / table seconds per image."""
    ratios = [measured[m] / table[m] for m in measured if table.get(m)]
    if not ratios:
        raise ValueError(f"none of {sorted(measured)} is in {COST_TABLE.name}")
    return math.exp(sum(map(math.log, ratios)) / len(ratios))


def measure(models=REFERENCE_MODELS, steps: int = 3) -> dict:
    """The reference step on this machine, timed as the cost table was."""
    import torch

    table = json.loads(COST_TABLE.read_text())
    torch.set_num_threads(int(table.get("threads") or 1))
    torch.manual_seed(0)
    batch, size = int(table["batch"]), table.get("input_px")
    per_image = {m: step_seconds(m, batch, steps, size) / batch for m in models}
    return {"factor": speed_factor(per_image, table["seconds_per_train_image"]),
            "seconds_per_image": per_image,
            "table_seconds_per_image": {m: table["seconds_per_train_image"][m] for m in models}}


def expected_seconds(factor: float, reference: Path = RUN_REFERENCE) -> float | None:
    """The reference run's wall time scaled to this machine; None without a reference."""
    if not reference.is_file():
        return None
    ref = json.loads(reference.read_text())
    return ref["seconds"] * factor / ref["speed_factor"]


def describe(speed: dict, expected: float | None) -> str:
    f = speed["factor"]
    steps = ", ".join(f"{m} {speed['seconds_per_image'][m] * 32e3:.0f} ms vs {speed['table_seconds_per_image'][m] * 32e3:.0f}"
                      for m in speed["seconds_per_image"])
    pace = f"{f:.2f}x slower than" if f > 1.005 else f"{1 / f:.2f}x faster than" if f < 0.995 else "as fast as"
    line = f"cifarlab: this machine runs {pace} the cost table's ({steps} per step of 32)"
    if expected is not None:
        line += f": expect about {expected / 60:.0f} minutes"
    return line


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=3)
    args = p.parse_args(argv)
    speed = measure(steps=args.steps)
    expected = expected_seconds(speed["factor"])
    print(describe(speed, expected), flush=True)
    SPEED_FILE.parent.mkdir(parents=True, exist_ok=True)
    SPEED_FILE.write_text(json.dumps({**speed, "expected_seconds": expected}, indent=2) + "\n")


if __name__ == "__main__":
    main()
