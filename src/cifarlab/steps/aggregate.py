"""aggregate: one table of all experiments, and the seeds' claims beside our measurements."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from cifarlab import dag
from cifarlab.analysis.runs import load_run, run_record
from cifarlab.analysis.tables import aggregate, scorecard
from cifarlab.config import Config, ExperimentConfig
from cifarlab.io import atomic_path
from cifarlab.report.claims import load_claims
from cifarlab.steps._common import read_meta, record


def describe(cfg: Config, exp: ExperimentConfig) -> dict[str, Any]:
    """What only the config knows about a run: the scorecard uses it to judge comparability."""
    meta = read_meta(exp.dataset.name)
    return {
        "study": exp.study,
        "model": exp.model,
        "dataset": exp.dataset.name,
        "declared_dataset": exp.declared_dataset,
        "recipe": exp.recipe.name,
        "profile": cfg.profile.name,
        "max_epochs": exp.recipe.max_epochs,
        "train_size": meta["sizes"]["train"],
        "num_classes": meta["num_classes"],
        "device": cfg.profile.device,
    }


def run(cfg: Config, experiment: str | None, command: Sequence[str]) -> None:
    records = [
        run_record(load_run(dag.run_dir(name)), describe(cfg, exp)) for name, exp in cfg.experiments.items()
    ]
    table = aggregate(records)
    card = scorecard(table, load_claims())
    tables = Path(dag.TABLES_DIR)
    for frame, name in ((table, "experiments.csv"), (card, "scorecard.csv")):
        with atomic_path(tables / name) as tmp:
            frame.to_csv(tmp, index=False)
    inputs = [Path(dag.run_dir(n)) / f for n in cfg.experiments for f in ("metrics.json", "train.json")]
    record(cfg, "aggregate", command, inputs, tables / "aggregate.prov.json")
    print(table[["experiment", "top1", "top5", "params"]].to_string(index=False), flush=True)
