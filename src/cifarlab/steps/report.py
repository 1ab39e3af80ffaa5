"""report: the report folder (index, a page per study, a page per experiment, the images)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from cifarlab import dag
from cifarlab.config import Config
from cifarlab.provenance import collect_provenance
from cifarlab.report.render import render_site
from cifarlab.report.site import build_site

FIGURE_DIRS = {"data": dag.PREVIEW_DIR, "summary": dag.SUMMARY_DIR, "explain": dag.EXPLAIN_DIR}


def run(cfg: Config, experiment: str | None, command: Sequence[str]) -> None:
    p = cfg.profile
    inputs = [dag.TABLES_DIR] + [d for d in FIGURE_DIRS.values() if Path(d).is_dir()]
    prov = collect_provenance("report", list(command), dag.param_values("report", cfg.raw), inputs)
    experiments = {name: {"study": e.study, "model": e.model, "description": e.description}
                   for name, e in cfg.experiments.items()}
    site = build_site(tables_dir=dag.TABLES_DIR, figure_dirs=FIGURE_DIRS, runs_dir=dag.RUNS_DIR,
                      experiments=experiments,
                      profile={"name": p.name, "description": p.description, "device": p.device},
                      provenance=prov,
                      study_titles={s: str(v.get("title", "")) for s, v in (cfg.raw.get("studies") or {}).items()
                                    if isinstance(v, dict) and v.get("title")})
    render_site(site, dag.REPORT_DIR)
    n_figs = sum(len(s["figures"]) for s in site["studies"]) + sum(len(e["figures"]) for e in site["experiments"])
    print(f"report: {dag.REPORT_HTML} ({len(site['studies'])} study pages, {len(site['experiments'])} "
          f"experiment pages, {n_figs} figures shown)", flush=True)
