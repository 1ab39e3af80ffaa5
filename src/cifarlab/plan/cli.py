"""``cifarlab plan``: measure the selection's steps, print the plan, write the CSV.

    cifarlab plan [--profile full] [--gpus N] [--select PATTERN[,PATTERN]...] [--out CSV]
                  [--device cpu|cuda] [--steps K] [--probe-batch B] [--params params.yaml]

Errors a user can fix (unknown pattern, no CUDA for a CUDA profile, bad --gpus) end in one
line naming the option or key, exit status 2, and leave no CSV behind. An experiment
whose training step does not fit in this device's memory even at a few images is named
("cannot plan here") and left out of the plan; the others are planned.
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from cifarlab import dag
from cifarlab.config import Config, ExperimentConfig, ProfileConfig, load_config
from cifarlab.errors import CifarlabError
from cifarlab.io import read_json
from cifarlab.plan.schedule import Schedule, lpt_schedule
from cifarlab.plan.table import default_csv, format_summary, format_table, plan_frame, plan_provenance, write_plan
from cifarlab.plan.workload import PlanError, build_workload, predict, workflow_jobs


@dataclass(frozen=True)
class PlanRequest:
    """What to plan: the selection, the devices to schedule onto, where to write."""

    select: tuple[str, ...] = ()  # shell patterns over experiment names or studies; () = all
    gpus: int | None = None  # None: the GPUs visible (at least 1)
    device: str | None = None  # None: the profile's device
    out: Path | None = None  # None: results/plan/<profile>.csv
    steps: int = 10  # the most batches per timed pass
    probe_batch: int | None = None  # cheap mode: time steps of at most this many images


def select_experiments(cfg: Config, patterns: Sequence[str]) -> list[str]:
    """Experiments whose name or study matches any pattern, in params.yaml order.
    A pattern may be a comma list, as ``--config only=`` takes (``resnet_20,cnn4``)."""
    patterns = [p.strip() for arg in patterns for p in arg.split(",") if p.strip()]
    if not patterns:
        return list(cfg.experiments)
    chosen = []
    for pattern in patterns:
        hits = [n for n, e in cfg.experiments.items()
                if fnmatch.fnmatchcase(n, pattern) or fnmatch.fnmatchcase(e.study, pattern)]
        if not hits:
            raise PlanError(f"--select: {pattern!r} matches no experiment or study; known: "
                            f"{', '.join(cfg.experiments)}")
        chosen += [n for n in hits if n not in chosen]
    return [n for n in cfg.experiments if n in chosen]


def plan_device(profile: ProfileConfig, override: str | None) -> str:
    """The device to measure on: the profile's (a GPU slot is claimed) or ``--device``."""
    from cifarlab.device import resolve_device

    requested = override or profile.device
    key = "--device" if override else f"profiles.{profile.name}.device"
    try:
        return resolve_device(requested)
    except RuntimeError:
        raise PlanError(f"{key}: {requested!r} but no CUDA device is available here; "
                        "measure on this CPU instead with --device cpu") from None


def _visible_gpus() -> int:
    from cifarlab.device import gpu_ids

    return max(1, len(gpu_ids()))


def planned_epochs(exp: ExperimentConfig, profile: ProfileConfig) -> int:
    """Epochs per seed as fit() lays them out (phases and the profile's cap included)."""
    from cifarlab.steps.train import train_settings
    from cifarlab.train.schedule import plan_phases

    phases = plan_phases(train_settings(exp, profile))
    return phases[-1].start + phases[-1].epochs


def _params_read(cfg: Config, names: Sequence[str]) -> dict[str, Any]:
    keys = ["profile", f"profiles.{cfg.profile.name}", "split"]
    for n in names:
        keys += [f"experiments.{n}", f"recipes.{cfg.raw['experiments'][n]['recipe']}"]
    return {k: dag.lookup(cfg.raw, k) for k in dict.fromkeys(keys)}


def _measure_all(cfg: Config, names: Sequence[str], device: str, request: PlanRequest
                 ) -> tuple[list[dict[str, Any]], list[Path], dict[str, str]]:
    """Plan rows, the split metadata read, and experiment -> why it cannot be planned here."""
    import torch

    from cifarlab.plan.step_memory import TooLarge

    rows, inputs, skipped = [], [], {}
    for name in names:
        try:
            row = _measure_one(cfg, name, device, request, inputs)
        except (TooLarge, torch.OutOfMemoryError) as exc:
            skipped[name] = " ".join(str(exc).split())[:300]
            print(f"plan: {name}: cannot plan here: {skipped[name]}", file=sys.stderr, flush=True)
            continue
        rows.append(row)
    return rows, inputs, skipped


