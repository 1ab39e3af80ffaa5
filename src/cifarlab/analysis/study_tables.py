"""The documents' own tables, computed from the aggregated results (pure pandas).

One function per table, found by name in :data:`TABLES` (in each document's order), each
``(inputs) -> DataFrame`` over :class:`TableInputs`. Accuracies are in percent here, as in
the documents; a metric measured over several seeds comes with ``<col>_std`` and the row's
``n_seeds``, which :func:`display` folds into "mean ± std (n)". The documents' own numbers
appear only in columns named ``claimed ...``. A table whose experiments did not run in
this selection comes out empty (its rows are never invented).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

PERCENT = ("top1", "top5", "val_top1", "train_top1", "macro_f1", "weighted_f1")
# Counts print as integers (a mean over seeds that is not whole keeps one decimal), in the
# documents' tables (display) and the report's own (cifarlab.report.formatting).
COUNT_COLUMNS = frozenset({
    "rank", "params", "flops", "support", "epochs", "max_epochs", "best_epoch", "train_size", "num_classes",
    "n_test", "count", "top5_k", "latency_batch_size", "latency_threads", "n_seeds", "n_images", "n models",
    "epochs (document)", "batch size",
})


@dataclass(frozen=True)
class TableInputs:
    experiments: pd.DataFrame  # cifarlab.analysis.tables.aggregate()
    claims: Sequence[Mapping[str, Any]] = ()  # cifarlab.report.load_claims()
    facts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # load_study_facts()
    per_class: Mapping[str, pd.DataFrame] = field(default_factory=dict)  # experiment -> per_class.csv


@dataclass(frozen=True)
class StudyTable:
    study: str
    key: str
    caption: str  # what the document calls it
    build: Callable[[TableInputs], pd.DataFrame]
    note: str = ""


def _rows(inputs: TableInputs, names: Sequence[str], labels: Mapping[str, str] | None = None,
          label: str = "experiment") -> pd.DataFrame:
    """The aggregate rows of ``names`` that ran, in that order, accuracies in percent."""
    df = inputs.experiments.set_index("experiment")
    present = [n for n in names if n in df.index]
    out = df.loc[present].reset_index()
    for col in PERCENT:
        for suffix in ("", "_std"):
            if col + suffix in out:
                out[col + suffix] = out[col + suffix] * 100.0
    if labels:
        out = out.drop(columns=[label], errors="ignore")
        out.insert(0, label, [labels.get(n, n) for n in present])
    return out


def _keep(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``columns`` (and their ``_std`` partners, and n_seeds), in that order."""
    cols = []
    for c in columns:
        cols += [c] + ([f"{c}_std"] if f"{c}_std" in df else [])
    cols += ["n_seeds"] if "n_seeds" in df and "n_seeds" not in cols else []
    return df[[c for c in cols if c in df]].reset_index(drop=True)


def _claimed(inputs: TableInputs, experiment: str, metric: str) -> float:
    """The document's first claim of ``metric`` for ``experiment`` (NaN if none)."""
    for c in inputs.claims:
        if c["experiment"] == experiment and c["metric"] == metric:
            return float(c["claimed"])
    return float("nan")


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
    return _keep(df, ["stage", "experiment", "train_top1", "val_top1", "claimed val_top1", "top1",
                      "claimed top1", "pretrained"])


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
    df = _with_claims(i, df, {"top1": "claimed top1", "peak_mem_mb": "claimed MB", "latency_ms_batched": "claimed ms"})
    df["pretrained"] = [_pretrained(r) for r in df.to_dict("records")]
    return _keep(df, ["run", "experiment", "top1", "claimed top1", "delta to full", "peak_mem_mb", "claimed MB",
                      "latency_ms_per_image_batched", "claimed ms", "params", "pretrained"])


def _family_of(facts: Mapping[str, Any]) -> dict[str, str]:
    return {m: fam for fam, models in (facts.get("families") or {}).items() for m in models}


def s002_table1(i: TableInputs) -> pd.DataFrame:
    facts = i.facts.get("s002", {})
    models = list(_family_of(facts))
    df = _rows(i, models)
    df = df.sort_values("top1", ascending=False, na_position="last").reset_index(drop=True)
    df["rank"] = np.arange(1, len(df) + 1)
    df["params M"] = df["params"] / 1e6
    df["train hours"] = df["train_seconds"] / 3600.0
    df["parameter efficiency"] = df["top1"] / df["params M"]
    df["innovation"] = ["yes" if m in set(facts.get("innovations") or ()) else "no" for m in df["experiment"]]
    df = _with_claims(i, df, {"top1": "claimed top1"})
    return _keep(df, ["rank", "experiment", "top1", "top5", "params M", "train hours", "parameter efficiency",
                      "innovation", "claimed top1"])


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
    return _keep(df, [label, "experiment", "top1", "claimed top1", "params", "train hours"])


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
    df["claimed gain"] = [_claimed(i, e, "top1_gain") for e in df["experiment"]]
    return _keep(df, ["variant", "experiment", "top1", "gain (points)", "claimed gain", "pretrained_note"])


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
    grid = df.pivot_table(index="epochs (document)", columns="batch size", values="top1")
    grid.columns = [f"batch {c}" for c in grid.columns]
    return grid.reset_index()


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
    StudyTable("s004", "per_class", "s004 section 2.3 classification report (WRN-16-8)", s004_per_class),
)


def build_tables(inputs: TableInputs) -> dict[tuple[str, str], pd.DataFrame]:
    """Every table of :data:`TABLES`, keyed by (study, key)."""
    return {(t.study, t.key): t.build(inputs) for t in TABLES}


def display(df: pd.DataFrame, digits: int = 2) -> pd.DataFrame:
    """Strings for a page: "mean ± std (n)" where a column has a ``_std`` partner and the
    row several seeds, the ``_std`` and ``n_seeds`` columns folded away."""
    out = pd.DataFrame(index=df.index)
    n = df["n_seeds"] if "n_seeds" in df else pd.Series(1, index=df.index)
    for col in df.columns:
        if col.endswith("_std") or col == "n_seeds":
            continue
        std = df.get(f"{col}_std")
        places = 0 if col in COUNT_COLUMNS else digits
        out[col] = [_cell(v, None if std is None else std[k], n[k], places) for k, v in df[col].items()]
    return out


def count_text(value: float) -> str:
    """A count: "76,562"; a mean of counts over seeds that is not whole: "28.3"."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


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
