"""The few lines `make run` ends with: experiments, best top-1, wall time, efficiency,
where the report is.

    python -m cifarlab.report.run_summary --seconds 312 --cores 2 [--write-reference]

Efficiency is the share of the cores' time spent in training loops: the fit seconds of
every (experiment, seed) (``train_seconds`` in each train.json) over wall time x cores.
``--write-reference`` records this run's wall time and the speed factor measured at its
start (results/speed.json) as ``models/run_reference.json``, which ``cifarlab.speed``
scales to predict the next run's duration on another machine.

Reads results/tables/experiments.csv (torch-free, quick to start); a missing table is
reported, not raised, since the summary must not turn a finished run into a failure.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from cifarlab import dag
from cifarlab.analysis.stats.chance import ABOVE_CHANCE_P

TOP = 3  # best experiments listed


def summary_lines(table: Path, report: Path, seconds: float | None) -> list[str]:
    """The summary as lines of text."""
    wall = f" in {seconds:.0f} s" if seconds is not None else ""
    if not table.is_file():
        return [f"cifarlab: done{wall}; no {table} (the run did not reach aggregate)"]
    df = pd.read_csv(table).dropna(subset=["top1"]).sort_values("top1", ascending=False)
    studies = ", ".join(sorted(df["study"].astype(str).unique())) if "study" in df.columns else "?"
    profile = df["profile"].iloc[0] if "profile" in df.columns and len(df) else "?"
    lines = [f"cifarlab: done{wall}: {len(df)} experiments ({studies}), profile {profile}"]
    for row in df.head(TOP).itertuples():
        std = getattr(row, "top1_std", float("nan"))
        spread = f" +- {std * 100:.2f}" if pd.notna(std) else ""
        lines.append(f"  best top-1: {row.experiment:<28} {row.top1 * 100:6.2f}%{spread}")
    lines += chance_lines(df)
    lines.append(f"  report: {report.resolve()}" + ("" if report.is_file() else " (not written)"))
    return lines


def chance_lines(df: pd.DataFrame) -> list[str]:
    """How many experiments beat chance on their test images (cifarlab.analysis.stats.chance),
    and which do not, with their accuracy and test set size."""
    if "chance_p" not in df.columns:
        return []
    judged = df.dropna(subset=["chance_p"])
    below = judged[judged["chance_p"] >= ABOVE_CHANCE_P]
    lines = [f"  above chance (one-sided binomial p < {ABOVE_CHANCE_P}): {len(judged) - len(below)} of {len(judged)}"]
    for row in below.itertuples():
        lines.append(f"    not: {row.experiment} {row.top1 * 100:.2f}% on {row.n_test:.0f} test images "
                     f"x {row.n_seeds} seed(s), p = {row.chance_p:.2g}")
    return lines


def fit_seconds(runs_dir: Path = Path(dag.RUNS_DIR)) -> float:
    """Seconds spent in training loops, over every (experiment, seed) of the run."""
    return sum(json.loads(f.read_text()).get("train_seconds") or 0.0
               for f in runs_dir.glob("*/train/seed_*/train.json"))


def efficiency_line(fit: float, seconds: float, cores: int, speed: dict | None) -> str:
    """Sum of fit seconds / (wall x cores), with the machine's speed factor when measured."""
    line = (f"  efficiency: {fit / (seconds * cores):.0%} of {cores} cores x {seconds:.0f} s in training "
            f"loops ({fit:.0f} fit seconds)")
    if speed:
        line += f"; speed factor {speed['factor']:.2f} (1 = the cost table's machine)"
        if speed.get("expected_seconds"):
            line += f", expected {speed['expected_seconds']:.0f} s"
    return line


def write_reference(seconds: float, speed: dict, path: Path) -> None:
    """This run as the reference that cifarlab.speed scales (see the module docstring)."""
    from cifarlab.provenance import git_state

    path.write_text(json.dumps({"seconds": round(seconds), "speed_factor": round(speed["factor"], 3),
                                "commit": git_state()["commit"], "measured_by": "make run"}, indent=2) + "\n")


def main(argv: list[str] | None = None) -> None:
    from cifarlab.speed import RUN_REFERENCE, SPEED_FILE

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=None, help="wall time of the run")
    p.add_argument("--cores", type=int, default=None, help="cores the run had (efficiency)")
    p.add_argument("--write-reference", action="store_true", help=f"write {RUN_REFERENCE.name}")
    args = p.parse_args(argv)
    lines = summary_lines(Path(dag.TABLES_DIR) / "experiments.csv", Path(dag.REPORT_HTML), args.seconds)
    speed = json.loads(SPEED_FILE.read_text()) if SPEED_FILE.is_file() else None
    if args.seconds and args.cores:
        lines.insert(1, efficiency_line(fit_seconds(), args.seconds, args.cores, speed))
    print("\n".join(lines))
    if args.write_reference:
        if not (args.seconds and speed):
            raise SystemExit("run_summary: --write-reference needs --seconds and results/speed.json")
        write_reference(args.seconds, speed, RUN_REFERENCE)


if __name__ == "__main__":
    main()
