"""The documents' next steps, measured: variants against their base, ensembles against
their best member (pure pandas; the study pages show them apart from the reproduced runs).

s004 motivates its next steps (focal loss, MixUp/CutMix, loss weights on the confused
classes) with three confused pairs of WRN-16-8: cat/dog, automobile/truck, bird/deer. The
variants table sets each variant beside its base, overall and in those pairs' confusion
counts (errors both ways, mean over seeds). On a dataset without these class names (the
quick profile's Fashion-MNIST) the pairs are the classes at CIFAR-10's positions, named in
the column header as ``cat/dog = Dress/Sandal``.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

# torchvision's CIFAR-10 class order (the variants' class_weights use the same positions)
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
CONFUSED_PAIRS = (("cat", "dog"), ("automobile", "truck"), ("bird", "deer"))  # s004 section 2.4
METHOD_LABELS = {"vote": "hard voting", "mean": "probability average", "weighted": "weighted average (validation NLL)"}


def mean_confusion(run: Mapping[str, Any]) -> pd.DataFrame | None:
    """The confusion counts (rows true, columns predicted) averaged over a run's seeds."""
    frames = [s["confusion"] for s in (run.get("seeds") or {}).values() if s.get("confusion") is not None]
    if not frames:
        return None
    total = frames[0].astype(float).copy()
    for f in frames[1:]:
        total = total + f.astype(float).to_numpy()
    return total / len(frames)


def _pair(conf: pd.DataFrame, a: str, b: str) -> tuple[str, str, str]:
    """``(row label of a, of b, header)``: by name, else by CIFAR-10 position."""
    names = [str(c) for c in conf.index]
    if a in names and b in names:
        return a, b, f"{a}/{b}"
    ia, ib = CIFAR10_CLASSES.index(a), CIFAR10_CLASSES.index(b)
    if max(ia, ib) >= len(names):
        raise KeyError(f"{a}/{b}: the dataset has {len(names)} classes")
    return names[ia], names[ib], f"{a}/{b} = {names[ia]}/{names[ib]}"


def pair_errors(conf: pd.DataFrame) -> dict[str, float]:
    """Header -> errors between the two classes of each confused pair (both directions)."""
    conf = conf.copy()
    conf.index, conf.columns = conf.index.astype(str), conf.columns.astype(str)
    out = {}
    for a, b in CONFUSED_PAIRS:
        ra, rb, header = _pair(conf, a, b)
        out[header] = float(conf.loc[ra, rb] + conf.loc[rb, ra])
    return out


def _flag(value: Any) -> bool:
    return bool(value) and not (isinstance(value, float) and np.isnan(value))


def _paired(comparisons: pd.DataFrame | None, experiment: str, reference: str) -> dict[str, Any]:
    """The paired test of ``experiment`` against ``reference`` on the same test images and
    seeds (cifarlab.analysis.stats: 95% paired-bootstrap interval, McNemar's exact p)."""
    from cifarlab.analysis.stats.comparisons import lookup

    row = lookup(comparisons, experiment, reference)
    if row is None:
        return {}
    return {"Δ top1 (pp)_ci_low": row["delta_ci_low"] * 100, "Δ top1 (pp)_ci_high": row["delta_ci_high"] * 100,
            "p": row["p_value"], "tied with base": "yes" if row["tied"] else "no"}


