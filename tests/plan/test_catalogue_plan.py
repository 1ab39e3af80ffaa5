"""Issue 19, item 8: the planner over the real catalogue, as a new user first runs it.

Every experiment of the repository's params.yaml is planned in both profiles on the CPU,
in the cheap mode (one timed step of at most 2 images, scaled per image). Before the fix
the quick catalogue stopped at its fourth experiment ("the loader yielded no batch": a
budget's smaller batch was timed at the recipe's) and Mixer-B/16 could not run at 224 px
(its crop was fixed at 32 px). Whatever cannot fit in this machine's memory must be named,
never dropped: planned + named = the whole catalogue.
"""

from __future__ import annotations

import contextlib
import json
import math
from pathlib import Path

import pandas as pd
import pytest
import torch
from torch import nn

from cifarlab.config import load_config
from cifarlab.plan.cli import main as plan_main, select_experiments
from cifarlab.plan.step_memory import MemoryEstimate, estimate
from tests.workflow_copy import REPO

PARAMS = REPO / "params.yaml"


def test_saved_activations_are_counted_once_and_weights_apart():
    model = nn.Sequential(nn.Linear(100, 50), nn.ReLU(), nn.Linear(50, 10))
    est = estimate(model, torch.randn(4, 100), contextlib.nullcontext)
    # Saved for backward: the input (100 floats) and the ReLU output (50), which the second
    # Linear saves again (one storage). Weights: (100*50 + 50 + 50*10 + 10) floats, x4.
    assert est.per_image_mb * 2**20 == pytest.approx((100 + 50) * 4, rel=1e-12)
    assert est.fixed_mb * 2**20 == pytest.approx(4 * 4 * (5050 + 510), rel=1e-12)


def test_the_largest_batch_that_fits_halves_from_the_batch():
    est = MemoryEstimate(per_image_mb=10.0, fixed_mb=100.0, free_mb=1000.0)  # 700 MiB usable
    assert est.largest_batch(32) == 32  # 420 MiB
    assert est.largest_batch(1024) == 32  # 64 -> 740 MiB is over
    assert MemoryEstimate(1000.0, 0.0, 1000.0).largest_batch(8) == 0  # not even 2 images


def test_select_takes_comma_lists_as_config_only_does():
    cfg = load_config(PARAMS)
    assert select_experiments(cfg, ["resnet_20,cnn4"]) == select_experiments(cfg, ["cnn4", "resnet_20"])
    assert select_experiments(cfg, ["s000, efficientnet*"])[0] == "cnn4"


@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("profile", ["quick", "full"])
def test_every_experiment_of_the_catalogue_is_planned_or_named(tmp_path, profile, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no split here: every dataset is timed on synthetic images
    out = tmp_path / f"{profile}.csv"
    argv = ["--params", str(PARAMS), "--profile", profile, "--device", "cpu",
            "--probe-batch", "2", "--steps", "1", "--out", str(out)]
    assert plan_main(argv) == 0
    catalogue = list(load_config(PARAMS, profile).experiments)
    plan = pd.read_csv(out)
    skipped = json.loads(out.with_suffix(".prov.json").read_text())["extra"]["not_planned"]
    assert sorted(plan["experiment"].tolist() + list(skipped)) == sorted(catalogue)
    assert all(why for why in skipped.values())
    assert (plan["timed_batch"] <= 2).all() and (plan["timed_batch"] >= 1).all()
    assert all(math.isfinite(v) and v > 0 for v in plan["predicted_seconds"])
    print(f"{profile}: planned {len(plan)}, not planned {sorted(skipped)}")
