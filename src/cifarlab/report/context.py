"""Assemble the report's template context from the files the DAG wrote.

Every table and figure entry carries the provenance record of the step that made it:
tables in ``results/tables`` -> ``<name>.prov.json`` or the folder's ``aggregate.prov.json``;
figures -> their ``<name>.prov.json`` sidecar; a run's tables -> the run's
``evaluate.prov.json``. With ``strict`` (the default) a missing record is an error.
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from cifarlab.analysis.runs import load_run
from cifarlab.analysis.tables import top_confused_pairs
from cifarlab.provenance import read_provenance, sidecar_path, utc_now
from cifarlab.report.formatting import MISSING, format_value, table_rows

PER_EXPERIMENT_SEP = "__"  # as cifarlab.analysis.plots.figure_name names per-experiment figures
TABLE_FALLBACK_PROV = "aggregate.prov.json"
EXPERIMENT_TABLE_COLUMNS = (
    "rank", "experiment", "study", "model", "dataset", "recipe", "top1", "top5", "loss",
    "macro_f1", "params", "flops", "param_efficiency", "latency_ms_per_image_b1",
    "latency_ms_per_image_batched", "peak_mem_mb", "train_seconds", "epochs", "best_epoch",
)
SCORECARD_TABLE_COLUMNS = (
    "study", "experiment", "metric", "claimed", "measured", "delta", "unit", "status", "reasons",
    "caveat", "section",
)
NOT_RUN_COLUMNS = ("study", "experiment", "metric", "claimed", "unit", "caveat", "section")
RUN_METRIC_KEYS = (
    "top1", "top5", "loss", "macro_f1", "weighted_f1", "balanced_accuracy", "params", "flops",
    "latency_ms_per_image_b1", "latency_ms_per_image_batched", "latency_batch_size",
    "peak_mem_mb", "peak_mem_source", "device", "train_seconds", "epochs", "best_epoch", "n_test",
)
FIGURE_CAPTIONS = {
    "accuracy_bars": "Test top-1 accuracy of every experiment, best first, coloured by study.",
    "accuracy_vs_params": "Test top-1 accuracy against parameter count (log scale); "
                          "upper left is more parameter-efficient.",
    "training_curves": "Loss and accuracy per epoch for every run: train dotted, validation solid.",
    "curves": "Loss and accuracy per epoch (train dotted, validation solid); "
              "dashed verticals mark phase changes.",
    "confusion": "Confusion matrix on the test set, rows normalised to % of each true class.",
    "per_class": "Per-class test accuracy.",
}
EXPERIMENTS_CAPTION = (
    "One row per experiment, best test top-1 first. Accuracies and F1 in %; param_efficiency = "
    "top-1 % / params in millions; latency in ms per image; peak memory in MiB (how it was "
    "measured: peak_mem_source in the CSV)."
)
SCORECARD_CAPTION = (
    "The seeds' claimed numbers (as printed; percent for accuracies) beside ours. Rows marked "
    "'not comparable' were measured under other conditions (see reasons): they neither "
    "reproduce nor refute the claim."
)


def slug(text: str) -> str:
    """An HTML id from ``text``."""
    return re.sub(r"[^a-zA-Z0-9_-]+", "-", text).strip("-").lower() or "item"


def png_data_uri(source: str | os.PathLike | bytes) -> str:
    """A ``data:image/png;base64,...`` URI from PNG bytes or a PNG file."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if not data.startswith(b"\x89PNG"):
        raise ValueError(f"{'bytes' if isinstance(source, bytes) else source}: not a PNG image")
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _provenance(candidates: Sequence[Path], what: str, strict: bool) -> dict[str, Any] | None:
    for path in candidates:
        if path.is_file():
            return {**read_provenance(path), "source": str(path)}
    if strict:
        looked = ", ".join(map(str, candidates))
        raise FileNotFoundError(f"{what}: no provenance record (looked for {looked})")
    return None


def table_entry(
    df: pd.DataFrame,
    title: str,
    *,
    provenance: Mapping[str, Any] | None,
    source: str,
    caption: str = "",
    columns: Sequence[str] | None = None,
    collapsed: bool = False,
    row_classes: Sequence[str] | None = None,
) -> dict[str, Any]:
    """One table for the template: header, rows of display strings, provenance."""
    header, rows = table_rows(df, columns)
    src = Path(source)
    return {
        "id": slug(f"table-{src.parent.name}-{src.stem}-{title}"), "title": title,
        "caption": caption, "columns": header, "rows": rows,
        "row_classes": list(row_classes or [""] * len(rows)), "provenance": provenance,
        "source": source, "collapsed": collapsed,
    }


