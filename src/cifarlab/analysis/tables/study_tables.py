"""The documents' own tables, computed from the aggregated results (pure pandas).

One function per table, found by name in :data:`TABLES` (in each document's order), each
``(inputs) -> DataFrame`` over :class:`TableInputs`. Accuracies are in percent here, as in
the documents; a metric measured over several seeds comes with ``<col>_std`` and the row's
``n_seeds``, which :func:`display` folds into "mean ± std (n)", and top-1 / top-5 with their
95% interval ``<col>_ci_low`` / ``<col>_ci_high``, folded into "[low, high]". Where a
table compares two runs, the paired comparison (cifarlab.analysis.stats.comparisons) gives
the difference with its interval and p. The documents' own numbers appear only in columns
named ``claimed ...``. A table whose experiments did not run in
this selection comes out empty (its rows are never invented).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from cifarlab.analysis.tables import next_steps

PERCENT = ("top1", "top5", "val_top1", "train_top1", "macro_f1", "weighted_f1")
# Counts print as integers (a mean over seeds that is not whole keeps one decimal), in the
# documents' tables (display) and the report's own (cifarlab.report.formatting).
COUNT_COLUMNS = frozenset({
    "rank", "params", "flops", "support", "epochs", "max_epochs", "best_epoch", "train_size", "num_classes",
    "n_test", "count", "top5_k", "latency_batch_size", "latency_threads", "n_seeds", "n_images", "n models",
    "epochs (document)", "batch size",
})
_SUFFIXES = ("", "_std", "_ci_low", "_ci_high")  # a metric's partner columns, in display order
_CI = ("_ci_low", "_ci_high")


@dataclass(frozen=True)
class TableInputs:
    experiments: pd.DataFrame  # cifarlab.analysis.tables.experiments.aggregate()
    claims: Sequence[Mapping[str, Any]] = ()  # cifarlab.report.load_claims()
    facts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # load_study_facts()
    per_class: Mapping[str, pd.DataFrame] = field(default_factory=dict)  # experiment -> per_class.csv
    comparisons: pd.DataFrame | None = None  # cifarlab.analysis.stats.comparisons.comparison_table()
    confusion: Mapping[str, pd.DataFrame] = field(default_factory=dict)  # experiment -> seed-mean confusion counts
    ensembles: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # ensemble -> its metrics.json


@dataclass(frozen=True)
class StudyTable:
    study: str
    key: str
    caption: str  # what the document calls it
    build: Callable[[TableInputs], pd.DataFrame]
    note: str = ""
    section: str = ""  # "next_steps": proposed by the document, not run in it (shown apart)


def _rows(inputs: TableInputs, names: Sequence[str], labels: Mapping[str, str] | None = None,
          label: str = "experiment") -> pd.DataFrame:
    """The aggregate rows of ``names`` that ran, in that order, accuracies in percent."""
    df = inputs.experiments.set_index("experiment")
    present = [n for n in names if n in df.index]
    out = df.loc[present].reset_index()
    for col in PERCENT:
        for suffix in _SUFFIXES:
            if col + suffix in out:
                out[col + suffix] = out[col + suffix] * 100.0
    if labels:
        out = out.drop(columns=[label], errors="ignore")
        out.insert(0, label, [labels.get(n, n) for n in present])
    return out


def _keep(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``columns`` (and their ``_std`` / ``_ci_low`` / ``_ci_high`` partners, and n_seeds),
    in that order."""
    cols = []
    for c in columns:
        cols += [c + x for x in _SUFFIXES if c + x in df]
    cols += ["n_seeds"] if "n_seeds" in df and "n_seeds" not in cols else []
    return df[[c for c in cols if c in df]].reset_index(drop=True)


def _claimed(inputs: TableInputs, experiment: str, metric: str) -> float:
    """The document's first claim of ``metric`` for ``experiment`` (NaN if none)."""
    for c in inputs.claims:
        if c["experiment"] == experiment and c["metric"] == metric:
            return float(c["claimed"])
    return float("nan")


