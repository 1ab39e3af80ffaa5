"""figures: every table-drawn figure of the catalogue, and each experiment's own figures.

Each PNG gets a ``.prov.json`` sidecar naming the files it was drawn from and, under
``extra``, its catalogue entry (name, study, label, caption, experiment): the report lays
out its pages from those.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from cifarlab import dag
from cifarlab.analysis.figures.catalogue import FIGURES, FigureInputs, experiment_figures, summary_figures
from cifarlab.analysis.figures.figbase import intervals_drawn, save_figure
from cifarlab.analysis.runs import load_run
from cifarlab.config import Config
from cifarlab.io import atomic_path
from cifarlab.provenance import collect_provenance

RUNS_TABLE = "runs.csv"  # one row per (experiment, seed), written by aggregate
# The paired tests (aggregate's statistics), read when present: the tables folder is the
# step's declared input in both front ends (dag.table_outputs), so no new input is needed.
COMPARISONS_TABLE = "comparisons.csv"
COMPARED = ("s004_grid",)  # the summary figures that read comparisons.csv
MAX_WORKERS = 8  # processes drawing the per-experiment figures


def _extra(name: str, experiment: str | None = None, fig: Any = None) -> dict[str, Any]:
    """The sidecar's catalogue entry; ``intervals`` says what the figure's error bars show
    (e.g. ["95% interval"], read off the drawn figure) so the report can say it too."""
    spec = FIGURES[name]
    return {"figure": name, "study": spec.study, "label": spec.label, "caption": spec.caption,
            "experiment": experiment, "intervals": intervals_drawn(fig) if fig is not None else []}


def _run_sources(experiment: str, histories: bool) -> list[Path]:
    """What a run's figures are drawn from: its evaluation outputs and (for curves) its
    history files; never the checkpoints, which would only slow the hashing down."""
    run = Path(dag.run_dir(experiment))
    metrics = [run / "metrics.json"] if (run / "metrics.json").is_file() else []
    evaluation = [Path(p) for p in dag.eval_outputs(experiment) if Path(p).exists() and not p.endswith(".pt")]
    found = sorted(run.rglob("history.csv")) if histories else []
    return list(dict.fromkeys(metrics + evaluation + found))


def _experiment_job(name: str, study: str, stage: str, command: list[str], params: dict[str, Any]) -> None:
    """Draw and save one run's figures into ``stage`` (a worker process's unit of work)."""
    base = collect_provenance("figures", command, params, _run_sources(name, True))  # hashed once per run
    for filename, fig in experiment_figures(load_run(dag.run_dir(name)), name, study).items():
        kind = filename.partition("__")[0]
        save_figure(fig, Path(stage) / filename, provenance={**base, "extra": _extra(kind, name, fig)})


def run(cfg: Config, experiment: str | None, command: Sequence[str]) -> None:
    tables = Path(dag.TABLES_DIR)
    table_path = tables / "experiments.csv"
    runs_path = tables / RUNS_TABLE
    comparisons_path = tables / COMPARISONS_TABLE
    inputs = FigureInputs(
        experiments=pd.read_csv(table_path),
        runs={name: load_run(dag.run_dir(name)) for name in cfg.experiments},  # summary figures read a few
        seed_runs=pd.read_csv(runs_path) if runs_path.is_file() else None,
        comparisons=pd.read_csv(comparisons_path) if comparisons_path.is_file() else None,
    )
    params = dag.param_values("figures", cfg.raw)

    def prov(sources: list[Path], extra: dict[str, Any]) -> dict[str, Any]:
        return collect_provenance("figures", list(command), params, sources, extra=extra)

    with atomic_path(dag.SUMMARY_DIR) as stage:
        stage.mkdir(parents=True)
        for filename, fig in summary_figures(inputs).items():
            name = filename.removesuffix(".png")
            reads = [p for e in FIGURES[name].reads if e in cfg.experiments for p in _run_sources(e, False)]
            sources = [table_path] + ([runs_path] if runs_path.is_file() and name == "seed_spread" else []) \
                + ([comparisons_path] if comparisons_path.is_file() and name in COMPARED else []) + reads
            save_figure(fig, stage / filename, provenance=prov(sources, _extra(name, fig=fig)))
        jobs = [(name, exp.study, str(stage), list(command), params) for name, exp in cfg.experiments.items()]
        # Rendering PNGs is CPU-bound and each run's figures are independent: one process
        # per core (about 3 s per run on a loaded 2-core machine, ~50 runs).
        workers = max(1, min(len(jobs), len(os.sched_getaffinity(0)), MAX_WORKERS))
        if workers == 1:
            for job in jobs:
                _experiment_job(*job)
        else:
            with ProcessPoolExecutor(workers) as pool:
                list(pool.map(_experiment_job, *zip(*jobs)))
    print(f"figures: wrote {dag.SUMMARY_DIR}", flush=True)
