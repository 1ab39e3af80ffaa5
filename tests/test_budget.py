"""The quick profile's cost-aware budget: a run's share of its study, in images."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from cifarlab.budget import TRAIN_COST, choose_input_px, plan_run
from cifarlab.config import BudgetConfig, load_config

REPO = Path(__file__).resolve().parents[1]
B = BudgetConfig(study_gflop=9000, eval_share=0.15, min_train_images=1024, min_eval_images=256,
                 max_gflop_per_image=0.6, min_input_px=16, max_input_px=64)
SIZES = dict(batch_size=128, epochs=5, train_size=20000, val_size=2000, test_size=10000)


def test_a_cheap_run_alone_in_its_study_keeps_its_whole_schedule():
    roomy = BudgetConfig(**{**B.__dict__, "study_gflop": 20000})
    cnn4 = plan_run(0.030, input_px=32, runs_in_study=1, budget=roomy, **SIZES)  # s000: one run
    assert cnn4.train_batches_per_epoch is None  # all 156 batches of 20k images, every epoch
    assert (cnn4.val_images, cnn4.test_images) == (2000, 10000)
    assert cnn4.planned_gflop(5, 20000, 2000, 10000) <= roomy.study_gflop
    shared = plan_run(0.030, input_px=32, runs_in_study=8, budget=roomy, **SIZES)
    assert shared.train_batches_per_epoch < 156  # the same model in a study of 8 runs is cut


def test_the_quick_budget_gives_cnn4_the_images_it_needs():
    quick = load_config(REPO / "params.yaml", "quick")
    cnn4 = plan_run(0.030, input_px=32, runs_in_study=quick.runs_in_study("s000"), budget=quick.profile.budget,
                    **SIZES)
    # measured: 5 epochs of 12,288 images gave cnn4 88.65% validation accuracy
    assert cnn4.train_batches_per_epoch * 128 >= 12_288


def test_a_costly_run_is_cut_to_its_share_and_never_below_the_floor():
    share = B.study_gflop / 28
    mid = plan_run(0.082, input_px=32, runs_in_study=28, budget=B, **SIZES)
    want = (1 - B.eval_share) * share / (TRAIN_COST * 0.082)  # training images over all epochs
    assert mid.train_batches_per_epoch == math.ceil(want / (5 * 128))
    heavy = plan_run(2.6, input_px=16, runs_in_study=15, budget=B, **SIZES)
    assert heavy.train_batches_per_epoch * 5 * 128 >= B.min_train_images
    assert heavy.train_batches_per_epoch == 2  # ceil(1024 / 640)
    assert heavy.val_images == heavy.test_images == B.min_eval_images
    more = plan_run(0.082, input_px=32, runs_in_study=14, budget=B, **SIZES)
    assert more.train_batches_per_epoch > mid.train_batches_per_epoch  # fewer runs: bigger shares


def test_no_budget_means_the_full_run():
    full = plan_run(10.0, input_px=32, runs_in_study=50, budget=None, **SIZES)
    assert (full.train_batches_per_epoch, full.val_images, full.test_images) == (None, None, None)


def test_input_size_halves_while_too_costly_and_stops_at_the_floor():
    cost = {64: 4.0, 32: 1.0, 16: 0.25, 8: 0.06}
    assert choose_input_px(224, cost.__getitem__, B) == 16  # 224 -> 64 cap -> 32 -> 16
    assert choose_input_px(32, lambda px: 0.1, B) == 32
    assert choose_input_px(32, lambda px: 100.0, B) == 16  # never below min_input_px
    assert choose_input_px(224, lambda px: 100.0, None) == 224
    too_small = {32: 1.0, 16: None}  # the model cannot run at 16 px: keep 32
    assert choose_input_px(32, too_small.__getitem__, B) == 32


def test_the_quick_profile_declares_its_budget():
    quick = load_config(REPO / "params.yaml", "quick").profile
    assert quick.budget is not None and quick.budget.study_gflop > 0
    assert load_config(REPO / "params.yaml", "full").profile.budget is None
    with pytest.raises(TypeError):
        BudgetConfig()  # study_gflop is required
