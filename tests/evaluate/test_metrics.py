"""Metric functions on hand-checkable arrays, agreement with scikit-learn, and the files."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import classification_report, f1_score, log_loss, top_k_accuracy_score

from cifarlab.evaluate import (
    AVERAGE_ROWS,
    FACT_KEYS,
    SUMMARY_KEYS,
    cross_entropy,
    evaluate_predictions,
    metrics_record,
    top_k_accuracy,
    write_evaluation,
)

# 3 classes, 6 samples. Predictions (argmax): [0, 0, 1, 1, 2, 0]; labels [0, 0, 1, 2, 2, 1].
# Confusion (rows true): class 0 -> [2, 0, 0]; class 1 -> [1, 1, 0]; class 2 -> [0, 1, 1].
PROBS = np.array([
    [0.7, 0.2, 0.1],
    [0.6, 0.3, 0.1],
    [0.2, 0.5, 0.3],
    [0.1, 0.6, 0.3],
    [0.1, 0.2, 0.7],
    [0.5, 0.4, 0.1],
], dtype=np.float32)
LABELS = np.array([0, 0, 1, 2, 2, 1])
NAMES = ["cat", "dog", "ship"]


def test_hand_checked_three_class_case():
    ev = evaluate_predictions(PROBS, LABELS, NAMES, k=2)
    np.testing.assert_array_equal(ev.confusion, [[2, 0, 0], [1, 1, 0], [0, 1, 1]])
    np.testing.assert_array_equal(ev.preds, [0, 0, 1, 1, 2, 0])
    assert ev.summary["top1"] == pytest.approx(4 / 6)
    # top-2: sample 3 (true 2: 0.3 is 2nd) and sample 5 (true 1: 0.4 is 2nd) count; all six do
    assert ev.summary["top5"] == pytest.approx(1.0)
    assert ev.summary["top5_k"] == 2
    per = ev.per_class.set_index("class")
    # class 0: predicted 3 times, 2 right -> precision 2/3, recall 1, f1 0.8
    assert per.loc["cat", "precision"] == pytest.approx(2 / 3)
    assert per.loc["cat", "recall"] == pytest.approx(1.0)
    assert per.loc["cat", "f1"] == pytest.approx(0.8)
    assert per.loc["dog", "precision"] == pytest.approx(0.5)
    assert per.loc["ship", "precision"] == pytest.approx(1.0)
    assert per.loc["ship", "recall"] == pytest.approx(0.5)
    assert list(per["support"]) == [2, 2, 2, 6, 6]
    assert per.loc["dog", "accuracy"] == pytest.approx(0.5)  # 1 of 2 dogs right
    assert per.loc["macro avg", "accuracy"] == pytest.approx((1 + 0.5 + 0.5) / 3)  # balanced accuracy
    assert per.loc["weighted avg", "accuracy"] == pytest.approx(4 / 6)
    expected_loss = -np.mean(np.log([0.7, 0.6, 0.5, 0.3, 0.7, 0.4]))
    assert ev.summary["loss"] == pytest.approx(expected_loss, rel=1e-6)
    assert list(ev.per_class["class"])[-2:] == list(AVERAGE_ROWS)


def test_agrees_with_sklearn_on_random_predictions():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 400)
    logits = rng.normal(size=(400, 10))
    logits[np.arange(400), labels] += 1.5
    probs = (np.exp(logits) / np.exp(logits).sum(1, keepdims=True)).astype(np.float32)
    ev = evaluate_predictions(probs, labels)
    ids = np.arange(10)
    assert ev.summary["top5"] == pytest.approx(top_k_accuracy_score(labels, probs, k=5, labels=ids))
    p64 = probs.astype(np.float64) / probs.astype(np.float64).sum(1, keepdims=True)
    assert ev.summary["loss"] == pytest.approx(log_loss(labels, p64, labels=ids), rel=1e-5)
    assert ev.summary["macro_f1"] == pytest.approx(f1_score(labels, ev.preds, average="macro"))
    assert ev.summary["weighted_f1"] == pytest.approx(f1_score(labels, ev.preds, average="weighted"))
    report = classification_report(labels, ev.preds, output_dict=True, zero_division=0)
    per = ev.per_class.set_index("class")
    for c in range(10):
        assert per.loc[str(c), "precision"] == pytest.approx(report[str(c)]["precision"])
        assert per.loc[str(c), "recall"] == pytest.approx(report[str(c)]["recall"])
    assert per.loc["macro avg", "f1"] == pytest.approx(report["macro avg"]["f1-score"])
    assert ev.confusion.sum() == 400 and np.trace(ev.confusion) == round(ev.summary["top1"] * 400)


def test_top_k_edge_cases_and_validation():
    assert top_k_accuracy(PROBS, LABELS, 3) == 1.0  # k >= K
    binary = PROBS[:, :2] / PROBS[:, :2].sum(1, keepdims=True)  # K = 2: sklearn's 1-D form
    labels2 = np.array([0, 1, 1, 1, 1, 0])
    assert top_k_accuracy(binary, labels2, 1) == pytest.approx(np.mean(binary.argmax(1) == labels2))
    assert cross_entropy(np.array([[1.0, 0.0]]), np.array([1])) == pytest.approx(-math.log(1e-12))
    with pytest.raises(ValueError, match="labels must lie"):
        evaluate_predictions(PROBS, np.array([0, 1, 2, 3, 0, 0]))
    with pytest.raises(ValueError, match="expected probs"):
        evaluate_predictions(PROBS, LABELS[:3])
    with pytest.raises(ValueError, match="class names"):
        evaluate_predictions(PROBS, LABELS, ["a", "b"])


def test_absent_class_has_nan_accuracy_and_zero_scores():
    ev = evaluate_predictions(PROBS[:3], np.array([0, 0, 0]), NAMES)  # no dog, no ship
    per = ev.per_class.set_index("class")
    assert math.isnan(per.loc["ship", "accuracy"])
    assert per.loc["ship", "recall"] == 0.0
    assert per.loc["macro avg", "accuracy"] == pytest.approx(2 / 3)  # nan classes left out


def test_write_evaluation_files(tmp_path):
    ev = evaluate_predictions(PROBS, LABELS, NAMES, k=2)
    facts = {"params": 1234, "flops": np.int64(5678), "latency_ms_per_image_b1": 0.5, "peak_mem_mb": 12.0,
             "peak_mem_source": "process_max_rss", "train_seconds": 3.25, "epochs": 5, "best_epoch": 4,
             "val_top1": 0.9}
    record = write_evaluation(tmp_path, ev, indices=np.array([10, 11, 12, 13, 14, 15]), facts=facts)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["confusion.csv", "metrics.json", "per_class.csv", "predictions.npz"]
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics == record
    assert set(SUMMARY_KEYS) | set(FACT_KEYS) <= set(metrics)
    assert metrics["top1"] == pytest.approx(0.666667) and metrics["flops"] == 5678 and metrics["val_top1"] == 0.9
    # 4 of 6 right: the 95% Wilson interval (tests/analysis/test_stats.py checks the formula)
    assert metrics["top1_ci_low"] < metrics["top1"] < metrics["top1_ci_high"]
    assert metrics["top5_ci_high"] <= 1.0 and metrics["top5_ci_low"] <= metrics["top5"]
    assert metrics["latency_ms_per_image_batched"] is None  # not supplied: null, key still there
    assert all(not isinstance(v, (dict, list)) for v in metrics.values())  # flat for dvc metrics diff
    per = pd.read_csv(tmp_path / "per_class.csv")
    assert list(per.columns) == ["class", "precision", "recall", "f1", "support", "accuracy"]
    assert len(per) == 5
    cm = pd.read_csv(tmp_path / "confusion.csv", index_col=0)
    assert list(cm.columns) == NAMES and cm.index.name == "true"
    np.testing.assert_array_equal(cm.to_numpy(), ev.confusion)
    with np.load(tmp_path / "predictions.npz") as npz:
        assert npz["probs"].dtype == np.float32 and npz["probs"].shape == (6, 3)
        np.testing.assert_array_equal(npz["indices"], np.arange(10, 16))
        np.testing.assert_array_equal(npz["preds"], ev.preds)
        np.testing.assert_array_equal(npz["labels"], LABELS)


def test_metrics_record_rejects_bad_facts():
    ev = evaluate_predictions(PROBS, LABELS, NAMES)
    with pytest.raises(ValueError, match="override"):
        metrics_record(ev, {"top1": 1.0})
    with pytest.raises(ValueError, match="scalar"):
        metrics_record(ev, {"params": [1, 2]})
    with pytest.raises(ValueError, match="indices"):
        write_evaluation("unused", ev, indices=np.arange(3))


def test_seed_summary_interval_over_seeds_and_images():
    """The experiment's metrics.json (the DVC metric): one seed keeps its Wilson interval,
    several seeds get the variance-sum interval, never the mean of the seeds' bounds."""
    from cifarlab.analysis.stats.intervals import seed_interval, wilson_fraction
    from cifarlab.evaluate.seeds import seed_summary

    one = seed_summary({0: {"top1": 0.5, "top5": 0.9, "n_test": 300, "top1_ci_low": 0.0, "top1_ci_high": 1.0}})
    assert (one["top1_ci_low"], one["top1_ci_high"]) == pytest.approx(wilson_fraction(0.5, 300), abs=1e-6)
    three = seed_summary({s: {"top1": v, "top5": 0.9, "n_test": 300} for s, v in enumerate((0.5, 0.56, 0.6))})
    assert (three["top1_ci_low"], three["top1_ci_high"]) == pytest.approx(
        seed_interval([0.5, 0.56, 0.6], 300), abs=1e-6)
    assert three["per_seed"]["1"]["top1"] == 0.56 and "top1_ci_low" in three["per_seed"]["1"]
