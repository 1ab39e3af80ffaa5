"""The documents' tables, built from synthetic aggregated runs: their columns and arithmetic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cifarlab.analysis.stats.comparisons import comparison_table
from cifarlab.analysis.tables.experiments import aggregate
from cifarlab.analysis.tables.study_tables import DLA_GRID, TABLES, TableInputs, build_tables, display
from cifarlab.report.claims import load_claims, load_study_facts

FACTS = load_study_facts()
S002 = [m for models in FACTS["s002"]["families"].values() for m in models]
NAMES = (["cnn4", "simple_cnn", "refined_cnn", "se_resnet18", "efficientnet_b2", "efficientnet_b2_no_pretrain",
          "efficientnet_b2_no_resize", "efficientnet_b2_no_label_smoothing", "efficientnet_b2_no_random_erasing",
          "ecanet20_fixed_k5", "ecanet20_fixed_k7", "ecanet20_fixed_k9", "ghost_resnet_20_r4",
          "eca_resnet_20_pos1", "eca_resnet_20_pos3", "resnet50_imagenet", "resnet50_se_imagenet",
          "resnet18", "resnet34", "resnet50", "wrn_28_10", "wrn_16_8", "vit"] + S002 + list(DLA_GRID))


N_TEST = 200
BASES = {**{f"efficientnet_b2_{x}": "efficientnet_b2" for x in ("no_pretrain", "no_resize", "no_label_smoothing",
                                                                "no_random_erasing")},
         **{f"ecanet20_fixed_k{k}": "ecanet20_fixed_k3" for k in (5, 7, 9)}, "ghost_resnet_20_r4": "ghost_resnet_20",
         "eca_resnet_20_pos1": "eca_resnet_20", "eca_resnet_20_pos3": "eca_resnet_20",
         **{e: "dla34" for e in DLA_GRID if e != "dla34"}}


def _correct(records):
    """Synthetic saved predictions: each run right on exactly its top1 share of N_TEST
    images (top1 is a multiple of 1 / N_TEST), at random positions."""
    rng = np.random.default_rng(0)
    out = {}
    for r in records:
        right = np.zeros(N_TEST, bool)
        right[rng.permutation(N_TEST)[: round(r["top1"] * N_TEST)]] = True
        out.setdefault(r["experiment"], {})[r["seed"]] = (np.arange(N_TEST), right)
    return out


def _records():
    out = []
    for i, name in enumerate(NAMES):
        for seed in (0, 1) if name == "resnet_20" else (0,):
            out.append({"experiment": name, "seed": seed, "top1": 0.5 + i / N_TEST + seed / 100, "top5": 0.9,
                        "n_test": N_TEST, "dataset": "fashion_mnist", "ablation_of": BASES.get(name),
                        "val_top1": 0.6, "train_top1": 0.7, "params": 1_000_000 + i, "train_seconds": 3600.0,
                        "peak_mem_mb": 100.0, "latency_ms_per_image_batched": 1.0, "epochs": 5, "best_epoch": 4,
                        "study": "s00x", "pretrained": 1.0 if name.startswith("eff") else 0.0})
    return out


@pytest.fixture(scope="module")
def tables():
    per_class = pd.DataFrame({"class": ["a", "b", "macro avg", "weighted avg"], "precision": [0.9, 0.8, 0.85, 0.85],
                              "recall": [0.9, 0.8, 0.85, 0.85], "f1": [0.9, 0.8, 0.85, 0.85],
                              "support": [10, 10, 20, 20]})
    table = aggregate(_records())
    pairs = comparison_table(table, FACTS, _correct(_records()))
    inputs = TableInputs(table, load_claims(), FACTS, {"wrn_16_8": per_class}, pairs)
    return build_tables(inputs)


def test_every_document_table_is_built_with_rows(tables):
    assert [(t.study, t.key) for t in TABLES] == list(tables)
    next_steps = {(t.study, t.key) for t in TABLES if t.section == "next_steps"}  # tests/nextsteps
    for key, frame in tables.items():
        assert len(frame) > 0 or key in next_steps, key
    assert {t.study for t in TABLES} == {"s000", "s001", "s002", "s003", "s004"}


def test_s002_table1_columns_rank_efficiency_and_innovation(tables):
    t1 = tables[("s002", "table1")]
    assert list(t1.columns) == [
        "rank", "experiment", "top1", "top1_std", "top1_ci_low", "top1_ci_high", "top5", "top5_std", "top5_ci_low",
        "top5_ci_high", "gap to rank above", "gap to rank above_ci_low", "gap to rank above_ci_high",
        "p (rank above)", "tied with rank above", "params M", "train hours", "parameter efficiency", "innovation",
        "claimed top1", "n_seeds"]
    assert (t1["top1_ci_low"] < t1["top1"]).all() and (t1["top1"] < t1["top1_ci_high"]).all()
    # each rank against the one above: the gap is <= 0 up to the seeds' sampling, every one has a p
    assert t1["p (rank above)"].iloc[1:].between(0, 1).all() and pd.isna(t1["p (rank above)"].iloc[0])
    assert set(t1["tied with rank above"].iloc[1:]) <= {"yes", "no"} and t1["tied with rank above"].iloc[0] == ""
    assert len(t1) == 21 and list(t1["rank"]) == list(range(1, 22))
    assert t1["top1"].is_monotonic_decreasing
    row = t1.set_index("experiment").loc["improved_resnet20_convnext"]
    assert row["innovation"] == "yes" and row["parameter efficiency"] == pytest.approx(row["top1"] / row["params M"])
    assert row["train hours"] == pytest.approx(1.0) and row["claimed top1"] == pytest.approx(72.33)
    r20 = t1.set_index("experiment").loc["resnet_20"]
    assert r20["n_seeds"] == 2 and r20["top1_std"] > 0


def test_s002_family_averages_and_ablations(tables):
    t2 = tables[("s002", "table2")].set_index("family")
    assert list(t2.index) == list(FACTS["s002"]["families"])
    assert t2.loc["MLP", "n models"] == 2 and t2.loc["MLP", "claimed mean top1"] == pytest.approx(51.70)
    t3 = tables[("s002", "table3")]
    assert list(t3["configuration"]) == ["ResNet-20 (baseline)", "adaptive k", "k=3", "k=5", "k=7", "k=9"]
    assert list(tables[("s002", "ghost_ratio")]["configuration"])[1:] == ["ratio 2", "ratio 4"]
    assert "after conv2, before the add" in set(tables[("s002", "eca_position")]["ECA position"])


def test_s001_ablation_deltas_and_s003_gain(tables):
    ab = tables[("s001", "ablation")].set_index("run")
    assert ab.loc["full", "delta to full"] == 0.0
    # one seed on the same images: the paired difference is the difference of the top-1s
    assert ab.loc["no_pretrain", "delta to full"] == pytest.approx(ab.loc["no_pretrain", "top1"] - ab.loc["full", "top1"])
    assert ab.loc["no_pretrain", "delta to full_ci_low"] <= ab.loc["no_pretrain", "delta to full"]
    assert 0 <= ab.loc["no_pretrain", "p"] <= 1 and ab.loc["no_pretrain", "claimed delta"] == pytest.approx(-10.07)
    assert ab.loc["no_pretrain", "claimed top1"] == pytest.approx(83.74)
    assert {"peak_mem_mb", "latency_ms_per_image_batched", "params", "claimed MB"} <= set(ab.columns)
    gain = tables[("s003", "se_gain")].set_index("variant")
    assert gain.loc["with SE", "gain (points)"] == pytest.approx(gain.loc["with SE", "top1"] - gain.loc["without SE", "top1"])
    assert gain.loc["with SE", "claimed gain"] == pytest.approx(2.3)


def test_s004_grid_models_and_per_class(tables):
    grid = tables[("s004", "dla34_grid")]
    assert list(grid["epochs (document)"]) == [20, 50, 100]
    assert list(grid.columns[1:]) == [f"batch {b}{x}" for b in (64, 128, 256) for x in ("", "_ci_low", "_ci_high")]
    vs_best = tables[("s004", "dla34_grid_vs_best")]
    assert len(vs_best) == len(DLA_GRID) - 1 and vs_best["best cell"].nunique() == 1
    assert (vs_best["delta to best_ci_low"] <= vs_best["delta to best_ci_high"]).all()
    assert set(vs_best["tied with best"]) <= {"yes", "no"}
    models = tables[("s004", "models")]
    assert {"train_top1", "val_top1", "top1", "claimed test"} <= set(models.columns)
    per_class = tables[("s004", "per_class")]
    assert list(per_class["class"])[-2:] == ["macro avg", "weighted avg"]
    assert per_class["precision"].iloc[0] == pytest.approx(90.0)


def test_display_folds_std_and_seed_count_into_one_cell(tables):
    shown = display(tables[("s002", "table1")]).set_index("experiment")
    assert "top1_std" not in shown.columns and "n_seeds" not in shown.columns
    assert "(2) [" in shown.loc["resnet_20", "top1"] and "±" in shown.loc["resnet_20", "top1"]
    assert "top1_ci_low" not in shown.columns
    one = shown.loc["resnet_56", "top1"]  # one seed: the mean and its Wilson interval
    assert "±" not in one and one.startswith(f"{tables[('s002', 'table1')].set_index('experiment').loc['resnet_56', 'top1']:.2f} [")


def test_a_table_whose_runs_are_absent_is_empty_not_invented():
    inputs = TableInputs(aggregate([{"experiment": "cnn4", "top1": 0.9}]), load_claims(), FACTS, {})
    built = build_tables(inputs)
    assert len(built[("s000", "result")]) == 1
    assert built[("s002", "table1")].empty and built[("s004", "dla34_grid")].empty
    assert built[("s004", "per_class")].empty
