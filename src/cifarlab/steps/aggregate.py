"""aggregate: every run's results -> the runs and experiments tables, the documents'
tables (listed in tables.json), the paired comparisons the documents make
(comparisons.csv), the power to detect their claimed differences (power.csv) and the
reproduction scorecard."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from cifarlab import dag
from cifarlab.analysis.tables.next_steps import mean_confusion, read_summaries
from cifarlab.analysis.runs import load_run, seed_correct, seed_records
from cifarlab.analysis.stats.claimed import power_display, power_table
from cifarlab.analysis.stats.comparisons import comparison_table, document_comparisons
from cifarlab.analysis.tables.experiments import aggregate, runs_table
from cifarlab.analysis.tables.scorecard import scorecard
from cifarlab.analysis.tables.study_tables import TABLES, TableInputs, build_tables
from cifarlab.analysis.tables.timing import predicted_vs_actual, read_plan
from cifarlab.config import Config, ExperimentConfig
from cifarlab.io import atomic_path, write_json
from cifarlab.report.claims import load_claims, load_study_facts
from cifarlab.steps._common import read_meta, record


def describe(cfg: Config, exp: ExperimentConfig, family: str | None) -> dict[str, Any]:
    """What only the config knows about a run: the scorecard uses it to judge comparability."""
    meta = read_meta(exp.dataset.name)
    return {
        "study": exp.study, "model": exp.model, "dataset": exp.dataset.name,
        "declared_dataset": exp.declared_dataset, "recipe": exp.recipe.name, "profile": cfg.profile.name,
        "max_epochs": exp.recipe.max_epochs, "train_size": meta["sizes"]["train"],
        "num_classes": meta["num_classes"], "device": cfg.profile.device, "family": family,
        "ablation_of": exp.ablation_of, "description": exp.description, "next_step": exp.next_step,
        "test_size": (meta.get("official_sizes") or {}).get("test"),  # what a design may evaluate on
    }


def mean_per_class(run: dict) -> pd.DataFrame | None:
    """The per-class table averaged over the run's seeds (rows in the first seed's order)."""
    frames = [s["per_class"] for s in run["seeds"].values() if s.get("per_class") is not None]
    if not frames:
        return None
    order = frames[0]["class"].astype(str).tolist()
    mean = pd.concat(frames).groupby("class", sort=False).mean(numeric_only=True)
    return mean.loc[order].reset_index()


def _cost_plan(cfg: Config) -> tuple[pd.DataFrame | None, str]:
    """The plan that prices a design for power.csv: the full profile's (what settling a
    claim costs), else this profile's, else none."""
    for profile in dict.fromkeys(("full", cfg.profile.name)):
        path = Path(dag.PLAN_DIR) / f"{profile}.csv"
        if path.is_file():
            return read_plan(path), profile
    return None, ""


def _power_entry(rows: int, cost_profile: str) -> dict[str, Any]:
    """tables.json's entry of the power table (the overview page shows it)."""
    priced = f"cifarlab plan's {cost_profile} profile" if cost_profile else "no plan (run `cifarlab plan`)"
    return {"study": "overview", "key": "power", "rows": rows, "file": f"{dag.TABLES_DIR}/overview__power.csv",
            "caption": "Power: could this run detect each difference a document claims, and what would",
            "note": "80% power, two-sided 5%, from each paired comparison's measured seed spread and per-image "
                    "variance (cifarlab.analysis.stats.power); cost: training the needed seeds of both runs, "
                    f"priced by {priced}"}


def run(cfg: Config, experiment: str | None, command: Sequence[str]) -> None:
    facts = load_study_facts()
    family = {m: f for f, ms in (facts.get("s002", {}).get("families") or {}).items() for m in ms}
    runs = {name: load_run(dag.run_dir(name)) for name in cfg.experiments}
    records = [r for name, exp in cfg.experiments.items()
               for r in seed_records(runs[name], describe(cfg, exp, family.get(name)))]
    claims = load_claims()
    table = aggregate(records)
    pairs = comparison_table(table, facts, {n: seed_correct(r) for n, r in runs.items()})
    # the ensembles this selection ran (the DAG runs every one of cfg.ensembles before aggregate)
    ensemble_files = [f for f in map(dag.ensemble_metrics_file, cfg.ensembles) if Path(f).is_file()]
    inputs = TableInputs(table, claims, facts, {n: mean_per_class(r) for n, r in runs.items()}, pairs,
                         confusion={n: mean_confusion(r) for n, r in runs.items()},
                         ensembles=read_summaries(ensemble_files))
    frames = {"experiments.csv": table, "runs.csv": runs_table(records),
              "scorecard.csv": scorecard(table, claims, comparisons=pairs),
              "comparisons.csv": document_comparisons(pairs)}
    index = []
    built = build_tables(inputs)
    for spec in TABLES:
        name = f"{spec.study}__{spec.key}.csv"
        frames[name] = frame = built[(spec.study, spec.key)]
        index.append({"study": spec.study, "key": spec.key, "caption": spec.caption, "note": spec.note,
                      "file": f"{dag.TABLES_DIR}/{name}", "rows": len(frame), "section": spec.section})
    plan = Path(dag.PLAN_DIR) / f"{cfg.profile.name}.csv"
    cost_plan = _cost_plan(cfg)
    frames["power.csv"] = power = power_table(pairs, claims, table, *cost_plan)
    frames["overview__power.csv"] = power_display(power)
    index.append(_power_entry(len(power), cost_plan[1]))
    if plan.is_file():  # `cifarlab plan` ran before this run: its prediction beside the measurement
        frames["overview__predicted_vs_actual.csv"] = timing = predicted_vs_actual(read_plan(plan), table)
        index.append({"study": "overview", "key": "predicted_vs_actual", "rows": len(timing),
                      "caption": "Predicted (cifarlab plan) vs measured training time",
                      "note": f"ratio = measured / predicted; prediction from {plan}",
                      "file": f"{dag.TABLES_DIR}/overview__predicted_vs_actual.csv"})
    with atomic_path(dag.TABLES_DIR) as stage:
        stage.mkdir()
        for name, frame in frames.items():
            frame.to_csv(stage / name, index=False)
        write_json(stage / "tables.json", index)
        plans = sorted({p for p in (plan, Path(dag.PLAN_DIR) / "full.csv") if p.is_file()})
        inputs_md5 = [Path(dag.run_dir(n)) for n in cfg.experiments] + [Path(f) for f in ensemble_files] + plans
        record(cfg, "aggregate", command, inputs_md5, stage / "aggregate.prov.json")
    print(table[["experiment", "n_seeds", "top1", "top1_std", "params"]].to_string(index=False), flush=True)