def _with_pairs(i: TableInputs, df: pd.DataFrame, reference: Mapping[str, str], label: str,
                p_label: str = "p") -> pd.DataFrame:
    """Adds ``label`` (experiment minus its ``reference[experiment]``, points) with its 95%
    paired-bootstrap interval, and ``p_label`` (McNemar, seeds combined), for the rows whose
    comparison was measured; a row without one keeps ``label`` as it was (or NaN)."""
    from cifarlab.analysis.stats.comparisons import lookup

    if label not in df:
        df[label] = np.nan
    for col in (label + _CI[0], label + _CI[1], p_label):
        df[col] = np.nan
    for k, exp in df["experiment"].items():
        pair = lookup(i.comparisons, exp, reference.get(exp, ""))
        if pair is not None:
            df.loc[k, label] = pair["delta"] * 100.0
            df.loc[k, label + _CI[0]], df.loc[k, label + _CI[1]] = pair["delta_ci_low"] * 100.0, \
                pair["delta_ci_high"] * 100.0
            df.loc[k, p_label] = pair["p_value"]
    return df


def _bases(i: TableInputs, names: Sequence[str]) -> dict[str, str]:
    """experiment -> its ablation base (params.yaml's ablation_of)."""
    if "ablation_of" not in i.experiments:
        return {}
    base = i.experiments.set_index("experiment")["ablation_of"]
    return {n: str(base[n]) for n in names if n in base.index and isinstance(base[n], str)}


def _with_claims(inputs: TableInputs, df: pd.DataFrame, metrics: Mapping[str, str]) -> pd.DataFrame:
    for metric, column in metrics.items():
        df[column] = [_claimed(inputs, e, metric) for e in df["experiment"]]
    return df


def s000_result(i: TableInputs) -> pd.DataFrame:
    df = _rows(i, ["cnn4"])
    df = _with_claims(i, df, {"top1": "claimed top1"})
    return _keep(df, ["experiment", "top1", "claimed top1", "val_top1", "epochs", "best_epoch", "params"])


S001_STAGES = {"simple_cnn": "1 SimpleCNN", "refined_cnn": "2 RefinedCNN", "se_resnet18": "3 SE-ResNet18",
               "efficientnet_b2": "4 EfficientNet-B2"}


def s001_stages(i: TableInputs) -> pd.DataFrame:
    df = _rows(i, list(S001_STAGES), S001_STAGES, "stage")
    df = _with_claims(i, df, {"val_top1": "claimed val_top1", "top1": "claimed top1"})
    df["pretrained"] = [_pretrained(r) for r in df.to_dict("records")]
    ran = list(df["experiment"])
    df = _with_pairs(i, df, dict(zip(ran[1:], ran)), "delta to previous stage")
    return _keep(df, ["stage", "experiment", "train_top1", "val_top1", "claimed val_top1", "top1",
                      "claimed top1", "delta to previous stage", "p", "pretrained"])


def _pretrained(row: Mapping[str, Any]) -> str:
    if isinstance(row.get("pretrained_note"), str) and row["pretrained_note"]:
        return "no (weights absent: random init)"
    return "yes" if row.get("pretrained") in (True, 1, 1.0) else "no"


S001_ABLATION = {"efficientnet_b2": "full", "efficientnet_b2_no_pretrain": "no_pretrain",
                 "efficientnet_b2_no_resize": "no_resize",
                 "efficientnet_b2_no_label_smoothing": "no_label_smoothing",
                 "efficientnet_b2_no_random_erasing": "no_random_erasing"}


def s001_ablation(i: TableInputs) -> pd.DataFrame:
    df = _rows(i, list(S001_ABLATION), S001_ABLATION, "run")
    full = df.loc[df["experiment"] == "efficientnet_b2", "top1"]
    df["delta to full"] = df["top1"] - (full.iloc[0] if len(full) else np.nan)
    df = _with_pairs(i, df, _bases(i, df["experiment"]), "delta to full")
    df.loc[df["experiment"] == "efficientnet_b2", "delta to full"] = 0.0
    df = _with_claims(i, df, {"top1": "claimed top1", "peak_mem_mb": "claimed MB", "latency_ms_batched": "claimed ms",
                              "top1_gain": "claimed delta"})
    df["pretrained"] = [_pretrained(r) for r in df.to_dict("records")]
    return _keep(df, ["run", "experiment", "top1", "claimed top1", "delta to full", "p", "claimed delta",
                      "peak_mem_mb", "claimed MB",
                      "latency_ms_per_image_batched", "claimed ms", "params", "pretrained"])


