"""The documents' comparisons, the power table and the scorecard's interval verdicts, on
synthetic saved predictions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cifarlab.analysis.stats.claimed import POWER_COLUMNS, claimed_delta, power_table
from cifarlab.analysis.stats.comparisons import (COMPARISON_COLUMNS, comparison_table, document_comparisons,
                                                 document_pairs)
from cifarlab.analysis.stats.paired import compare
from cifarlab.analysis.tables.experiments import aggregate
from cifarlab.analysis.tables.scorecard import scorecard
from cifarlab.analysis.tables.study_tables import DLA_GRID
from cifarlab.report.claims import load_claims, load_study_facts

FACTS = load_study_facts()
N = 400


def _run(name, study, top1, seeds=(0,), **kw):
    return [{"experiment": name, "seed": s, "study": study, "top1": top1, "top5": 0.99, "n_test": N,
             "dataset": "fashion_mnist", "test_size": 10_000, **kw} for s in seeds]


def _correct(records, rng):
    out = {}
    for r in records:
        right = np.zeros(N, bool)
        right[rng.permutation(N)[: round(r["top1"] * N)]] = True
        out.setdefault(r["experiment"], {})[r["seed"]] = (np.arange(N), right)
    return out


@pytest.fixture(scope="module")
def study():
    records = (_run("simple_cnn", "s001", 0.6) + _run("refined_cnn", "s001", 0.7) + _run("efficientnet_b2", "s001", 0.8)
               + _run("efficientnet_b2_no_pretrain", "s001", 0.7, ablation_of="efficientnet_b2")
               + _run("ecanet20_fixed_k3", "s002", 0.5) + _run("ecanet20_fixed_k5", "s002", 0.45,
                                                               ablation_of="ecanet20_fixed_k3")
               + _run("resnet_20", "s002", 0.55, seeds=(0, 1))
               + _run("resnet50_imagenet", "s003", 0.5, seeds=(0, 1, 2))
               + _run("resnet50_se_imagenet", "s003", 0.52, seeds=(0, 1, 2))
               + _run("dla34", "s004", 0.7) + _run("dla34_b64_e20", "s004", 0.5, ablation_of="dla34")
               + _run("dla34_b128_e50", "s004", 0.69, ablation_of="dla34")
               + _run("cnn4", "s000", 0.9, dataset="cifar10"))
    table = aggregate(records)
    return table, comparison_table(table, FACTS, _correct(records, np.random.default_rng(3)))


def test_every_kind_of_document_comparison_is_made(study):
    table, pairs = study
    assert list(pairs.columns[: len(COMPARISON_COLUMNS)]) == list(COMPARISON_COLUMNS)
    got = set(zip(pairs["kind"], pairs["experiment"], pairs["reference"]))
    assert {("stage", "refined_cnn", "simple_cnn"), ("stage", "efficientnet_b2", "refined_cnn"),
            ("ablation", "efficientnet_b2_no_pretrain", "efficientnet_b2"),
            ("ablation", "ecanet20_fixed_k5", "ecanet20_fixed_k3"),
            ("rank_neighbour", "ecanet20_fixed_k3", "resnet_20"), ("se", "resnet50_se_imagenet", "resnet50_imagenet"),
            ("grid_vs_best", "dla34_b64_e20", "dla34"), ("grid_vs_best", "dla34_b128_e50", "dla34")} <= got
    assert not any(k == "ablation" and e in DLA_GRID for k, e, _ in got)  # the grid is compared to its best
    se = pairs.set_index("kind").loc["se"]
    assert se["n_seeds"] == 3 and se["n_images"] == N and se["delta"] == pytest.approx(0.02)
    # one seed each on the same images: the paired difference is the difference of the accuracies
    ab = pairs.set_index("experiment").loc["efficientnet_b2_no_pretrain"]
    assert ab["delta"] == pytest.approx(-0.1) and ab["delta_ci_low"] < -0.1 < ab["delta_ci_high"] < 0
    assert not ab["tied"] and ab["p_value"] < 0.05
    close = pairs.set_index("experiment").loc["dla34_b128_e50"]  # 69% vs 70%: not told apart
    assert close["tied"] and close["delta_ci_low"] < 0 < close["delta_ci_high"]
    assert "cnn4" not in set(pairs["experiment"]) | set(pairs["reference"])
    assert set(document_comparisons(pairs)["kind"]) == {"stage", "ablation", "rank_neighbour", "se", "grid_vs_best"}
    assert list(document_comparisons(pairs).columns) == list(COMPARISON_COLUMNS)


def test_the_grid_trends_pair_each_cell_with_its_neighbours():
    table = aggregate([r for i, e in enumerate(DLA_GRID) for r in _run(e, "s004", 0.5 + i / 100)])
    trends = {(e, r) for _, kind, e, r in document_pairs(table, FACTS) if kind == "grid_trend"}
    assert len(trends) == 12  # 3 batches x 2 epoch steps + 3 epoch budgets x 2 batch steps
    assert {("dla34_b64_e50", "dla34_b64_e20"), ("dla34", "dla34_b256_e50"), ("dla34", "dla34_b128_e100"),
            ("dla34_b128_e20", "dla34_b64_e20")} <= trends


def test_pairs_on_different_datasets_are_left_out():
    table = aggregate(_run("resnet50_imagenet", "s003", 0.5) + _run("resnet50_se_imagenet", "s003", 0.6,
                                                                     dataset="imagenet100"))
    assert document_pairs(table, FACTS) == [("s003", "se", "resnet50_se_imagenet", "resnet50_imagenet")]
    correct = _correct(_run("resnet50_imagenet", "s003", 0.5) + _run("resnet50_se_imagenet", "s003", 0.6),
                       np.random.default_rng(0))
    assert comparison_table(table, FACTS, correct).empty


def test_claimed_differences_come_from_gains_or_one_table():
    claims = load_claims()
    assert claimed_delta(claims, "resnet50_se_imagenet", "resnet50_imagenet")[0] == pytest.approx(2.3)
    k5 = claimed_delta(claims, "ecanet20_fixed_k5", "ecanet20_fixed_k3")  # both printed in Table 3
    assert k5[0] == pytest.approx(65.99 - 66.84) and k5[1] == "Table 3"
    pos1 = claimed_delta(claims, "eca_resnet_20_pos1", "eca_resnet_20")
    assert pos1[0] == pytest.approx(72.80 - 73.47) and pos1[1] == "Figure 8"
    assert claimed_delta(claims, "dla34_b64_e20", "dla34")[0] == pytest.approx(81.38 - 90.69)
    assert claimed_delta(claims, "cnn4", "simple_cnn") is None


def test_power_table_says_what_would_detect_each_claim(study):
    table, pairs = study
    plan = pd.DataFrame({"experiment": ["resnet50_imagenet", "resnet50_se_imagenet"],
                         "predicted_s_per_seed": [3600.0, 7200.0]})
    power = power_table(pairs, load_claims(), table, plan, "full").set_index("experiment")
    assert list(power.columns) == list(POWER_COLUMNS)[:2] + list(POWER_COLUMNS)[3:]
    se = power.loc["resnet50_se_imagenet"]
    assert se["claimed_delta"] == pytest.approx(0.023) and se["seed_var_source"] == "measured over 3 seeds"
    # the closed form: se^2 = seed var / 3 + image var / N, seed var of the three per-seed deltas
    deltas = [float(x) for x in pairs.set_index("experiment").loc["resnet50_se_imagenet", "seed_deltas"].split(";")]
    image_var = pairs.set_index("experiment").loc["resnet50_se_imagenet", "image_var"]
    assert se["se"] == pytest.approx(math.sqrt(np.var(deltas, ddof=1) / 3 + image_var / N))
    if not math.isnan(se["seeds_needed"]):
        assert se["cost_hours"] == pytest.approx(se["seeds_needed"] * 3.0) and se["cost_profile"] == "full"
        assert se["images_needed"] <= 10_000
    no_pretrain = power.loc["efficientnet_b2_no_pretrain"]  # -10.07 against 400 images: detectable
    assert no_pretrain["claimed_delta"] == pytest.approx(-0.1007) and no_pretrain["detectable"]
    assert no_pretrain["seed_var_source"].startswith("unmeasured") and no_pretrain["seeds_needed"] == 1
    assert math.isnan(no_pretrain["cost_hours"])  # the plan does not price it


GAIN = {"study": "s003", "experiment": "resnet50_se_imagenet", "baseline": "resnet50_imagenet", "metric": "top1_gain",
        "claimed": 2.3, "tolerance": 1.0, "simulated": False, "caveat": "", "section": "s"}


def test_scorecard_judges_a_gain_by_its_paired_interval(study):
    table, pairs = study
    row = scorecard(table, [GAIN], comparisons=pairs).iloc[0]
    pair = pairs.set_index("experiment").loc["resnet50_se_imagenet"]
    assert row["measured"] == pytest.approx(pair["delta"] * 100)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((pair["delta_ci_low"] * 100, pair["delta_ci_high"] * 100))
    expected = ("not reproduced" if not row["ci_low"] - 1 <= 2.3 <= row["ci_high"] + 1 else
                "inconclusive" if row["ci_high"] - row["ci_low"] > 2 else "reproduced")
    assert row["verdict"] == expected and row["comparable"]
    assert (row["needed"] != "") == (expected == "inconclusive")


def test_scorecard_inconclusive_names_a_design_that_would_decide():
    # 300 test images at 50%: the Wilson interval is ~11 points wide, the tolerance 1 point
    card = scorecard(aggregate(_run("cnn4", "s000", 0.5, n_test=300)),
                     [{"study": "s000", "experiment": "cnn4", "metric": "top1", "claimed": 52.0, "tolerance": 1.0,
                       "simulated": False, "caveat": "", "section": ""}]).iloc[0]
    assert card["verdict"] == "inconclusive" and card["ci_high"] - card["ci_low"] > 2
    # one seed, no seed spread measured: the binomial term alone, p(1-p) / n <= (tol / z)^2
    n = math.ceil(0.25 / (0.01 / 1.959963984540054) ** 2)
    assert card["needed"].startswith(f"1 seed x {n:,} test images") and "lower bound" in card["needed"]