def variants(experiments: pd.DataFrame, confusion: Mapping[str, pd.DataFrame | None], study: str,
             comparisons: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per next-step experiment of ``study`` that ran with its base: top-1 (%) of
    both, the difference (percentage points) with its paired interval and p where the
    comparisons have it, and each confused pair's errors and change."""
    if experiments.empty or "next_step" not in experiments:
        return pd.DataFrame()
    df = experiments.set_index("experiment")
    rows = []
    for name, row in df.iterrows():
        base = row.get("ablation_of")
        if str(row.get("study")) != study or not _flag(row.get("next_step")) or base not in df.index:
            continue
        b = df.loc[base]
        out = {"variant": name, "base": base, "top1": row["top1"] * 100, "top1_std": row.get("top1_std", np.nan) * 100,
               "base top1": b["top1"] * 100, "Δ top1 (pp)": (row["top1"] - b["top1"]) * 100,
               **_paired(comparisons, name, base), "n_seeds": row.get("n_seeds", 1)}
        mine, theirs = confusion.get(name), confusion.get(base)
        if mine is not None and theirs is not None:
            for header, errors in pair_errors(mine).items():
                before = pair_errors(theirs)[header]
                out[f"{header} errors (base)"] = before  # the variant's count is base + Δ
                out[f"Δ {header}"] = errors - before
        rows.append(out)
    return pd.DataFrame(rows)


def ensembles(summaries: Mapping[str, Mapping[str, Any]], study: str) -> pd.DataFrame:
    """One row per (ensemble of ``study``, method): top-1 (%), its best member's top-1 on the
    same test images, the difference (pp) and the fitted weights."""
    rows = []
    for name, s in summaries.items():
        if s.get("study") != study:
            continue
        members = str(s.get("members", "")).split(",")
        labels = [k[len("weight_"):] for k in s if k.startswith("weight_")]
        weights = ", ".join(f"{m} {s[f'weight_{m}']:.2f}" for m in labels)
        for method, label in METHOD_LABELS.items():
            if f"{method}_top1" not in s:
                continue
            rows.append({"ensemble": name, "method": label, "members": ", ".join(members),
                         "over": s.get("over"), "top1": s[f"{method}_top1"] * 100,
                         "top1_std": (s.get(f"{method}_top1_std") or np.nan) * 100,
                         "best member": s["best_member"], "best member top1": s["best_member_top1"] * 100,
                         "Δ top1 (pp)": s[f"{method}_gain_top1"] * 100,
                         **({"Δ top1 (pp)_ci_low": s[f"{method}_gain_ci_low"] * 100,
                             "Δ top1 (pp)_ci_high": s[f"{method}_gain_ci_high"] * 100,
                             "p": s[f"{method}_gain_p"],
                             "tied with best": "yes" if s[f"{method}_tied_with_best"] else "no"}
                            if f"{method}_gain_p" in s else {}),
                         "weights (validation)": weights if method == "weighted" else "",
                         "n_seeds": len(str(s.get("groups", "")).split(",")), "test images": s.get("n_test")})
    return pd.DataFrame(rows)


def read_summaries(paths: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Ensemble name -> its metrics.json (``results/ensembles/<name>/metrics.json``)."""
    from pathlib import Path

    from cifarlab.io import read_json

    return {Path(p).parent.name: read_json(p) for p in paths if Path(p).is_file()}


_VARIANT_NOTE = ("each variant changes one thing of its base (params.yaml); Δ = variant - base with its 95% "
                 "paired-bootstrap interval; p: McNemar's exact test, seeds combined; tied: the interval covers 0 "
                 "or p >= 0.05; pair errors: test images of one class predicted as the other, both ways, mean "
                 "over seeds")
_ENSEMBLE_NOTE = ("no retraining: the members' saved test probabilities; weights fitted on the validation split "
                  "only; best member and ensemble on the same test images; Δ with its 95% paired-bootstrap "
                  "interval, p: McNemar's exact test, seeds combined")

# (study, key, caption, build(TableInputs) -> DataFrame, note): registered in study_tables.TABLES
# as the study page's "next steps" section, after the document's own tables.
TABLE_SPECS = (
    ("s002", "ensembles", "Ensemble of ResNet-20's seeds (next step: not in the document)",
     lambda i: ensembles(i.ensembles, "s002"), _ENSEMBLE_NOTE),
    ("s004", "next_step_variants", "s004 next steps: focal loss, MixUp, CutMix, confusion-aimed weights "
     "against WRN-16-8", lambda i: variants(i.experiments, i.confusion, "s004", i.comparisons), _VARIANT_NOTE),
    ("s004", "ensembles", "s004 next steps: ensembles of its architectures",
     lambda i: ensembles(i.ensembles, "s004"), _ENSEMBLE_NOTE),
)
