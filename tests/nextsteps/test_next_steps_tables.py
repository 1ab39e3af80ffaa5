"""The study pages' next-steps tables: variant vs base, confused-pair counts, ensembles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cifarlab.analysis.tables import next_steps
from cifarlab.analysis.tables.study_tables import TABLES, TableInputs

CIFAR = list(next_steps.CIFAR10_CLASSES)


def _confusion(names, swaps):
    """Identity-ish counts: 10 right per class, plus ``swaps[(a, b)]`` images of a taken for b."""
    m = pd.DataFrame(np.eye(len(names)) * 10, index=names, columns=names)
    for (a, b), n in swaps.items():
        m.loc[a, b] += n
    return m


def _experiments():
    return pd.DataFrame([
        {"experiment": "wrn_16_8", "study": "s004", "top1": 0.80, "top1_std": np.nan, "n_seeds": 1,
         "ablation_of": None, "next_step": 0.0},
        {"experiment": "wrn_16_8_focal", "study": "s004", "top1": 0.83, "top1_std": np.nan, "n_seeds": 1,
         "ablation_of": "wrn_16_8", "next_step": 1.0},
        {"experiment": "dla34_b64_e20", "study": "s004", "top1": 0.7, "n_seeds": 1, "ablation_of": "dla34",
         "next_step": 0.0},
    ])


def test_variant_rows_show_the_change_overall_and_in_the_confused_pairs():
    conf = {"wrn_16_8": _confusion(CIFAR, {("cat", "dog"): 7, ("dog", "cat"): 5, ("bird", "deer"): 2}),
            "wrn_16_8_focal": _confusion(CIFAR, {("cat", "dog"): 3, ("dog", "cat"): 4, ("truck", "automobile"): 1})}
    df = next_steps.variants(_experiments(), conf, "s004")
    assert df["variant"].tolist() == ["wrn_16_8_focal"]  # the reproduced ablation is not a next step
    row = df.iloc[0]
    assert row["Δ top1 (pp)"] == pytest.approx(3.0)
    assert (row["cat/dog errors (base)"], row["Δ cat/dog"]) == (12, -5)
    assert row["Δ automobile/truck"] == 1 and row["Δ bird/deer"] == -2


def test_pairs_on_another_dataset_are_the_classes_at_cifar10_positions():
    fashion = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]
    errors = next_steps.pair_errors(_confusion(fashion, {("Dress", "Sandal"): 4, ("Coat", "Pullover"): 1}))
    assert errors == {"cat/dog = Dress/Sandal": 4.0, "automobile/truck = Trouser/Boot": 0.0,
                      "bird/deer = Pullover/Coat": 1.0}


def test_ensemble_rows_and_registration_in_the_study_tables():
    summary = {"study": "s004", "members": "a,b", "over": "members", "groups": "seed_0,seed_1", "n_test": 50,
               "best_member": "a", "best_member_top1": 0.8, "weight_a": 0.7, "weight_b": 0.3}
    for m, top1 in (("vote", 0.81), ("mean", 0.82), ("weighted", 0.84)):
        summary.update({f"{m}_top1": top1, f"{m}_top1_std": 0.01, f"{m}_gain_top1": top1 - 0.8})
    inputs = TableInputs(_experiments(), confusion={}, ensembles={"pair": summary})
    built = {(t.study, t.key): t.build(inputs) for t in TABLES if t.section == "next_steps"}
    df = built[("s004", "ensembles")]
    assert df["method"].tolist() == list(next_steps.METHOD_LABELS.values())
    assert df["Δ top1 (pp)"].tolist() == pytest.approx([1.0, 2.0, 4.0])
    assert df["weights (validation)"].tolist()[-1] == "a 0.70, b 0.30"
    assert built[("s002", "ensembles")].empty  # the ensemble belongs to s004 only
    sections = {(t.study, t.key): t.section for t in TABLES}
    assert sections[("s004", "ensembles")] == sections[("s004", "next_step_variants")] == "next_steps"
    assert sections[("s004", "models")] == ""


def test_variants_carry_the_paired_comparison_and_stay_out_of_the_documents_comparisons():
    from cifarlab.analysis.stats.comparisons import comparison_table, document_comparisons

    rng = np.random.default_rng(0)
    idx = np.arange(400)
    base_ok = rng.random(400) < 0.6
    focal_ok = base_ok | (rng.random(400) < 0.3)  # right wherever the base is, and more
    exps = _experiments().assign(dataset="cifar10").set_index("experiment")
    exps.loc["wrn_16_8", "top1"], exps.loc["wrn_16_8_focal", "top1"] = base_ok.mean(), focal_ok.mean()
    exps = exps.reset_index()
    correct = {"wrn_16_8": {0: (idx, base_ok)}, "wrn_16_8_focal": {0: (idx, focal_ok)}}
    pairs = comparison_table(exps, {}, correct)
    assert pairs.set_index("experiment").loc["wrn_16_8_focal", "kind"] == "next_step"
    assert "wrn_16_8_focal" not in set(document_comparisons(pairs)["experiment"])
    row = next_steps.variants(exps, {}, "s004", pairs).iloc[0]
    assert row["Δ top1 (pp)_ci_low"] > 0 and row["p"] < 0.05 and row["tied with base"] == "no"
    assert row["Δ top1 (pp)_ci_low"] <= row["Δ top1 (pp)"] <= row["Δ top1 (pp)_ci_high"]
