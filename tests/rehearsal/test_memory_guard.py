"""The memory prediction's probe, the guard that kills a run above its limit, the table."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from cifarlab.plan.memory import extrapolate, peak_of, probe
from cifarlab.rehearsal.guard import run_guarded
from cifarlab.rehearsal.run import work_params
from cifarlab.rehearsal.table import frame, markdown, row

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
MIB = 2**20


def _allocating(per_item_mib: int):
    """A step of b items that touches b x per_item_mib of fresh memory."""
    def make(b: int):
        return lambda: np.ones(b * per_item_mib * MIB // 8).sum()
    return make


def test_probe_reads_each_step_and_extrapolates_linearly():
    # The cap is above this process's own resident size (a long test session holds GiBs).
    points = probe(_allocating(4), 256, enough_mb=32, cap_mb=peak_of(lambda: None) + 10_000)
    batches = [b for b, _ in points]
    assert batches[0] == 2 and batches == sorted(batches) and batches[-1] < 256
    (b1, p1), (b2, p2) = points[-2:]
    assert p2 - p1 >= 32  # stopped once a doubling added enough to fit the slope
    assert (p2 - p1) / (b2 - b1) == pytest.approx(4, rel=0.15)
    # Against a real run at the full size: within 10%.
    predicted = extrapolate(points, 96)
    assert predicted == pytest.approx(peak_of(_allocating(4)(96)), rel=0.1)


def test_probe_never_runs_a_step_above_the_cap():
    points = probe(_allocating(16), 1024, enough_mb=10_000, cap_mb=peak_of(lambda: None) + 200)
    assert points[-1][0] < 32  # 16 MiB an item: doubling past ~12 items would pass the cap


def test_extrapolate_at_or_below_the_last_reading():
    assert extrapolate([(2, 100.0), (4, 120.0)], 4) == 120.0
    assert extrapolate([(2, 100.0), (4, 120.0)], 8) == 160.0
    assert extrapolate([(2, 100.0), (4, 90.0)], 8) == 90.0  # noise never predicts less


def test_guard_kills_a_run_above_its_limit_and_names_the_experiment(tmp_path):
    hog = ("import time, numpy as np; a = np.ones(800 * 2**20 // 8); time.sleep(30)")
    status, report = run_guarded([sys.executable, "-c", hog, "--experiment", "hog_exp"], cwd=tmp_path,
                                 env=None, limit_mb=400, interval=0.1)
    assert report.killed and status != 0
    assert report.running_at_kill["hog_exp"] > 400
    status, report = run_guarded([sys.executable, "-c", "pass"], cwd=tmp_path, env=None, limit_mb=4000)
    assert status == 0 and not report.killed


def test_work_params_point_the_datasets_at_the_stand_ins(tmp_path):
    from cifarlab.config import build_config
    from cifarlab.yamlio import load_yaml

    raw = load_yaml("params.yaml")
    out = work_params(raw, "http://127.0.0.1:9", {"cifar10": "a" * 32, "cifar100": "b" * 32}, tmp_path)
    cfg = build_config(out)
    assert cfg.profile.name == "rehearsal"
    assert cfg.datasets["cifar10"].url == "http://127.0.0.1:9/cifar-10-python.tar.gz"
    assert cfg.datasets["cifar100"].md5 == "b" * 32 and cfg.datasets["imagenet100"].local == str(tmp_path)
    assert raw["datasets"]["cifar10"]["md5"] != "a" * 32  # the original is untouched


def test_table_sets_peak_beside_prediction():
    pred = {"predicted_mb": 1000.0, "evaluate_mb": 950.0, "batch_size": 128, "eval_batch_size": 256,
            "input_size": 32}
    df = frame([row("a", "s000", "cnn4", pred, {"train_peak_mb": 1100.0, "evaluate_peak_mb": 900.0,
                                                 "train_seconds": 3.0}, "ran"),
                row("b", "s002", "mlp_mixer_b16", {**pred, "predicted_mb": 90_000.0},
                    {"train_peak_mb": None, "evaluate_peak_mb": None, "train_seconds": None},
                    "cannot run here: ...")])
    assert df.loc[0, "measured_over_predicted"] == 1.1 and pd.isna(df.loc[1, "measured_over_predicted"])
    text = markdown(df)
    assert "| a | s000 | cnn4 | 128 | 256 | 32 | 1,000 | 1,100 | 1.1 | 950 | 900 | 3 | ran |" in text
    assert "90,000" in text and "cannot run here" in text


def test_probe_stops_at_max_batch():
    points = probe(_allocating(1), 256, enough_mb=10_000, cap_mb=peak_of(lambda: None) + 10_000, max_batch=8)
    assert [b for b, _ in points] == [2, 4, 8]
