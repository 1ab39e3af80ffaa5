"""Predicted vs measured train seconds for the report (cifarlab.analysis.tables.timing)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from cifarlab.analysis.tables.timing import TIMING_COLUMNS, predicted_vs_actual, read_plan


def plan():
    return pd.DataFrame({"experiment": ["a", "b", "c"], "profile": ["full"] * 3,
                         "s_per_epoch": [10.0, 2.0, 5.0], "epochs": [100, 50, 20]})


def test_prediction_is_taken_at_the_epochs_actually_run():
    experiments = pd.DataFrame({"experiment": ["a", "b", "z"], "profile": ["full"] * 3,
                                "train_seconds": [150.0, 100.0, 7.0], "epochs": [30, 50, 3]})
    out = predicted_vs_actual(plan(), experiments)
    assert list(out.columns) == list(TIMING_COLUMNS)
    assert out["experiment"].tolist() == ["a", "b", "z"]
    # a stopped early after 30 of 100 epochs: predicted 30 x 10 s, took half again as long
    assert out["predicted_s"].tolist()[:2] == [300.0, 100.0]
    assert out["ratio"].tolist()[:2] == pytest.approx([0.5, 1.0])
    assert out["epochs_planned"].tolist()[:2] == [100, 50]
    assert np.isnan(out.loc[2, "predicted_s"]) and np.isnan(out.loc[2, "ratio"])  # not planned


def test_planned_epochs_stand_in_when_the_run_does_not_say():
    experiments = pd.DataFrame({"experiment": ["c"], "train_seconds": [200.0]})
    out = predicted_vs_actual(plan(), experiments)
    assert out.loc[0, "predicted_s"] == 100.0 and out.loc[0, "ratio"] == 2.0


def test_a_plan_for_another_profile_is_not_compared():
    experiments = pd.DataFrame({"experiment": ["a"], "profile": ["quick"],
                                "train_seconds": [5.0], "epochs": [5]})
    out = predicted_vs_actual(plan(), experiments)
    assert np.isnan(out.loc[0, "predicted_s"]) and out.loc[0, "measured_train_s"] == 5.0


def test_missing_columns_and_files_are_named(tmp_path):
    with pytest.raises(ValueError, match="experiments: missing column.*train_seconds"):
        predicted_vs_actual(plan(), pd.DataFrame({"experiment": ["a"]}))
    with pytest.raises(FileNotFoundError, match="full.csv"):
        read_plan(tmp_path / "full.csv")


def test_the_report_side_of_the_planner_never_imports_torch():
    code = ("import sys, cifarlab.analysis.tables.timing, cifarlab.plan, cifarlab.plan.table, "
            "cifarlab.plan.schedule, cifarlab.plan.workload, cifarlab.plan.cli; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