def figure_entry(path: str | os.PathLike, *, strict: bool = True) -> dict[str, Any]:
    """One figure: its PNG embedded as a data URI, caption, and its sidecar provenance.

    The caption is the sidecar's ``extra.caption`` if set, else FIGURE_CAPTIONS[kind].
    """
    p = Path(path)
    kind, _, experiment = p.stem.partition(PER_EXPERIMENT_SEP)
    prov = _provenance([sidecar_path(p)], str(p), strict)
    caption = ((prov or {}).get("extra") or {}).get("caption") or FIGURE_CAPTIONS.get(kind, "")
    title = kind.replace("_", " ").capitalize() + (f": {experiment}" if experiment else "")
    return {
        "id": slug(f"fig-{p.parent.name}-{p.stem}"), "title": title, "caption": caption,
        "kind": kind, "experiment": experiment or None, "data_uri": png_data_uri(p),
        "provenance": prov, "source": str(p),
    }


def _scorecard_tables(card: pd.DataFrame, source: str, prov: Mapping[str, Any] | None) -> list[dict]:
    """Measured claims in one table; claims this profile did not run in a collapsed one."""
    ran = card[card["status"] != "not run"]
    not_run = card[card["status"] == "not run"]
    classes = [f"status-{slug(s)}" for s in ran["status"].astype(str)]
    tables = [table_entry(ran, "Reproduction scorecard", provenance=prov, source=source,
                          caption=SCORECARD_CAPTION, columns=SCORECARD_TABLE_COLUMNS,
                          row_classes=classes)]
    if len(not_run):
        tables.append(table_entry(not_run, f"Claims not run in this profile ({len(not_run)})",
                                  provenance=prov, source=source, columns=NOT_RUN_COLUMNS,
                                  collapsed=True,
                                  caption="Seed claims whose experiment is not part of this run."))
    return tables


def _tables(tables_dir: Path, strict: bool) -> tuple[list[dict], pd.DataFrame | None, pd.DataFrame | None]:
    """Entries for every CSV in ``tables_dir`` (experiments.csv first), plus the two frames."""
    entries, experiments, card = [], None, None
    for path in sorted(tables_dir.glob("*.csv"), key=lambda p: (p.name != "experiments.csv", p.name)):
        prov = _provenance([sidecar_path(path), tables_dir / TABLE_FALLBACK_PROV], str(path), strict)
        df = pd.read_csv(path)
        if path.name == "scorecard.csv":
            card = df
            entries += _scorecard_tables(df, str(path), prov)
        elif path.name == "experiments.csv":
            experiments = df
            entries.append(table_entry(df, "Experiments", provenance=prov, source=str(path),
                                       columns=EXPERIMENT_TABLE_COLUMNS, caption=EXPERIMENTS_CAPTION))
        else:
            title = path.stem.replace("_", " ").capitalize()
            entries.append(table_entry(df, title, provenance=prov, source=str(path)))
    return entries, experiments, card


def _run_tables(run: Mapping[str, Any], eval_prov: Mapping[str, Any] | None,
                derived_prov: Mapping[str, Any] | None) -> list[dict]:
    d, metrics = Path(run["dir"]), run["metrics"]
    summary = pd.DataFrame([{"metric": k, "value": format_value(k, metrics.get(k))}
                            for k in RUN_METRIC_KEYS if k in metrics])
    tables = [table_entry(summary, "Test metrics", provenance=eval_prov, source=str(d / "metrics.json"),
                          caption="Accuracies and F1 in %; loss = mean cross-entropy (nats).")]
    if run["per_class"] is not None:
        tables.append(table_entry(
            run["per_class"], "Per-class precision, recall, F1", provenance=eval_prov,
            source=str(d / "per_class.csv"), collapsed=len(run["per_class"]) > 25,
            caption="In %; the last two rows are the macro and weighted averages (their "
                    "accuracy: balanced accuracy and overall top-1)."))
    if run["confusion"] is not None and derived_prov is not None:
        cm = run["confusion"]
        pairs = top_confused_pairs(cm.to_numpy(), [str(c) for c in cm.columns], n=10)
        tables.append(table_entry(
            pairs, "Top-10 confused pairs", provenance=derived_prov, source=str(d / "confusion.csv"),
            caption="Largest off-diagonal confusion counts, derived by the report step."))
    return tables


def _run_section(name: str, runs_dir: Path, figures: list[dict], derived_prov: Mapping[str, Any] | None,
                 strict: bool) -> dict[str, Any]:
    run = load_run(runs_dir / name)
    eval_prov = _provenance([Path(run["dir"]) / "evaluate.prov.json"], f"{run['dir']} evaluation", strict)
    return {"name": name, "id": slug(f"exp-{name}"),
            "tables": _run_tables(run, eval_prov, derived_prov),
            "figures": [f for f in figures if f["experiment"] == name]}


