"""The ensemble step on members' saved prediction files: what it writes, and that it
refuses (one line, nothing written) when a member's predictions are missing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cifarlab import dag
from cifarlab.cli import run_step
from cifarlab.evaluate.writer import write_predictions
from tests.workflow_copy import REPO

CLASSES = [f"c{i}" for i in range(10)]


def _fake_member(root, exp, seed, n_test, n_val, rng, sharp):
    folder = root / dag.seed_dir(dag.eval_dir(exp), seed)
    folder.mkdir(parents=True)
    for name, n, labels_seed in (("predictions.npz", n_test, 0), (dag.VAL_PREDICTIONS, n_val, 1)):
        labels = np.random.default_rng(labels_seed).integers(0, 10, n)
        logits = rng.normal(size=(n, 10))
        logits[np.arange(n), labels] += sharp  # a member right more often than chance
        p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        write_predictions(folder / name, p, labels, np.arange(n))


@pytest.fixture()
def workspace(tmp_path, monkeypatch):
    rng = np.random.default_rng(7)
    for seed, sharp in ((0, 2.0), (1, 0.5)):
        _fake_member(tmp_path, "resnet_20", seed, 120, 80, rng, sharp)
    meta = tmp_path / dag.SPLIT_DIR / "fashion_mnist" / "meta.json"
    meta.parent.mkdir(parents=True)
    meta.write_text(json.dumps({"classes": CLASSES, "num_classes": 10}))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_step_writes_what_evaluate_writes_per_method(workspace):
    assert run_step("ensemble", ["--params", str(REPO / "params.yaml"), "--ensemble", "resnet_20_seeds"]) == 0
    out = workspace / dag.ensemble_eval_dir("resnet_20_seeds") / "seeds"
    for method in ("vote", "mean", "weighted"):
        assert {p.name for p in (out / method).iterdir()} == {"metrics.json", "per_class.csv", "confusion.csv",
                                                              "predictions.npz"}
    members = json.loads((out / "members.json").read_text())
    summary = json.loads((workspace / dag.ensemble_metrics_file("resnet_20_seeds")).read_text())
    assert summary["best_member"] == "seed_0"  # the sharper member
    assert summary["best_member_top1"] == pytest.approx(members["seed_0"]["top1"], abs=1e-6)
    # the validation NLL prefers the sharper member
    assert summary["weight_seed_0"] > summary["weight_seed_1"]
    per_method = json.loads((out / "mean" / "metrics.json").read_text())
    assert summary["mean_top1"] == pytest.approx(per_method["top1"], abs=1e-6)
    assert summary["mean_gain_top1"] == pytest.approx(per_method["top1"] - members["seed_0"]["top1"], abs=2e-6)
    assert (workspace / dag.ensemble_eval_dir("resnet_20_seeds") / "ensemble.prov.json").is_file()


def test_missing_member_predictions_fail_in_one_line_before_writing(workspace, capsys):
    (workspace / dag.seed_dir(dag.eval_dir("resnet_20"), 1) / dag.VAL_PREDICTIONS).unlink()
    assert run_step("ensemble", ["--params", str(REPO / "params.yaml"), "--ensemble", "resnet_20_seeds"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "ensembles.resnet_20_seeds" in err and "val_predictions.npz" in err
    assert not (workspace / dag.ENSEMBLES_DIR).exists()


def test_an_unknown_ensemble_is_named(workspace, capsys):
    assert run_step("ensemble", ["--params", str(REPO / "params.yaml"), "--ensemble", "nope"]) == 2
    assert "ensembles.nope: no such ensemble" in capsys.readouterr().err


def test_bad_ensembles_are_named_at_validation():
    import copy

    import yaml

    from cifarlab.config import ConfigError, build_config

    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    for members, over, match in ((["resnet_20", "ghost"], "members", r"ensembles\.x\.members: unknown experiment\(s\) ghost"),
                                 (["resnet_20", "cnn4"], "members", "different datasets"),
                                 (["resnet_20", "resnet_32"], "seeds", "exactly one member")):
        bad = copy.deepcopy(raw)
        bad["ensembles"]["x"] = {"study": "s002", "members": members, "over": over}
        with pytest.raises(ConfigError, match=match):
            build_config(bad)


def test_the_gain_over_the_best_member_carries_the_paired_test(workspace):
    from cifarlab.analysis.stats.paired import compare
    from cifarlab.evaluate.ensemble import Predictions

    assert run_step("ensemble", ["--params", str(REPO / "params.yaml"), "--ensemble", "resnet_20_seeds"]) == 0
    summary = json.loads((workspace / dag.ensemble_metrics_file("resnet_20_seeds")).read_text())
    out = workspace / dag.ensemble_eval_dir("resnet_20_seeds") / "seeds"
    member = Predictions.load(workspace / dag.seed_dir(dag.eval_dir("resnet_20"), 0) / "predictions.npz")
    for method in ("vote", "mean", "weighted"):
        with np.load(out / method / "predictions.npz") as f:
            ens = f["preds"] == f["labels"]
        r = compare(ens[None], (member.probs.argmax(1) == member.labels)[None])
        assert summary[f"{method}_gain_top1"] == pytest.approx(r.delta, abs=2e-6)
        assert (summary[f"{method}_gain_ci_low"], summary[f"{method}_gain_ci_high"]) == pytest.approx(
            (r.ci_low, r.ci_high), abs=1e-6)
        assert summary[f"{method}_gain_p"] == pytest.approx(r.p_value) and summary[f"{method}_tied_with_best"] == r.tied