def _family_of(facts: Mapping[str, Any]) -> dict[str, str]:
    return {m: fam for fam, models in (facts.get("families") or {}).items() for m in models}


def s002_table1(i: TableInputs) -> pd.DataFrame:
    facts = i.facts.get("s002", {})
    models = list(_family_of(facts))
    df = _rows(i, models)
    df = df.sort_values("top1", ascending=False, na_position="last", kind="stable").reset_index(drop=True)
    df["rank"] = np.arange(1, len(df) + 1)
    df["params M"] = df["params"] / 1e6
    df["train hours"] = df["train_seconds"] / 3600.0
    df["parameter efficiency"] = df["top1"] / df["params M"]
    df["innovation"] = ["yes" if m in set(facts.get("innovations") or ()) else "no" for m in df["experiment"]]
    df = _with_claims(i, df, {"top1": "claimed top1"})
    ranked = list(df["experiment"])
    df = _with_pairs(i, df, dict(zip(ranked[1:], ranked)), "gap to rank above", "p (rank above)")
    df["tied with rank above"] = [_tied(i, e, r) for e, r in zip(ranked, [None] + ranked[:-1])]
    return _keep(df, ["rank", "experiment", "top1", "top5", "gap to rank above", "p (rank above)",
                      "tied with rank above", "params M", "train hours", "parameter efficiency",
                      "innovation", "claimed top1"])


def _tied(i: TableInputs, experiment: str, reference: str | None) -> str:
    """'yes' / 'no' where the paired comparison was measured, else ''."""
    from cifarlab.analysis.stats.comparisons import lookup

    pair = lookup(i.comparisons, experiment, reference or "")
    return "" if pair is None else ("yes" if bool(pair["tied"]) else "no")


def s002_table2(i: TableInputs) -> pd.DataFrame:
    facts = i.facts.get("s002", {})
    df = _rows(i, list(_family_of(facts)))
    df["family"] = df["experiment"].map(_family_of(facts))
    rows = []
    for fam, models in (facts.get("families") or {}).items():
        part = df[df["family"] == fam]
        if part.empty:
            continue
        claimed = (facts.get("family_claims") or {}).get(fam, [np.nan] * 3)
        rows.append({"family": fam, "models": ", ".join(part["experiment"]), "n models": len(part),
                     "mean top1": part["top1"].mean(), "claimed mean top1": claimed[0],
                     "mean params M": part["params"].mean() / 1e6, "claimed params M": claimed[1],
                     "mean train hours": part["train_seconds"].mean() / 3600.0, "claimed hours": claimed[2]})
    return pd.DataFrame(rows)


def _ablation(i: TableInputs, labels: Mapping[str, str], label: str) -> pd.DataFrame:
    df = _rows(i, list(labels), labels, label)
    df = _with_claims(i, df, {"top1": "claimed top1"})
    df["train hours"] = df["train_seconds"] / 3600.0
    bases = _bases(i, df["experiment"])
    df["base"] = [bases.get(e, "") for e in df["experiment"]]
    df = _with_pairs(i, df, bases, "delta to base")
    return _keep(df, [label, "experiment", "top1", "claimed top1", "base", "delta to base", "p", "params",
                      "train hours"])


def s002_table3(i: TableInputs) -> pd.DataFrame:
    return _ablation(i, {"resnet_20": "ResNet-20 (baseline)", "ecanet20_adaptive": "adaptive k",
                         "ecanet20_fixed_k3": "k=3", "ecanet20_fixed_k5": "k=5", "ecanet20_fixed_k7": "k=7",
                         "ecanet20_fixed_k9": "k=9"}, "configuration")


def s002_ghost_ratio(i: TableInputs) -> pd.DataFrame:
    return _ablation(i, {"resnet_20": "ResNet-20 (baseline)", "ghost_resnet_20": "ratio 2",
                         "ghost_resnet_20_r4": "ratio 4"}, "configuration")


