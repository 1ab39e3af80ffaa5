"""The report as a site: an index, one page per study (laid out like its document), one page
per experiment. Pure data: :func:`build_site` reads the DAG's files into a dict that
:func:`cifarlab.report.render.render_site` writes out.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from cifarlab.analysis.figures.catalogue import FIGURES, OVERVIEW, FigureSpec, study_figures
from cifarlab.analysis.runs import load_run
from cifarlab.analysis.tables.study_tables import display
from cifarlab.io import read_json
from cifarlab.provenance import sidecar_path, utc_now
from cifarlab.report.context import figure_entry, find_provenance, run_tables, slug, table_entry
from cifarlab.report.formatting import MISSING, interval_label, with_intervals
from cifarlab.report.scorecard_page import scorecard_section, verdicts

TABLE_FALLBACK_PROV = "aggregate.prov.json"
TABLES_INDEX = "tables.json"  # the documents' tables in document order (aggregate writes it)
STUDY_TITLES = {
    OVERVIEW: "All studies: overview",
    "s000": "s000: lightweight CNN on CIFAR-10",
    "s001": "s001: staged CIFAR-10 study (simple CNN to EfficientNet-B2)",
    "s002": "s002: CIFAR-100 architecture zoo",
    "s003": "s003: SE attention on ResNet-50",
    "s004": "s004: CIFAR-10 ResNet family",
}
# The index's overview of every run fits a 1400 px page; the model, recipe, memory and the
# other metrics are on each experiment's page, parameter efficiency in s002 Table 1.
EXPERIMENT_COLUMNS = (
    "rank", "experiment", "study", "dataset", "top1", interval_label("top1"), "top1_std", "n_seeds", "top5",
    "macro_f1", "params", "latency_ms_per_image_b1", "train_seconds", "epochs", "best_epoch",
)
# runs.csv has every metric and fact of each seed: the page shows what a reader compares.
RUN_COLUMNS = (
    "experiment", "seed", "study", "top1", interval_label("top1"), "top5", interval_label("top5"), "loss",
    "macro_f1", "val_top1", "params", "epochs", "best_epoch", "n_test", "train_seconds", "device",
)
QUICK_BANNER = (
    "Quick profile: small data, few epochs, CPU. These numbers check that the workflow runs; they "
    "are not a reproduction of any document's result, whatever the scorecard's claimed column says.")


def _table_prov(path: Path, strict: bool) -> dict[str, Any] | None:
    return find_provenance([sidecar_path(path), path.parent / TABLE_FALLBACK_PROV], str(path), strict)


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:  # a table the run had no rows for
        return pd.DataFrame()


def _document_tables(tables_dir: Path, strict: bool) -> tuple[dict[str, list[dict]], dict[str, list[str]]]:
    """study -> its tables from tables.json in document order; study -> captions of the
    tables this run has no rows for (listed as not produced, never shown empty)."""
    index = tables_dir / TABLES_INDEX
    out: dict[str, list[dict]] = {}
    empty: dict[str, list[str]] = {}
    if not index.is_file():
        return out, empty
    for item in read_json(index):
        path = tables_dir / Path(str(item["file"])).name
        if not path.is_file():
            raise FileNotFoundError(f"{index}: lists {item['file']}, which does not exist")
        df, caption, study = _read_csv(path), str(item.get("caption") or item["key"]), str(item["study"])
        if df.empty:
            empty.setdefault(study, []).append(f"{caption} (no rows in this run)")
            continue
        out.setdefault(study, []).append({**table_entry(
            # "mean ± std (n)" where a metric has several seeds
            display(df), caption, provenance=_table_prov(path, strict), source=str(path), label=caption,
            note=str(item.get("note") or ""), as_written=True), "section": str(item.get("section") or "")})
    return out, empty


def _figures(figure_dirs: Mapping[str, str | os.PathLike], strict: bool, experiments: Sequence[str]
             ) -> dict[str, dict]:
    """stem -> figure entry for every PNG of the figure folders (href: figures/<section>/<file>).

    ``<kind>__<name>.png`` belongs to an experiment only when <name> is one (the data
    previews are named after datasets and recipes)."""
    found = {}
    for section, folder in figure_dirs.items():
        for p in sorted(Path(folder).glob("*.png")):
            entry = figure_entry(p, f"figures/{slug(section)}/{p.name}", strict=strict)
            if entry["experiment"] not in experiments:
                entry["experiment"] = None
            found[p.stem] = entry
    return found


def _ref_stem(spec: FigureSpec, facts: Mapping[str, Mapping[str, Any]]) -> str:
    """The file stem a study-page entry shows."""
    if spec.scope == "summary":
        return spec.name
    exp = facts.get(spec.experiment or "", {})
    if spec.ref == "augment":
        return f"augment__{exp.get('recipe')}"
    if spec.ref == "samples":
        return f"samples__{exp.get('dataset')}"
    return f"{spec.ref}__{spec.experiment}"


def _study_page(study: str, figures: Mapping[str, dict], tables: list[dict],
                facts: Mapping[str, Mapping[str, Any]], titles: Mapping[str, str]) -> dict[str, Any]:
    shown, missing = [], []
    for spec in study_figures(study):
        entry = figures.get(_ref_stem(spec, facts))
        if entry is None:
            why = f"{spec.experiment} not in this run" if spec.experiment and spec.experiment not in facts \
                else "no data for it in this run"
            missing.append(f"{spec.label} ({why})")
            continue
        caption = spec.caption if spec.scope == "ref" else entry["caption"]
        detail = entry["caption"] if spec.scope == "ref" and entry["caption"] != caption else ""
        shown.append({**entry, "id": slug(f"{study}-{spec.name}"), "title": spec.label,
                      "caption": " ".join(c for c in (caption, detail) if c)})
    exps = sorted(e for e, f in facts.items() if f.get("study") == study)
    title = f"{study}: {titles[study]}" if study in titles else STUDY_TITLES.get(study, study)
    own = [t for t in tables if t.get("section") != "next_steps"]
    return {"study": study, "title": title, "file": f"studies/{study}.html",
            "tables": own, "next_steps": [t for t in tables if t not in own], "figures": shown,
            "missing": missing, "experiments": exps}


def _experiment_page(name: str, fact: Mapping[str, Any], runs_dir: Path, figures: Mapping[str, dict],
                     derived_prov: Mapping[str, Any] | None, strict: bool) -> dict[str, Any]:
    run = load_run(runs_dir / name)
    eval_prov = find_provenance(
        [Path(run["dir"]) / "eval" / "evaluate.prov.json", Path(run["dir"]) / "evaluate.prov.json"],
        f"{run['dir']} evaluation", strict)
    order = {spec.name: i for i, spec in enumerate(FIGURES.values())}
    mine = [f for f in figures.values() if f["experiment"] == name]
    mine.sort(key=lambda f: order.get(f["kind"], len(order)))
    return {"name": name, "file": f"experiments/{slug(name)}.html", "study": fact.get("study"),
            "description": str(fact.get("description") or ""), "model": fact.get("model"),
            "tables": run_tables(run, eval_prov, derived_prov), "figures": mine}


def _summary(profile: Mapping[str, Any], exp_df: pd.DataFrame | None, prov: Mapping[str, Any] | None,
             generated: str) -> list[tuple[str, str]]:
    git = (prov or {}).get("git") or {}
    dirty = git.get("dirty")
    tree = "unknown" if dirty is None else ("DIRTY: uncommitted changes to tracked files" if dirty else "clean")
    datasets = [] if exp_df is None else sorted(exp_df["dataset"].dropna().astype(str).unique())
    return [
        ("profile", str(profile.get("name") or MISSING)),
        ("profile description", str(profile.get("description") or MISSING)),
        ("device", str(profile.get("device") or MISSING)),
        ("datasets measured", ", ".join(datasets) or MISSING),
        ("experiments", str(0 if exp_df is None else len(exp_df))),
        ("git commit", git.get("commit") or "unknown (not a git work tree)"),
        ("working tree", tree),
        ("generated (UTC)", generated),
    ]


def _notices(card: pd.DataFrame | None) -> list[str]:
    """Warnings at the top of the index: incomparable pairs and simulated document values."""
    if card is None or card.empty:
        return []
    verdict = verdicts(card)
    measured = card[~verdict.isin(["not run", "not measured"])]
    off = measured[verdicts(measured) == "not comparable"]
    notes = []
    if len(off):
        why = off["reason"] if "reason" in off.columns else off["reasons"]
        notes.append(f"{len(off)} of {len(measured)} measured claims were made under different conditions "
                     f"(e.g. {why.iloc[0]}): those pairs are shown side by side but are not comparable.")
    if "simulated" in measured.columns and measured["simulated"].astype(bool).any():
        notes.append("Some document values are marked '(s)', simulated, by the document itself: "
                     "they are not measurements.")
    return notes


def build_site(*, tables_dir: str | os.PathLike, figure_dirs: Mapping[str, str | os.PathLike],
               runs_dir: str | os.PathLike, experiments: Mapping[str, Mapping[str, Any]],
               profile: Mapping[str, Any], provenance: Mapping[str, Any] | None = None,
               study_titles: Mapping[str, str] | None = None, title: str = "cifarlab reproduction report",
               strict: bool = True) -> dict[str, Any]:
    """Read the DAG's outputs into the pages of the report.

    Args:
        tables_dir: ``results/tables`` (experiments.csv, scorecard.csv, optional runs.csv,
            tables.json + the documents' tables).
        figure_dirs: section -> folder of PNGs with ``.prov.json`` sidecars; files are
            linked as ``figures/<section>/<file>`` (render_site copies them there).
        runs_dir: ``results/runs``; experiments: name -> {study, description, model, ...}
            in page order; profile: {name, description, device}; study_titles: study ->
            title (params.yaml ``studies.<s>.title``; default STUDY_TITLES).
        provenance: the report step's own record (commit and dirty flag of the summary;
            covers the tables the report derives, such as the top confused pairs).
        strict: a table or figure without a provenance record is an error (else a red box).
    """
    tables_dir, generated = Path(tables_dir), utc_now()
    exp_path, card_path = tables_dir / "experiments.csv", tables_dir / "scorecard.csv"
    exp_df = pd.read_csv(exp_path) if exp_path.is_file() else None
    card = pd.read_csv(card_path) if card_path.is_file() else None
    figures = _figures(figure_dirs, strict, list(experiments))
    facts = {n: {**dict(f), **({} if exp_df is None else next(
        (r for r in exp_df.to_dict("records") if r["experiment"] == n), {}))} for n, f in experiments.items()}
    scorecard = None if card is None else scorecard_section(card, str(card_path), _table_prov(card_path, strict))
    index_tables = []
    if exp_df is not None:
        index_tables.append(table_entry(with_intervals(exp_df), "Experiments", provenance=_table_prov(exp_path, strict),
                                        source=str(exp_path), columns=EXPERIMENT_COLUMNS,
                                        caption="One row per experiment (mean over seeds), best test top-1 first."))
    doc_tables, empty_tables = _document_tables(tables_dir, strict)
    runs_csv = tables_dir / "runs.csv"
    if runs_csv.is_file():
        doc_tables.setdefault(OVERVIEW, []).append(table_entry(
            with_intervals(pd.read_csv(runs_csv)), "Every seed of every experiment", columns=RUN_COLUMNS,
            provenance=_table_prov(runs_csv, strict), source=str(runs_csv), collapsed=True))
    names = sorted(({str(f.get("study")) for f in facts.values()} | set(doc_tables) | set(empty_tables)) - {OVERVIEW})
    studies = [_study_page(s, figures, doc_tables.get(s, []), facts, study_titles or {}) for s in [OVERVIEW] + names]
    for page in studies:
        page["missing"] = empty_tables.get(page["study"], []) + page["missing"]
    pages = [_experiment_page(n, facts[n], Path(runs_dir), figures, provenance, strict) for n in experiments]
    quick = str(profile.get("name")) == "quick"
    return {
        "title": title, "generated_utc": generated, "profile": dict(profile), "quick": quick,
        "banner": QUICK_BANNER if quick else f"Profile {profile.get('name')}: only scorecard rows with a "
                  "'reproduced', 'not reproduced' or 'inconclusive' verdict compare with a document.",
        "summary": _summary(profile, exp_df, provenance or (index_tables[0]["provenance"] if index_tables else None),
                            generated),
        "notices": _notices(card), "scorecard": scorecard, "tables": index_tables, "studies": studies,
        "experiments": pages,
        "figures": list(figures.values()), "provenance": dict(provenance) if provenance else None,
    }