def _measure_one(cfg: Config, name: str, device: str, request: PlanRequest,
                 inputs: list[Path]) -> dict[str, Any]:
    """One plan row; appends the split metadata it read to ``inputs``."""
    from cifarlab.plan.budgeted import apply_budget
    from cifarlab.plan.measure import measure

    exp = cfg.experiments[name]
    split = Path(dag.SPLIT_DIR) / exp.dataset.name
    meta = read_json(split / "meta.json") if (split / "meta.json").is_file() else None
    if meta is not None and split / "meta.json" not in inputs:
        inputs.append(split / "meta.json")
    w = apply_budget(cfg, exp, build_workload(cfg, exp, planned_epochs(exp, cfg.profile), meta))
    t = measure(exp, w, cfg.profile, device, max_steps=request.steps,
                repeats=1 if request.probe_batch else 2, split=split if meta else None,
                max_batch=request.probe_batch, warmup=not request.probe_batch)
    row = predict(w, t, cfg.profile.name)
    scaled = f", timed at batch {t.timed_batch} of {w.batch_size}" if t.timed_batch < w.batch_size else ""
    print(f"plan: {name}: {row['images_per_s']:,.0f} images/s on {t.device} "
          f"({t.data_source} images{scaled}, measured in {t.measure_seconds:.1f} s)",
          file=sys.stderr, flush=True)
    return row


def run_plan(cfg: Config, request: PlanRequest, command: Sequence[str]) -> tuple[Path, Schedule]:
    """Measure, schedule, write the CSV + sidecar and print the plan; returns (csv, schedule)."""
    if request.gpus is not None and request.gpus < 1:
        raise PlanError(f"--gpus: need at least 1 device, got {request.gpus}")
    if request.steps < 1:
        raise PlanError(f"--steps: need at least 1 step, got {request.steps}")
    if request.probe_batch is not None and request.probe_batch < 2:
        raise PlanError(f"--probe-batch: need at least 2 images, got {request.probe_batch}")
    names = select_experiments(cfg, request.select)
    n = request.gpus or _visible_gpus()  # counted before plan_device claims one of them
    device = plan_device(cfg.profile, request.device)
    if request.gpus is None and not device.startswith("cuda"):
        n = 1
    rows, inputs, skipped = _measure_all(cfg, names, device, request)
    if not rows:
        raise PlanError(f"no selected experiment fits on {device}: " +
                        "; ".join(f"{n}: {why}" for n, why in skipped.items()))
    jobs = workflow_jobs(rows)
    schedule = lpt_schedule(jobs, n)
    out = request.out or default_csv(cfg.profile.name)
    df = plan_frame(rows)
    prov = plan_provenance(command, _params_read(cfg, names), inputs, device, schedule, jobs)
    prov["extra"]["not_planned"] = skipped
    write_plan(out, df, prov)
    print(format_table(df))
    print(format_summary(schedule, jobs))
    for name, why in skipped.items():
        print(f"plan: not planned (does not fit on {device}): {name}: {why}")
    print(f"plan: wrote {out}")
    return out, schedule


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cifarlab plan", description=__doc__.splitlines()[0])
    p.add_argument("--params", default="params.yaml", type=Path, help="parameter file")
    p.add_argument("--profile", default=None, help="profile name (overrides params.yaml)")
    p.add_argument("--gpus", type=int, default=None,
                   help="devices to schedule onto (default: the GPUs visible, else 1)")
    p.add_argument("--select", nargs="+", default=(), metavar="PATTERN",
                   help="experiment names or studies, shell patterns, spaces or commas "
                        "between them as --config only= takes (default: all)")
    p.add_argument("--out", type=Path, default=None, help="CSV path (default results/plan/<profile>.csv)")
    p.add_argument("--device", default=None, help="measure here instead of the profile's device")
    p.add_argument("--steps", type=int, default=10,
                   help="the most batches per timed pass (default 10; fewer for slow steps)")
    p.add_argument("--probe-batch", type=int, default=None, metavar="B",
                   help="cheap mode: time steps of at most B images, cold (no warm-up), "
                        "scaled per image (default: the recipe's batch, or what fits in memory)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``cifarlab plan``; returns the exit status."""
    args = _parser().parse_args(argv)
    command = ["cifarlab", "plan", *argv] if argv is not None else ["cifarlab", *sys.argv[1:]]
    request = PlanRequest(tuple(args.select), args.gpus, args.device, args.out, args.steps,
                          args.probe_batch)
    try:
        run_plan(load_config(args.params, args.profile), request, command)
    except (CifarlabError, FileNotFoundError, ValueError) as exc:
        print(f"cifarlab plan: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
