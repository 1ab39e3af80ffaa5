"""aggregate() on synthetic records; the scorecard's comparability flags; the claims data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cifarlab.analysis.tables import EXPERIMENT_COLUMNS, aggregate, scorecard, top_confused_pairs
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
    assert extra.loc[0, "custom"] == 1 and extra.columns[-1] == "custom"
    sparse = aggregate([{"experiment": "x"}])
    assert math.isnan(sparse.loc[0, "top1"]) and sparse.loc[0, "rank"] == 1


def test_aggregate_rejects_bad_records():
    with pytest.raises(ValueError, match="duplicate"):
        aggregate([_record("a", 0.8, 1), _record("a", 0.7, 1)])
    with pytest.raises(ValueError, match="experiment"):
        aggregate([{"top1": 0.5}])


CLAIM = {"study": "s000", "experiment": "cnn4", "metric": "top1", "claimed": 82.70, "dataset": "cifar10",
         "num_classes": 10, "epochs": 100, "train_size": 45000, "device": "cuda", "tolerance": 1.0,
         "simulated": False, "caveat": "", "section": "abstract"}


def _card(records, claims):
    return scorecard(aggregate(records), claims).set_index(["experiment", "metric"])


def test_scorecard_flags_quick_profile_as_not_comparable():
    quick = _record("cnn4", 0.91, 1000, dataset="fashion_mnist", profile="quick", max_epochs=5, train_size=10000,
                    device="cpu")
    row = _card([quick], [CLAIM]).loc[("cnn4", "top1")]
    assert row["status"] == "not comparable" and not row["comparable"]
    assert "fashion_mnist" in row["reasons"] and "cifar10" in row["reasons"]
    assert "5 epochs" in row["reasons"] and "10000 images" in row["reasons"]
    assert row["measured"] == pytest.approx(91.0) and row["delta"] == pytest.approx(91.0 - 82.70)


def test_scorecard_verdicts_when_comparable():
    near, far = _record("cnn4", 0.8300, 1000), _record("cnn4", 0.7000, 1000)
    assert _card([near], [CLAIM]).loc[("cnn4", "top1"), "status"] == "agrees"
    assert _card([far], [CLAIM]).loc[("cnn4", "top1"), "status"] == "differs"
    no_tol = {**CLAIM, "tolerance": None}
    assert _card([far], [no_tol]).loc[("cnn4", "top1"), "status"] == "measured"
    sim = {**CLAIM, "simulated": True}
    row = _card([near], [sim]).loc[("cnn4", "top1")]
    assert row["status"] == "seed value simulated" and "simulated" in row["caveat"]
    unknown_budget = _record("cnn4", 0.83, 1000, max_epochs=None)
    assert "unknown" in _card([unknown_budget], [CLAIM]).loc[("cnn4", "top1"), "reasons"]


def test_scorecard_not_run_params_and_gain():
    claims = [
        {**CLAIM, "experiment": "absent"},
        {**CLAIM, "metric": "params", "claimed": 1000, "tolerance": 0},
        {**CLAIM, "metric": "val_top1", "claimed": 80.0},
        {**CLAIM, "experiment": "se", "baseline": "base", "metric": "top1_gain", "claimed": 2.3},
    ]
    quick = _record("cnn4", 0.5, 1000, dataset="fashion_mnist")  # params do not depend on the dataset
    card = _card([quick, _record("se", 0.75, 1), _record("base", 0.73, 1)], claims)
    assert card.loc[("absent", "top1"), "status"] == "not run"
    assert card.loc[("cnn4", "params"), "status"] == "agrees"
    assert card.loc[("cnn4", "val_top1"), "status"] == "not measured"
    assert card.loc[("se", "top1_gain"), "measured"] == pytest.approx(2.0)
    assert card.loc[("se", "top1_gain"), "status"] == "agrees"
    other_classes = _record("cnn4", 0.5, 1000, num_classes=100)
    assert _card([other_classes], claims[1:2]).loc[("cnn4", "params"), "status"] == "not comparable"
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


def test_run_record_takes_val_and_train_accuracy_at_the_best_epoch():
    from cifarlab.analysis.runs import history_accuracies, run_record

    hist = pd.DataFrame({"epoch": [1, 2, 3], "train_acc": [0.5, 0.7, 0.8], "val_acc": [0.4, 0.65, 0.6]})
    run = {"experiment": "cnn4", "metrics": {"top1": 0.6, "best_epoch": 3}, "history": hist}
    rec = run_record(run, {"study": "s000", "dataset": "cifar10"})
    assert rec["val_top1"] == 0.6 and rec["train_top1"] == 0.8  # epoch 3, as the checkpoint
    assert rec["experiment"] == "cnn4" and rec["study"] == "s000" and rec["top1"] == 0.6
    assert history_accuracies(hist) == {"val_top1": 0.65, "train_top1": 0.7}  # no best epoch: max val
    pct = hist.rename(columns={"val_acc": "val_top1"}).assign(val_top1=[40.0, 65.0, 60.0])
    assert history_accuracies(pct, 2)["val_top1"] == pytest.approx(0.65)
    assert history_accuracies(None) == {}