def s002_eca_position(i: TableInputs) -> pd.DataFrame:
    return _ablation(i, {"resnet_20": "ResNet-20 (baseline)", "eca_resnet_20_pos1": "after conv1",
                         "eca_resnet_20": "after conv2, before the add", "eca_resnet_20_pos3": "after the add"},
                     "ECA position")


def s003_se_gain(i: TableInputs) -> pd.DataFrame:
    df = _rows(i, ["resnet50_imagenet", "resnet50_se_imagenet"], {"resnet50_imagenet": "without SE",
                                                                 "resnet50_se_imagenet": "with SE"}, "variant")
    base = df.loc[df["experiment"] == "resnet50_imagenet", "top1"]
    df["gain (points)"] = df["top1"] - (base.iloc[0] if len(base) else np.nan)
    df = _with_pairs(i, df, {"resnet50_se_imagenet": "resnet50_imagenet"}, "gain (points)")
    df["claimed gain"] = [_claimed(i, e, "top1_gain") for e in df["experiment"]]
    return _keep(df, ["variant", "experiment", "top1", "gain (points)", "p", "claimed gain", "pretrained_note"])


S004_MODELS = ["resnet18", "resnet34", "resnet50", "wrn_28_10", "dla34", "vit", "wrn_16_8"]


def s004_models(i: TableInputs) -> pd.DataFrame:
    df = _rows(i, S004_MODELS)
    df = _with_claims(i, df, {"train_top1": "claimed train", "val_top1": "claimed val", "top1": "claimed test"})
    return _keep(df, ["experiment", "train_top1", "val_top1", "top1", "claimed train", "claimed val",
                      "claimed test", "epochs", "best_epoch"])


DLA_GRID = {f"dla34_b{b}_e{e}": (b, e) for b in (64, 128, 256) for e in (20, 50, 100)}
DLA_GRID["dla34"] = DLA_GRID.pop("dla34_b256_e100")


def s004_dla34_grid(i: TableInputs) -> pd.DataFrame:
    """Test top-1 (%) by epochs (rows) and batch size (columns), as the document lays it out."""
    df = _rows(i, list(DLA_GRID))
    if df.empty:
        return pd.DataFrame()
    df["batch size"] = [DLA_GRID[e][0] for e in df["experiment"]]
    df["epochs (document)"] = [DLA_GRID[e][1] for e in df["experiment"]]
    values = [c for c in ("top1", "top1_ci_low", "top1_ci_high") if c in df]
    grid = df.pivot_table(index="epochs (document)", columns="batch size", values=values)
    grid.columns = [f"batch {b}" + v.removeprefix("top1") for v, b in grid.columns]
    order = [f"batch {b}" + x for b in sorted(df["batch size"].unique()) for x in ("",) + _CI]
    return grid[[c for c in order if c in grid]].reset_index()


def s004_grid_vs_best(i: TableInputs) -> pd.DataFrame:
    """Each DLA-34 grid cell against the best cell: paired difference, interval, p, tied."""
    pairs = i.comparisons
    if pairs is None or pairs.empty:
        return pd.DataFrame()
    part = pairs[pairs["kind"] == "grid_vs_best"]
    rows = [{"experiment": r.experiment, "batch size": DLA_GRID[r.experiment][0],
             "epochs (document)": DLA_GRID[r.experiment][1], "best cell": r.reference,
             "delta to best": r.delta * 100.0, "delta to best_ci_low": r.delta_ci_low * 100.0,
             "delta to best_ci_high": r.delta_ci_high * 100.0, "p": r.p_value,
             "tied with best": "yes" if r.tied else "no"} for r in part.itertuples() if r.experiment in DLA_GRID]
    return pd.DataFrame(rows)


def s004_per_class(i: TableInputs) -> pd.DataFrame:
    """wrn_16_8's per-class precision / recall / F1 (%) with macro and weighted averages."""
    frame = i.per_class.get("wrn_16_8")
    if frame is None:
        return pd.DataFrame()
    out = frame.copy()
    for col in ("precision", "recall", "f1"):
        if col in out:
            out[col] = out[col] * 100.0
    return out.reset_index(drop=True)


