"""The aggregate step on synthetic run folders written by the real evaluate writer: its
intervals, comparisons.csv, power.csv and the scorecard's interval columns."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from cifarlab.config import build_config
from cifarlab.evaluate import evaluate_predictions, write_evaluation
from cifarlab.evaluate.seeds import seed_summary
from tests.workflow_copy import REPO

N_TEST, CLASSES = 300, 10
ACCURACY = {"efficientnet_b2": 0.8, "efficientnet_b2_no_pretrain": 0.6, "resnet50_imagenet": 0.5,
            "resnet50_se_imagenet": 0.56, "dla34": 0.7, "dla34_b64_e20": 0.5, "dla34_b64_e50": 0.66}


def _params() -> dict:
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    raw["experiments"] = {n: raw["experiments"][n] for n in ACCURACY}
    raw["ensembles"] = {"dla": {"study": "s004", "members": ["dla34", "dla34_b64_e20"]}}  # members in this catalogue
    for profile in raw["profiles"].values():
        profile["extra_seeds"] = {"resnet50_imagenet": 3, "resnet50_se_imagenet": 3}
    return raw


def _write_runs(cfg, root, rng) -> None:
    labels = rng.integers(0, CLASSES, N_TEST)
    for name, exp in cfg.experiments.items():
        per_seed = {}
        for seed in exp.seeds:
            right = rng.random(N_TEST) < ACCURACY[name]
            preds = np.where(right, labels, (labels + 1 + rng.integers(0, CLASSES - 1, N_TEST)) % CLASSES)
            probs = np.full((N_TEST, CLASSES), 0.02, np.float32)
            probs[np.arange(N_TEST), preds] = 1 - 0.02 * (CLASSES - 1)
            ev = evaluate_predictions(probs, labels)
            per_seed[seed] = write_evaluation(root / f"results/runs/{name}/eval/seed_{seed}", ev,
                                              indices=np.arange(N_TEST), facts={"seed": seed})
        (root / f"results/runs/{name}/metrics.json").write_text(json.dumps(seed_summary(per_seed)))


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    from cifarlab.steps import aggregate

    root = tmp_path_factory.mktemp("agg")
    meta = root / "data/split/fashion_mnist/meta.json"
    meta.parent.mkdir(parents=True)
    meta.write_text(json.dumps({"sizes": {"train": 1000}, "num_classes": CLASSES,
                                "official_sizes": {"train": 60000, "test": 10000}}))
    cfg = build_config(_params())
    _write_runs(cfg, root, np.random.default_rng(5))
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        aggregate.run(cfg, None, ["aggregate"])
    return root / "results/tables"


def test_experiments_and_runs_carry_the_intervals(tables):
    exp = pd.read_csv(tables / "experiments.csv").set_index("experiment")
    for col in ("top1_ci_low", "top1_ci_high", "top5_ci_low", "top5_ci_high"):
        assert exp[col].between(0, 1).all(), col
    assert (exp["top1_ci_low"] <= exp["top1"]).all() and (exp["top1"] <= exp["top1_ci_high"]).all()
    assert exp.loc["resnet50_se_imagenet", "n_seeds"] == 3 and exp.loc["dla34", "test_size"] == 10000
    runs = pd.read_csv(tables / "runs.csv")
    assert runs[["top1_ci_low", "top1_ci_high"]].notna().all().all()


def test_comparisons_csv_keeps_its_contract(tables):
    pairs = pd.read_csv(tables / "comparisons.csv")
    assert list(pairs.columns) == ["study", "kind", "experiment", "reference", "delta", "delta_ci_low",
                                   "delta_ci_high", "p_value", "n_images", "n_seeds", "tied"]
    got = set(zip(pairs["kind"], pairs["experiment"], pairs["reference"]))
    assert got == {("ablation", "efficientnet_b2_no_pretrain", "efficientnet_b2"),
                   ("se", "resnet50_se_imagenet", "resnet50_imagenet"),
                   ("grid_vs_best", "dla34_b64_e20", "dla34"), ("grid_vs_best", "dla34_b64_e50", "dla34")}
    se = pairs.set_index("kind").loc["se"]
    assert se["n_seeds"] == 3 and se["n_images"] == N_TEST
    assert (pairs["delta_ci_low"] <= pairs["delta"]).all() and (pairs["delta"] <= pairs["delta_ci_high"]).all()


def test_power_csv_and_the_overview_table(tables):
    power = pd.read_csv(tables / "power.csv").set_index("experiment")
    assert power.loc["resnet50_se_imagenet", "claimed_delta"] == pytest.approx(0.023)
    assert power.loc["resnet50_se_imagenet", "seed_var_source"] == "measured over 3 seeds"
    assert power.loc["efficientnet_b2_no_pretrain", "claimed_delta"] == pytest.approx(-0.1007)
    assert {"dla34_b64_e20", "dla34_b64_e50"} <= set(power.index)  # against the best, and the epoch trend
    index = json.loads((tables / "tables.json").read_text())
    assert any(t["key"] == "power" and t["study"] == "overview" for t in index)


def test_the_scorecard_gives_intervals_and_the_tables_show_them(tables):
    card = pd.read_csv(tables / "scorecard.csv")
    assert {"ci_low", "ci_high", "needed"} <= set(card.columns)
    assert set(card["verdict"]) <= {"reproduced", "not reproduced", "inconclusive", "not comparable", "not run",
                                    "claim unreliable"}
    gain = pd.read_csv(tables / "s003__se_gain.csv").set_index("experiment")
    assert {"gain (points)_ci_low", "gain (points)_ci_high", "p", "top1_ci_low"} <= set(gain.columns)
    vs_best = pd.read_csv(tables / "s004__dla34_grid_vs_best.csv")
    assert set(vs_best["experiment"]) == {"dla34_b64_e20", "dla34_b64_e50"}
