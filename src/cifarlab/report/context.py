"""Report items from the files the DAG wrote: tables and figures, each with its provenance.

Every table and figure entry carries the provenance record of the step that made it:
tables in ``results/tables`` -> ``<name>.prov.json`` or the folder's ``aggregate.prov.json``;
figures -> their ``<name>.prov.json`` sidecar (whose ``extra`` holds the catalogue entry:
figure, study, label, caption, experiment); a run's tables -> its ``evaluate.prov.json``.
With ``strict`` (the default) a missing record is an error.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from cifarlab.analysis.tables.experiments import top_confused_pairs
from cifarlab.provenance import read_provenance, sidecar_path
from cifarlab.report.formatting import format_value, table_rows

PER_EXPERIMENT_SEP = "__"  # as cifarlab.analysis.figures.figbase.figure_name names per-experiment figures
TABLE_FALLBACK_PROV = "aggregate.prov.json"
TEXT_CELL_CHARS = 32  # a column with a longer cell is prose (see column_class)
RUN_METRIC_KEYS = (
    "top1", "top1_std", "n_seeds", "seeds", "top5", "loss", "macro_f1", "weighted_f1", "balanced_accuracy",
    "params", "flops", "latency_ms_per_image_b1", "latency_ms_per_image_batched", "latency_batch_size",
    "peak_mem_mb", "peak_mem_source", "device", "train_seconds", "epochs", "best_epoch", "n_test",
)


def slug(text: str) -> str:
    """An HTML id (or file name) from ``text``."""
    return re.sub(r"[^a-zA-Z0-9_-]+", "-", text).strip("-").lower() or "item"


def find_provenance(candidates: Sequence[Path], what: str, strict: bool) -> dict[str, Any] | None:
    """The first record among ``candidates`` (with its ``source``); None or an error if none."""
    for path in candidates:
        if path.is_file():
            return {**read_provenance(path), "source": str(path)}
    if strict:
        looked = ", ".join(map(str, candidates))
        raise FileNotFoundError(f"{what}: no provenance record (looked for {looked})")
    return None


def column_class(cells: Sequence[str]) -> str:
    """How a column lays out: "text" (prose: reasons, caveats; wraps in a readable width),
    "wrap" (phrases and snake_case names; may wrap at spaces and underscores when the table
    is too wide for the page), "" (numbers and intervals: one line)."""
    if any(len(c) > TEXT_CELL_CHARS and " " in c for c in cells):
        return "text"
    return "wrap" if any(re.search(r"[a-zA-Z]", c) and re.search(r"[ _]", c) for c in cells) else ""


def table_entry(df: pd.DataFrame, title: str, *, provenance: Mapping[str, Any] | None, source: str,
                caption: str = "", columns: Sequence[str] | None = None, collapsed: bool = False,
                row_classes: Sequence[str] | None = None, label: str = "", note: str = "",
                as_written: bool = False, layout: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One table for the templates: header, rows of display strings, provenance.

    ``as_written``: numbers in the CSV's own units (the documents' tables), else
    fractions shown as percent (:func:`cifarlab.report.formatting.format_value`).
    ``layout``: column -> class where a table knows better than :func:`column_class`."""
    header, rows = table_rows(df, columns, as_written=as_written)
    src = Path(source)
    cols = [c for c in (columns or df.columns) if c in df.columns]  # as table_rows keeps them
    classes = [(layout or {}).get(c) or column_class([r[i] for r in rows]) for i, c in enumerate(cols)]
    return {
        "id": slug(f"table-{src.parent.name}-{src.stem}-{title}"), "title": title, "label": label,
        "caption": caption, "note": note, "columns": header, "rows": rows,
        "row_classes": list(row_classes or [""] * len(rows)), "provenance": provenance,
        "col_classes": classes,
        "source": source, "collapsed": collapsed,
    }


def figure_entry(path: str | os.PathLike, href: str, *, strict: bool = True) -> dict[str, Any]:
    """One figure: its file (``href`` relative to the report root), caption, provenance.

    Title and caption come from the sidecar's ``extra`` (label, caption) when present.
    """
    p = Path(path)
    kind, _, experiment = p.stem.partition(PER_EXPERIMENT_SEP)
    prov = find_provenance([sidecar_path(p)], str(p), strict)
    extra = (prov or {}).get("extra") or {}
    title = extra.get("label") or kind.replace("_", " ").capitalize()
    if experiment and experiment not in title:
        title += f": {experiment}"
    return {
        "id": slug(f"fig-{p.parent.name}-{p.stem}"), "title": title, "caption": extra.get("caption") or "",
        "kind": kind, "experiment": experiment or None, "study": extra.get("study"), "stem": p.stem,
        "href": href, "file": str(p), "provenance": prov, "source": str(p),
        "intervals": list(extra.get("intervals") or []),  # what its error bars show, if any
    }


def run_tables(run: Mapping[str, Any], eval_prov: Mapping[str, Any] | None,
               derived_prov: Mapping[str, Any] | None) -> list[dict]:
    """An experiment page's tables: test metrics, per-class P/R/F1, top-10 confused pairs."""
    d, metrics = Path(run["dir"]), run["metrics"]
    summary = pd.DataFrame([{"metric": k, "value": format_value(k, metrics.get(k))}
                            for k in RUN_METRIC_KEYS if k in metrics])
    tables = [table_entry(summary, "Test metrics", provenance=eval_prov, source=str(d / "metrics.json"),
                          caption="Accuracies and F1 in %; loss = mean cross-entropy (nats).")]
    if run.get("per_class") is not None:
        tables.append(table_entry(
            run["per_class"], "Per-class precision, recall, F1", provenance=eval_prov,
            source=str(d / "per_class.csv"), collapsed=len(run["per_class"]) > 25,
            caption="In %; the last two rows are the macro and weighted averages (their "
                    "accuracy: balanced accuracy and overall top-1)."))
    if run.get("confusion") is not None and derived_prov is not None:
        cm = run["confusion"]
        pairs = top_confused_pairs(cm.to_numpy(), [str(c) for c in cm.columns], n=10)
        if len(pairs):
            tables.append(table_entry(
                pairs, "Top-10 confused pairs", provenance=derived_prov, source=str(d / "confusion.csv"),
                caption="Largest off-diagonal confusion counts, derived by the report step."))
    return tables