TABLES: tuple[StudyTable, ...] = (
    StudyTable("s000", "result", "s000 result (section 3.6)", s000_result),
    StudyTable("s001", "stages", "s001 stage progression", s001_stages),
    StudyTable("s001", "ablation", "s001 stage 4 ablation table", s001_ablation,
               "memory: peak MiB of the evaluation process; latency: ms per image at the profile's batch"),
    StudyTable("s002", "table1", "s002 Table 1", s002_table1, "parameter efficiency = top-1 % / params M"),
    StudyTable("s002", "table2", "s002 Table 2", s002_table2, "the document's families"),
    StudyTable("s002", "table3", "s002 Table 3 (ECA kernel size)", s002_table3),
    StudyTable("s002", "ghost_ratio", "s002 Figure 7 (Ghost ratio)", s002_ghost_ratio),
    StudyTable("s002", "eca_position", "s002 Figure 8 (ECA position)", s002_eca_position),
    StudyTable("s003", "se_gain", "s003 top-1 with and without SE", s003_se_gain),
    StudyTable("s004", "models", "s004 section 1.7 model table", s004_models),
    StudyTable("s004", "dla34_grid", "s004 section 1.4 batch x epochs grid (DLA-34)", s004_dla34_grid,
               "rows are the document's epoch budgets; the quick profile caps every run's epochs"),
    StudyTable("s004", "dla34_grid_vs_best", "s004 section 1.4 grid: each cell against the best", s004_grid_vs_best,
               "delta in points with its 95% paired-bootstrap interval; p: McNemar's exact test, seeds "
               "combined; tied: the interval covers 0 or p >= 0.05"),
    StudyTable("s004", "per_class", "s004 section 2.3 classification report (WRN-16-8)", s004_per_class),
) + tuple(StudyTable(*spec, section="next_steps") for spec in next_steps.TABLE_SPECS)


def build_tables(inputs: TableInputs) -> dict[tuple[str, str], pd.DataFrame]:
    """Every table of :data:`TABLES`, keyed by (study, key)."""
    return {(t.study, t.key): t.build(inputs) for t in TABLES}


def display(df: pd.DataFrame, digits: int = 2) -> pd.DataFrame:
    """Strings for a page: "mean ± std (n)" where a column has a ``_std`` partner and the
    row several seeds, then " [low, high]" where it has ``_ci_low`` / ``_ci_high`` partners
    (its 95% interval); the partner and ``n_seeds`` columns folded away; a p-value column
    (named ``p`` or ``p (...)``) in 3 significant digits."""
    out = pd.DataFrame(index=df.index)
    n = df["n_seeds"] if "n_seeds" in df else pd.Series(1, index=df.index)
    partners = {c + x for c in df.columns for x in ("_std",) + _CI if c + x in df}
    for col in df.columns:
        if col in partners or col == "n_seeds":
            continue
        std, low, high = (df.get(col + x) for x in ("_std",) + _CI)
        if col == "p" or str(col).startswith("p ("):
            out[col] = ["" if pd.isna(v) else f"{v:.3g}" for v in df[col]]
            continue
        places = 0 if col in COUNT_COLUMNS else digits
        out[col] = [_cell(v, None if std is None else std[k], n[k], places)
                    + ("" if low is None else _interval(low[k], high[k], digits)) for k, v in df[col].items()]
    return out


def count_text(value: float) -> str:
    """A count: "76,562"; a mean of counts over seeds that is not whole: "28.3"."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _interval(low: Any, high: Any, digits: int) -> str:
    if pd.isna(low) or pd.isna(high):
        return ""
    return f" [{low:.{digits}f}, {high:.{digits}f}]"


def _cell(value: Any, std: Any, n: Any, digits: int) -> str:
    """``digits`` 0: a count (:func:`count_text`)."""
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return ""
        if digits == 0:
            text = count_text(value)
        else:
            text = f"{value:,.{digits}f}" if abs(value) < 1e5 else f"{value:,.0f}"
        if std is not None and not pd.isna(std) and int(n) > 1:
            text += f" ± {std:.{max(digits, 1)}f} ({int(n)})"
        return text
    if isinstance(value, (int, np.integer)):
        return f"{value:,}"
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
