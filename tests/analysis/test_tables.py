"""aggregate() on synthetic records; the scorecard's comparability flags; the claims data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cifarlab.analysis.tables.experiments import EXPERIMENT_COLUMNS, aggregate, runs_table, top_confused_pairs
from cifarlab.analysis.tables.scorecard import scorecard
from cifarlab.report import load_claims


def _record(name, top1, params, **kw):
    base = {"experiment": name, "study": "s000", "model": name, "dataset": "cifar10", "recipe": "r",
            "profile": "full", "top1": top1, "top5": 0.99, "loss": 0.5, "macro_f1": top1,
            "params": params, "flops": 10**6, "latency_ms_per_image_b1": 1.0, "train_seconds": 60.0,
            "epochs": 100, "max_epochs": 100, "best_epoch": 90, "train_size": 45000, "num_classes": 10,
            "device": "cuda:0"}
    return {**base, **kw}


def test_aggregate_ranks_and_derives_columns():
    df = aggregate([_record("a", 0.80, 2_000_000), _record("b", 0.90, 500_000), _record("c", None, 1, top5=None)])
    assert list(df["experiment"]) == ["b", "a", "c"]
    assert list(df["rank"]) == [1, 2, 3]
    assert df.loc[0, "params_m"] == pytest.approx(0.5)
    assert df.loc[0, "param_efficiency"] == pytest.approx(90.0 / 0.5)  # top-1 % / params M
    assert math.isnan(df.loc[2, "top1"])
    assert list(df.columns[: len(EXPERIMENT_COLUMNS)]) == list(EXPERIMENT_COLUMNS)
    extra = aggregate([_record("a", 0.8, 10, custom=1)])
    assert extra.loc[0, "custom"] == 1 and "custom" in extra.columns[len(EXPERIMENT_COLUMNS):]
    sparse = aggregate([{"experiment": "x"}])
    assert math.isnan(sparse.loc[0, "top1"]) and sparse.loc[0, "rank"] == 1


def test_aggregate_rejects_bad_records():
    with pytest.raises(ValueError, match="duplicate runs: a seed 0"):
        aggregate([_record("a", 0.8, 1), _record("a", 0.7, 1)])
    with pytest.raises(ValueError, match="experiment"):
        aggregate([{"top1": 0.5}])


def test_aggregate_summarises_seeds_mean_std_n_and_per_seed_values():
    rows = [_record("a", 0.80, 10, seed=0, val_top1=0.7), _record("a", 0.90, 10, seed=1, val_top1=0.9),
            _record("a", 0.85, 10, seed=2, val_top1=0.8), _record("b", 0.5, 10, seed=0)]
    df = aggregate(rows).set_index("experiment")
    assert df.loc["a", "top1"] == pytest.approx(0.85) and df.loc["a", "n_seeds"] == 3
    assert df.loc["a", "top1_std"] == pytest.approx(np.std([0.8, 0.9, 0.85], ddof=1))
    assert df.loc["a", "val_top1_std"] == pytest.approx(0.1)
    assert df.loc["a", "top1_seeds"] == "0.8;0.9;0.85" and df.loc["a", "seeds"] == "0;1;2"
    assert math.isnan(df.loc["b", "top1_std"]) and df.loc["b", "n_seeds"] == 1  # one seed: no spread
    assert df.loc["a", "rank"] == 1 and df.loc["a", "params"] == 10
    per_run = runs_table(rows)
    assert len(per_run) == 4 and list(per_run["seed"]) == [0, 1, 2, 0]


CLAIM = {"study": "s000", "experiment": "cnn4", "metric": "top1", "claimed": 82.70, "dataset": "cifar10",
         "num_classes": 10, "epochs": 100, "train_size": 45000, "device": "cuda", "tolerance": 1.0,
         "simulated": False, "caveat": "", "section": "abstract"}


def _card(records, claims):
    return scorecard(aggregate(records), claims).set_index(["experiment", "metric"])


def test_scorecard_names_each_reason_a_run_is_not_comparable():
    quick = _record("cnn4", 0.91, 1000, dataset="fashion_mnist", profile="quick", max_epochs=5, train_size=10000,
                    device="cpu")
    row = _card([quick], [CLAIM]).loc[("cnn4", "top1")]
    assert row["verdict"] == "not comparable" and not row["comparable"]
    assert "dataset: fashion_mnist vs the document's cifar10" in row["reason"]
    assert "budget: 5 epochs" in row["reason"] and "10000 images" in row["reason"]
    assert row["measured"] == pytest.approx(91.0) and row["delta"] == pytest.approx(91.0 - 82.70)
    classes = _card([_record("cnn4", 0.9, 1, num_classes=100)], [CLAIM]).loc[("cnn4", "top1"), "reason"]
    assert classes.startswith("classes: 100 vs the document's 10")
    memory = {**CLAIM, "metric": "peak_mem_mb", "claimed": 246.9, "tolerance": 25.0}
    hw = _card([_record("cnn4", 0.9, 1, device="cpu", peak_mem_mb=300.0)], [memory]).loc[("cnn4", "peak_mem_mb")]
    assert hw["verdict"] == "not comparable" and hw["reason"].startswith("hardware: measured on cpu")
    unknown_budget = _record("cnn4", 0.83, 1000, max_epochs=None)
    assert "unknown" in _card([unknown_budget], [CLAIM]).loc[("cnn4", "top1"), "reason"]
    pretrained = _record("cnn4", 0.83, 1000, pretrained_note="not pretrained: weights absent")
    assert "not pretrained" in _card([pretrained], [CLAIM]).loc[("cnn4", "top1"), "reason"]
    head = {**CLAIM, "metric": "val_top1_after_head", "claimed": 43.0}
    merged = _record("cnn4", 0.83, 1000, phases_merged="random init: one all-layers phase at lr 0.001")
    row = _card([merged], [head]).loc[("cnn4", "val_top1_after_head")]
    assert row["verdict"] == "not comparable" and row["reason"].startswith("no head-only phase (random init")
    assert _card([_record("cnn4", 0.83, 1000)], [head]).loc[("cnn4", "val_top1_after_head"), "verdict"] == "not run"


def test_scorecard_reproduced_within_tolerance_or_two_std():
    near, far = _record("cnn4", 0.8300, 1000), _record("cnn4", 0.7000, 1000)
    assert _card([near], [CLAIM]).loc[("cnn4", "top1"), "verdict"] == "reproduced"
    row = _card([far], [CLAIM]).loc[("cnn4", "top1")]
    assert row["verdict"] == "not reproduced" and row["comparable"] and "> 1" in row["reason"]
    # 81.0 +- 1.0 over two seeds: the interval over seeds (t with 1 degree of freedom) is
    # far wider than 2 x tolerance and holds the claim: inconclusive, naming a design
    spread = [_record("cnn4", 0.80, 1000, seed=0), _record("cnn4", 0.8141421356, 1000, seed=1)]
    row = _card(spread, [CLAIM]).loc[("cnn4", "top1")]
    assert row["measured_std"] == pytest.approx(1.0, abs=1e-6) and row["n_seeds"] == 2
    assert row["ci_low"] < 82.70 - 1.0 and row["ci_high"] - row["ci_low"] > 2.0
    assert row["verdict"] == "inconclusive" and row["comparable"] and "measured over 2 seeds" in row["needed"]
    tight = [_record("cnn4", 0.800, 1000, seed=0), _record("cnn4", 0.802, 1000, seed=1)]
    assert _card(tight, [CLAIM]).loc[("cnn4", "top1"), "verdict"] == "not reproduced"


def test_scorecard_claim_unreliable_when_simulated_or_contradicted():
    near = _record("cnn4", 0.83, 1000)
    row = _card([near], [{**CLAIM, "simulated": True}]).loc[("cnn4", "top1")]
    assert row["verdict"] == "claim unreliable" and "simulated" in row["reason"]
    both = [CLAIM, {**CLAIM, "claimed": 70.12, "section": "5.2"}]
    card = scorecard(aggregate([near]), both)
    assert set(card["verdict"]) == {"claim unreliable"}
    assert "82.7, 70.12" in card.loc[0, "reason"]
    noise = [CLAIM, {**CLAIM, "claimed": 82.75}]  # two printings within the tolerance agree
    assert set(scorecard(aggregate([near]), noise)["verdict"]) == {"reproduced"}
    said = {**CLAIM, "unreliable": "written with ~: extrapolated"}
    assert _card([near], [said]).loc[("cnn4", "top1"), "reason"] == "written with ~: extrapolated"


def test_scorecard_not_run_params_and_gain():
    claims = [
        {**CLAIM, "experiment": "absent"},
        {**CLAIM, "metric": "params", "claimed": 1000, "tolerance": 0},
        {**CLAIM, "metric": "val_top1", "claimed": 80.0},
        {**CLAIM, "experiment": "se", "baseline": "base", "metric": "top1_gain", "claimed": 2.3},
    ]
    quick = _record("cnn4", 0.5, 1000, dataset="fashion_mnist")  # params do not depend on the dataset
    card = _card([quick, _record("se", 0.75, 1), _record("base", 0.73, 1)], claims)
    assert card.loc[("absent", "top1"), "verdict"] == "not run"
    assert "no experiment absent" in card.loc[("absent", "top1"), "reason"]
    assert card.loc[("cnn4", "params"), "verdict"] == "reproduced"
    assert card.loc[("cnn4", "val_top1"), "verdict"] == "not run"
    assert card.loc[("se", "top1_gain"), "measured"] == pytest.approx(2.0)
    assert card.loc[("se", "top1_gain"), "verdict"] == "reproduced"
    other_classes = _record("cnn4", 0.5, 1000, num_classes=100)
    assert _card([other_classes], claims[1:2]).loc[("cnn4", "params"), "verdict"] == "not comparable"
    only_run = scorecard(aggregate([quick]), claims, include_not_run=False)
    assert "absent" not in set(only_run["experiment"])
    with pytest.raises(ValueError, match="unknown metric"):
        scorecard(aggregate([quick]), [{**CLAIM, "metric": "bogus"}])


def test_packaged_claims_cover_the_seeds():
    claims = load_claims()
    got = {(c["study"], c["experiment"], c["metric"], c["claimed"]) for c in claims}
    for key in [("s000", "cnn4", "top1", 82.70), ("s001", "simple_cnn", "val_top1", 73.30),
                ("s001", "refined_cnn", "val_top1", 84.72), ("s001", "refined_cnn", "top1", 84.05),
                ("s001", "efficientnet_b2", "top1", 93.77), ("s002", "resnet_56", "top1", 72.50),
                ("s002", "resnet_56", "top5", 97.50), ("s002", "improved_resnet20_convnext", "top1", 72.33),
                ("s002", "eca_resnet_32", "top1", 71.00), ("s002", "resnet_32", "top1", 69.50),
                ("s002", "ecanet20_adaptive", "top1", 68.08), ("s002", "eca_resnet_20", "top1", 68.00),
                ("s002", "coatnet_0", "top1", 66.61), ("s002", "resnet_20", "top1", 66.50),
                ("s002", "ghostnet_100", "top1", 56.94), ("s002", "ghost_resnet_20", "top1", 35.16),
                ("s004", "resnet18", "top1", 95.77), ("s004", "wrn_28_10", "top1", 96.45),
                ("s004", "dla34", "top1", 90.69), ("s004", "vit", "top1", 53.48)]:
        assert key in got, key
    r20 = [c for c in claims if c["experiment"] == "resnet_20" and c["metric"] == "top1"]
    assert sorted(c["claimed"] for c in r20) == [66.50, 66.92, 70.12]
    assert all("contradicts" in c["caveat"] for c in r20)
    card = scorecard(aggregate([_record("resnet_20", 0.665, 1)]), r20)
    assert set(card["verdict"]) == {"claim unreliable"}  # the document contradicts itself
    assert any(c["simulated"] for c in claims if c["experiment"] == "hornet_tiny")
    assert all(c["dataset"] for c in claims)
    assert all(c["tolerance"] is not None for c in claims if c["metric"] in ("top1", "top5", "params"))
    card = scorecard(aggregate([_record("cnn4", 0.5, 1)]), claims)  # every claim scores
    assert len(card) == len(claims)


def test_top_confused_pairs():
    m = np.array([[5, 3, 0], [1, 6, 0], [0, 4, 2]])
    pairs = top_confused_pairs(m, ["a", "b", "c"], n=2)
    assert list(zip(pairs["true"], pairs["predicted"], pairs["count"])) == [("c", "b", 4), ("a", "b", 3)]
    assert pairs.loc[0, "share_of_true"] == pytest.approx(4 / 6)
    assert isinstance(pairs, pd.DataFrame)


def test_seed_records_take_val_and_train_accuracy_at_the_best_epoch():
    from cifarlab.analysis.runs import history_accuracies, history_facts, seed_records

    hist = pd.DataFrame({"epoch": [1, 2, 3], "phase": ["head", "all", "all"], "train_acc": [0.5, 0.7, 0.8],
                         "val_acc": [0.4, 0.65, 0.6], "val_loss": [1.0, 0.7, 0.8]})
    run = {"experiment": "cnn4", "seeds": {0: {"metrics": {"top1": 0.6, "best_epoch": 3}, "history": hist,
                                               "run": {"pretrained_note": "not pretrained: absent"}}}}
    (rec,) = seed_records(run, {"study": "s000", "dataset": "cifar10"})
    assert rec["val_top1"] == 0.6 and rec["train_top1"] == 0.8  # epoch 3, as the checkpoint
    assert rec["experiment"] == "cnn4" and rec["seed"] == 0 and rec["top1"] == 0.6
    assert rec["pretrained_note"] == "not pretrained: absent"
    assert (rec["min_val_loss"], rec["min_val_loss_epoch"]) == (0.7, 2.0)
    assert (rec["val_top1_after_head"], rec["val_top1_finetune_epoch1"]) == (0.4, 0.65)
    assert history_accuracies(hist) == {"val_top1": 0.65, "train_top1": 0.7}  # no best epoch: max val
    pct = hist.rename(columns={"val_acc": "val_top1"}).assign(val_top1=[40.0, 65.0, 60.0])
    assert history_accuracies(pct, 2)["val_top1"] == pytest.approx(0.65)
    assert history_accuracies(None) == {} and history_facts(None) == {}


def test_every_claim_names_a_catalogue_experiment_and_a_known_metric():
    import yaml

    from cifarlab.analysis.tables.scorecard import CLAIM_METRICS
    from tests.workflow_copy import REPO

    experiments = yaml.safe_load((REPO / "params.yaml").read_text())["experiments"]
    for claim in load_claims():
        assert claim["experiment"] in experiments, claim
        assert claim["baseline"] is None or claim["baseline"] in experiments, claim
        assert claim["metric"] in CLAIM_METRICS, claim
