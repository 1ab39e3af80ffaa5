"""Every comparison the documents make, measured on the saved test predictions.

Which pairs (``kind``):

- ``stage``: consecutive s001 stages (each stage against the one before);
- ``ablation``: every experiment with ``ablation_of`` against its base (s001's four,
  s002's ECA kernel sizes, Ghost ratio and ECA positions), the DLA-34 grid apart;
- ``rank_neighbour``: s002 Table 1 ranked by our top-1, each model against the one above;
- ``se``: s003's ResNet-50 with SE against without;
- ``grid_vs_best``: every DLA-34 grid cell against the cell with the best mean top-1;
- ``grid_trend`` (for the power table only, not in comparisons.csv): each DLA-34 cell
  against its neighbour with fewer epochs (same batch) or a smaller batch (same epochs),
  the trends the document reads off its grid.

``delta`` is experiment minus reference (a fraction): an ablation's cost, a lower rank's
gap. Pairs that did not both run, were trained on different datasets, or share no seed
and test image are left out. The statistics are :func:`cifarlab.analysis.stats.paired.compare`.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from cifarlab.analysis.stats.paired import align, compare

COMPARISON_COLUMNS = ("study", "kind", "experiment", "reference", "delta", "delta_ci_low", "delta_ci_high",
                      "p_value", "n_images", "n_seeds", "tied")
DOCUMENT_KINDS = ("stage", "ablation", "rank_neighbour", "se", "grid_vs_best")  # comparisons.csv
KINDS = DOCUMENT_KINDS + ("grid_trend", "next_step")  # next_step: cifarlab.analysis.tables.next_steps
SE_PAIR = ("resnet50_se_imagenet", "resnet50_imagenet")

Correct = Mapping[int, tuple[np.ndarray, np.ndarray]]  # seed -> (test-image indices, top-1 correct)


def _truthy(value: Any) -> bool:
    return bool(value) and not (isinstance(value, float) and np.isnan(value))


def document_pairs(experiments: pd.DataFrame, facts: Mapping[str, Mapping[str, Any]]
                   ) -> list[tuple[str, str, str, str]]:
    """(study, kind, experiment, reference) of every comparison whose two runs are in
    ``experiments`` (aggregate()'s table: experiment, study, top1, ablation_of)."""
    from cifarlab.analysis.tables.study_tables import DLA_GRID, S001_STAGES

    df = experiments.set_index("experiment")
    have = set(df.index)
    pairs: list[tuple[str, str, str, str]] = []
    stages = [e for e in S001_STAGES if e in have]
    pairs += [("s001", "stage", b, a) for a, b in zip(stages, stages[1:])]
    for name, row in df.iterrows():
        base = row.get("ablation_of")
        if isinstance(base, str) and base in have and name not in DLA_GRID:
            # a document's next step (not run in it) is kept out of comparisons.csv
            kind = "next_step" if _truthy(row.get("next_step")) else "ablation"
            pairs.append((str(row.get("study")), kind, str(name), base))
    models = [m for ms in (facts.get("s002", {}).get("families") or {}).values() for m in ms if m in have]
    ranked = df.loc[models].sort_values("top1", ascending=False, na_position="last", kind="stable")
    ranked = [m for m in ranked.index if pd.notna(df.loc[m, "top1"])]
    pairs += [("s002", "rank_neighbour", lower, upper) for upper, lower in zip(ranked, ranked[1:])]
    if set(SE_PAIR) <= have:
        pairs.append(("s003", "se", *SE_PAIR))
    grid = [e for e in DLA_GRID if e in have and pd.notna(df.loc[e, "top1"])]
    if grid:
        best = max(grid, key=lambda e: (df.loc[e, "top1"], e == "dla34"))
        pairs += [("s004", "grid_vs_best", e, best) for e in grid if e != best]
        cell = {DLA_GRID[e]: e for e in grid}  # (batch, epochs) -> experiment
        for (batch, epochs), e in sorted(cell.items()):
            fewer = max((x for b, x in cell if b == batch and x < epochs), default=None)
            smaller = max((b for b, x in cell if x == epochs and b < batch), default=None)
            pairs += [("s004", "grid_trend", e, cell[(batch, fewer)])] if fewer else []
            pairs += [("s004", "grid_trend", e, cell[(smaller, epochs)])] if smaller else []
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(dict.fromkeys(pairs), key=lambda p: (p[0], order[p[1]]))


def comparison_table(experiments: pd.DataFrame, facts: Mapping[str, Mapping[str, Any]],
                     correct: Mapping[str, Correct]) -> pd.DataFrame:
    """COMPARISON_COLUMNS, then the detail the power analysis reads (n10, n01, seed_deltas
    ";"-joined, image_var). ``correct``: experiment -> seed -> (indices, correct)."""
    dataset = experiments.set_index("experiment")["dataset"] if "dataset" in experiments else None
    rows = []
    for study, kind, exp, ref in document_pairs(experiments, facts):
        if exp not in correct or ref not in correct:
            continue
        if dataset is not None and str(dataset.get(exp)) != str(dataset.get(ref)):
            continue  # indices of two datasets are not the same images
        _, a, b = align(correct[exp], correct[ref])
        if a.size == 0:
            continue
        r = compare(a, b)
        rows.append({"study": study, "kind": kind, "experiment": exp, "reference": ref, "delta": r.delta,
                     "delta_ci_low": r.ci_low, "delta_ci_high": r.ci_high, "p_value": r.p_value,
                     "n_images": r.n_images, "n_seeds": r.n_seeds, "tied": r.tied, "n10": r.n10, "n01": r.n01,
                     "seed_deltas": ";".join(f"{d:.6g}" for d in r.seed_deltas), "image_var": r.image_var})
    extra = ["n10", "n01", "seed_deltas", "image_var"]
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS) + extra)


def lookup(comparisons: pd.DataFrame | None, experiment: str, reference: str) -> dict[str, Any] | None:
    """The comparison row of (experiment, reference), or None."""
    if comparisons is None or comparisons.empty:
        return None
    hit = comparisons[(comparisons["experiment"] == experiment) & (comparisons["reference"] == reference)]
    return None if hit.empty else hit.iloc[0].to_dict()


def seed_deltas(row: Mapping[str, Any]) -> list[float]:
    text = row.get("seed_deltas")
    return [float(x) for x in str(text).split(";")] if isinstance(text, str) and text else []


def document_comparisons(comparisons: pd.DataFrame) -> pd.DataFrame:
    """comparisons.csv: the document kinds' rows, COMPARISON_COLUMNS only."""
    keep = comparisons["kind"].isin(DOCUMENT_KINDS)
    return comparisons.loc[keep, list(COMPARISON_COLUMNS)].reset_index(drop=True)
