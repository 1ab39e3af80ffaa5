"""The few lines `make run` ends with: experiments, best top-1, wall time, where the report is.

    python -m cifarlab.report.run_summary --seconds 312

Reads results/tables/experiments.csv (torch-free, quick to start); a missing table is
reported, not raised, since the summary must not turn a finished run into a failure.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from cifarlab import dag
from cifarlab.analysis.chance import ABOVE_CHANCE_P

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
    """How many experiments beat chance on their test images (cifarlab.analysis.chance),
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


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=None, help="wall time of the run")
    args = p.parse_args(argv)
    print("\n".join(summary_lines(Path(dag.TABLES_DIR) / "experiments.csv", Path(dag.REPORT_HTML), args.seconds)))


if __name__ == "__main__":
    main()
