"""report: one self-contained HTML page; every table and figure shows its provenance."""

from __future__ import annotations

from typing import Sequence

from cifarlab import dag
from cifarlab.config import Config
from cifarlab.io import write_text
from cifarlab.provenance import collect_provenance
from cifarlab.report.context import build_report_context
from cifarlab.report.render import render_report


def run(cfg: Config, experiment: str | None, command: Sequence[str]) -> None:
    p = cfg.profile
    inputs = [dag.TABLES_DIR, dag.SUMMARY_DIR, dag.PREVIEW_DIR]
    prov = collect_provenance("report", list(command), dag.param_values("report", cfg.raw), inputs)
    context = build_report_context(
        tables_dir=dag.TABLES_DIR,
        figure_dirs={"Data": dag.PREVIEW_DIR, "Summary": dag.SUMMARY_DIR},
        runs_dir=dag.RUNS_DIR,
        experiments=list(cfg.experiments),
        profile={"name": p.name, "description": p.description, "device": p.device},
        provenance=prov,
    )
    write_text(dag.REPORT_HTML, render_report(context))
    print(f"report: {dag.REPORT_HTML}", flush=True)