def _summary(profile: Mapping[str, Any], experiments: pd.DataFrame | None,
             prov: Mapping[str, Any] | None, generated: str) -> list[tuple[str, str]]:
    git = (prov or {}).get("git") or {}
    dirty = git.get("dirty")
    tree = "unknown" if dirty is None else (
        "DIRTY: uncommitted changes to tracked files" if dirty else "clean")
    datasets = [] if experiments is None else sorted(experiments["dataset"].dropna().astype(str).unique())
    return [
        ("profile", str(profile.get("name") or MISSING)),
        ("profile description", str(profile.get("description") or MISSING)),
        ("device", str(profile.get("device") or MISSING)),
        ("datasets measured", ", ".join(datasets) or MISSING),
        ("experiments", str(0 if experiments is None else len(experiments))),
        ("git commit", git.get("commit") or "unknown (not a git work tree)"),
        ("working tree", tree),
        ("generated (UTC)", generated),
    ]


def _notices(card: pd.DataFrame | None) -> list[str]:
    """Warnings printed at the top: incomparable pairs and simulated seed values."""
    if card is None or card.empty:
        return []
    measured = card[~card["status"].isin(["not run", "not measured"])]
    off = measured[measured["status"] == "not comparable"]
    notes = []
    if len(off):
        notes.append(f"{len(off)} of {len(measured)} measured claims were made under different "
                     f"conditions (e.g. {off['reasons'].iloc[0]}): those pairs are shown side by "
                     "side but are not comparable.")
    if measured["simulated"].astype(bool).any():
        notes.append("Some seed values are marked '(s)', simulated, by the seed itself: "
                     "they are not measurements.")
    return notes


def build_report_context(
    *,
    tables_dir: str | os.PathLike,
    figure_dirs: Mapping[str, str | os.PathLike],
    runs_dir: str | os.PathLike,
    experiments: Sequence[str] | None = None,
    profile: Mapping[str, Any] | None = None,
    provenance: Mapping[str, Any] | None = None,
    title: str = "cifarlab reproduction report",
    strict: bool = True,
) -> dict[str, Any]:
    """Read the DAG's outputs and return the context :func:`render_report` takes.

    Args:
        tables_dir: ``results/tables``: every ``*.csv`` becomes a table (experiments.csv
            first; scorecard.csv is split into measured claims and claims not run).
        figure_dirs: section title -> folder of ``*.png`` with ``.prov.json`` sidecars,
            e.g. ``{"Data": "results/figures/data", "Summary": "results/figures/summary"}``.
            ``<kind>__<experiment>.png`` goes to that experiment's section, the rest to
            the titled section.
        runs_dir: ``results/runs``; each experiment's metrics.json, per_class.csv,
            confusion.csv and evaluate.prov.json are read.
        experiments: which run sections, in order (default: experiments.csv order).
        profile: ``{"name", "description", "device"}`` of the active profile.
        provenance: the report step's own record (collect_provenance). It gives the
            summary's commit and dirty flag and covers the tables the report derives
            (top confused pairs, shown only when given). Without it the summary falls
            back to the first table's record.
        strict: raise FileNotFoundError when a table or figure has no provenance record;
            otherwise the page shows a red "provenance record missing" box in its place.
    """
    generated = utc_now()
    tables, exp_df, card = _tables(Path(tables_dir), strict)
    if experiments is None:
        experiments = [] if exp_df is None else [str(n) for n in exp_df["experiment"]]
    figure_sections, per_experiment = [], []
    for section, folder in figure_dirs.items():
        entries = [figure_entry(p, strict=strict) for p in sorted(Path(folder).glob("*.png"))]
        # `<kind>__<name>.png` belongs to a run section only when <name> is an experiment
        # (the data previews are named after datasets and recipes).
        per_experiment += [e for e in entries if e["experiment"] in experiments]
        shared = [e for e in entries if e["experiment"] not in experiments]
        if shared:
            figure_sections.append({"title": section, "id": slug(f"figs-{section}"), "figures": shared})
    sections = [_run_section(n, Path(runs_dir), per_experiment, provenance, strict) for n in experiments]
    summary_prov = provenance or next((t["provenance"] for t in tables if t["provenance"]), None)
    return {
        "title": title, "generated_utc": generated,
        "summary": _summary(profile or {}, exp_df, summary_prov, generated),
        "notices": _notices(card), "tables": tables, "figure_sections": figure_sections,
        "experiments": sections, "provenance": dict(provenance) if provenance else None,
    }
