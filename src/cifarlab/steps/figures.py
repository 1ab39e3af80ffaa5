"""figures: accuracy bars, accuracy vs params, training curves, confusion matrices."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd

from cifarlab import dag
from cifarlab.analysis.plots import save_figure, summary_figures
from cifarlab.analysis.runs import load_run
from cifarlab.config import Config
from cifarlab.io import atomic_path
from cifarlab.provenance import collect_provenance


def run(cfg: Config, experiment: str | None, command: Sequence[str]) -> None:
    table_path = Path(dag.TABLES_DIR) / "experiments.csv"
    table = pd.read_csv(table_path)
    runs = {name: load_run(dag.run_dir(name)) for name in cfg.experiments}
    params = dag.param_values("figures", cfg.raw)
    with atomic_path(dag.SUMMARY_DIR) as stage:
        for filename, fig in summary_figures(table, runs).items():
            # Each figure names the files it was drawn from: the table, or one run's folder.
            exp = filename.removesuffix(".png").partition("__")[2]
            inputs = [Path(dag.run_dir(exp))] if exp else [table_path]
            save_figure(fig, stage / filename,
                        provenance=collect_provenance("figures", list(command), params, inputs))
    print(f"figures: wrote {dag.SUMMARY_DIR}", flush=True)
