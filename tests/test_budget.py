"""The quick profile's cost-aware budget: a run's share of its study, in images."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from cifarlab.budget import TRAIN_COST, choose_input_px, cost_table, plan_run, seconds_per_train_image
from cifarlab.config import BudgetConfig, load_config
from cifarlab.models.registry import list_models

REPO = Path(__file__).resolve().parents[1]
B = BudgetConfig(study_seconds=150, eval_share=0.15, min_train_images=512, min_eval_images=128,
                 max_gflop_per_image=0.6, min_input_px=8, max_input_px=64)
SIZES = dict(batch_size=128, epochs=5, train_size=20000, val_size=2000, test_size=10000)
CNN4 = 0.0019  # seconds per training image (about cnn4's on one core)


def _plan(seconds, runs, budget=B, **kw):
    return plan_run(seconds, gflops_per_image=0.03, input_px=32, runs_in_study=runs, budget=budget,
                    **{**SIZES, **kw})


def test_a_cheap_run_alone_in_its_study_keeps_its_whole_schedule():
    roomy = BudgetConfig(**{**B.__dict__, "study_seconds": 400})
    cnn4 = _plan(CNN4, 1, roomy)  # s000: one run
    assert cnn4.train_batches_per_epoch is None  # all 156 batches of 20k images, every epoch
    assert (cnn4.val_images, cnn4.test_images) == (2000, 10000)
    assert cnn4.planned_seconds(5, 20000, 2000, 10000) <= roomy.study_seconds
    shared = _plan(CNN4, 8, roomy)
    assert shared.train_batches_per_epoch < 156  # the same model in a study of 8 runs is cut


def test_the_quick_budget_gives_cnn4_the_images_it_needs():
    quick = load_config(REPO / "params.yaml", "quick")
    cost = seconds_per_train_image("cnn4", 32, 0.03, quick.profile.budget)
    cnn4 = _plan(cost, quick.runs_in_study("s000"), quick.profile.budget)
    # measured: 5 epochs of 11,008 images gave cnn4 89.23% test accuracy (>= 88%)
    assert cnn4.train_batches_per_epoch is None or cnn4.train_batches_per_epoch * 128 >= 11_008


def test_a_costly_run_is_cut_to_its_share_and_never_below_the_floor():
    share = B.study_seconds / 28
    mid = _plan(0.004, 28)
    want = (1 - B.eval_share) * share / 0.004  # training images over all epochs
    assert mid.train_batches_per_epoch == math.ceil(want / (5 * 128))
    heavy = _plan(0.3, 15)
    assert heavy.train_batches_per_epoch == 1  # ceil(512 / 640): the floor, one batch an epoch
    assert heavy.val_images == heavy.test_images == B.min_eval_images
    more = _plan(0.004, 14)
    assert more.train_batches_per_epoch > mid.train_batches_per_epoch  # fewer runs: bigger shares
    assert mid.test_images == int(B.eval_share * share / 2 * TRAIN_COST / 0.004)


def test_no_budget_means_the_full_run():
    full = _plan(10.0, 50, None)
    assert (full.train_batches_per_epoch, full.val_images, full.test_images) == (None, None, None)


def test_input_size_halves_while_too_costly_and_stops_at_the_floor():
    cost = {64: 4.0, 32: 1.0, 16: 0.25, 8: 0.06}
    assert choose_input_px(224, cost.__getitem__, B) == 16  # 224 -> 64 cap -> 32 -> 16
    assert choose_input_px(32, lambda px: 0.1, B) == 32
    assert choose_input_px(32, lambda px: 100.0, B) == 8  # never below min_input_px
    assert choose_input_px(224, lambda px: 100.0, None) == 224
    too_small = {32: 1.0, 16: None}  # the model cannot run at 16 px: keep 32
    assert choose_input_px(32, too_small.__getitem__, B) == 32


def test_cost_table_covers_the_zoo_and_scales_with_pixels():
    table = cost_table()
    assert set(list_models()) <= set(table)
    assert seconds_per_train_image("cnn4", 64, 0.12, B) == pytest.approx(4 * table["cnn4"])
    # FLOPs misjudge CPU time: the depthwise 7x7 ResNet-20 costs more than the plain one
    assert table["improved_resnet20_convnext"] > 2 * table["resnet_20"]
    unknown = seconds_per_train_image("not_in_table", 32, 0.4, B)
    assert unknown == pytest.approx(TRAIN_COST * 0.4 / B.fallback_gflops_per_second)


def test_the_quick_profile_declares_its_budget():
    quick = load_config(REPO / "params.yaml", "quick").profile
    assert quick.budget is not None and quick.budget.study_seconds > 0
    assert load_config(REPO / "params.yaml", "full").profile.budget is None
    with pytest.raises(TypeError):
        BudgetConfig()  # study_seconds is required


def test_a_cut_run_takes_smaller_batches_to_make_enough_steps():
    steps = BudgetConfig(**{**B.__dict__, "min_steps_per_epoch": 8, "min_batch_size": 16})
    floor = _plan(0.3, 15, steps)  # 512 images over 5 epochs: one batch of 128 an epoch without the rule
    assert (floor.batch_size, floor.train_batches_per_epoch) == (16, 8)
    mid = _plan(0.004, 28, steps)
    assert mid.batch_size * mid.train_batches_per_epoch <= 3 * 128 and mid.train_batches_per_epoch >= 8
    roomy = _plan(CNN4, 1, steps)  # enough batches already: the recipe's batch stays
    assert roomy.batch_size == 128


def test_learning_rates_follow_the_batch_the_budget_leaves():
    from cifarlab.budget import lr_scale

    assert lr_scale("sqrt", 16, 1024) == pytest.approx(0.125)  # s002: 0.1 -> 0.0125
    assert lr_scale("linear", 32, 256) == pytest.approx(0.125)
    assert lr_scale("none", 16, 1024) == 1.0
    assert lr_scale("sqrt", 128, 128) == 1.0  # a run trained at its declared batch keeps its lr
    assert lr_scale("sqrt", 16, None) == 1.0


def test_scaled_settings_scale_every_phase():
    from cifarlab.steps.train import scaled_lr
    from cifarlab.train import Phase, TrainSettings

    phases = (Phase("head", 1, "head", 1e-3, "constant"), Phase("finetune", 4, "all", 1e-4))
    settings = TrainSettings(optimizer="adamw", lr=1e-3, max_epochs=5, phases=phases)
    half = scaled_lr(settings, 0.5)
    assert half.lr == pytest.approx(5e-4)
    assert [p.lr for p in half.phases] == pytest.approx([5e-4, 5e-5])
    assert scaled_lr(settings, 1.0) is settings


def test_an_ablation_trains_on_its_base_budget_and_a_grid_keeps_its_batch_ratios():
    from cifarlab.budget import ablation_plan

    base = _plan(0.0183, 15, batch_size=128)  # dla34 (declared 256, capped to 128)
    assert base.train_batches_per_epoch is not None
    per_epoch = base.batch_size * base.train_batches_per_epoch
    kw = dict(input_px=32, gflops_per_image=0.03, seconds_per_image=0.0183, train_size=20000)
    cells = {b: ablation_plan(base, base_batch=256, batch=b, **kw) for b in (64, 128, 256)}
    assert cells[256].batch_size == base.batch_size
    assert cells[128].batch_size * 2 == cells[256].batch_size == cells[64].batch_size * 4
    for cell in cells.values():  # the same images an epoch, and the same evaluation sets
        assert cell.batch_size * cell.train_batches_per_epoch == per_epoch
        assert (cell.val_images, cell.test_images, cell.run_seconds) == (base.val_images, base.test_images,
                                                                        base.run_seconds)
    same = ablation_plan(base, base_batch=256, batch=256, **{**kw, "input_px": 16})
    assert (same.batch_size, same.train_batches_per_epoch, same.input_px) == (base.batch_size,
                                                                              base.train_batches_per_epoch, 16)


def test_the_quick_dla34_grid_keeps_its_shape():
    quick = load_config(REPO / "params.yaml", "quick")
    epochs = {n: quick.experiment(n).recipe.max_epochs for n in quick.experiments if n.startswith("dla34")}
    assert {epochs["dla34_b64_e20"], epochs["dla34_b64_e50"], epochs["dla34_b64_e100"]} == {1, 3, 5}
    assert epochs["dla34"] == epochs["dla34_b128_e100"] == quick.profile.max_epochs
    full = load_config(REPO / "params.yaml", "full")
    assert full.experiment("dla34_b64_e20").recipe.max_epochs == 20  # no cap, no scaling
    # an ablation that keeps its base's epochs keeps the profile's cap
    assert quick.experiment("efficientnet_b2_no_resize").recipe.max_epochs == quick.profile.max_epochs


def test_a_run_that_cannot_pay_for_its_floor_trains_at_half_the_size():
    from cifarlab.budget import affordable_input_px

    steps = BudgetConfig(**{**B.__dict__, "min_steps_per_epoch": 8, "min_batch_size": 16})
    effnet = lambda px: 0.05 * (px / 64) ** 2  # noqa: E731  (640 floor images at 64 px: 32 s)
    # 8 runs share 150 s: 15.9 s of training each buys the floor at 32 px, not at 64
    assert affordable_input_px(64, effnet, lambda px: True, runs_in_study=8, epochs=5, budget=steps) == 32
    assert affordable_input_px(64, effnet, lambda px: True, runs_in_study=1, epochs=5, budget=steps) == 64
    assert affordable_input_px(64, effnet, lambda px: px >= 64, runs_in_study=8, epochs=5, budget=steps) == 64
    never = lambda px: 100.0  # noqa: E731
    assert affordable_input_px(32, never, lambda px: True, runs_in_study=8, epochs=5, budget=steps) == 8
    assert affordable_input_px(64, never, lambda px: True, runs_in_study=8, epochs=5, budget=None) == 64


def test_a_random_init_run_merges_its_fine_tuning_phases():
    from cifarlab.steps.train import merged_phases, train_settings
    from cifarlab.train import Phase, TrainSettings

    phases = (Phase("head", 1, "head", 1e-3, "constant"), Phase("finetune", 4, "all", 1e-4))
    merged = merged_phases(TrainSettings(optimizer="adamw", lr=5e-3, max_epochs=5, schedule="cosine", phases=phases))
    assert (merged.lr, merged.phases, merged.schedule, merged.max_epochs) == (1e-3, (), "cosine", 5)
    quick = load_config(REPO / "params.yaml", "quick")
    assert quick.profile.random_init_phases == "merge"
    assert load_config(REPO / "params.yaml", "full").profile.random_init_phases == "keep"
    assert train_settings(quick.experiment("efficientnet_b2"), quick.profile).phases  # merged only at random init


def test_a_subset_trains_on_the_budgets_of_the_whole_catalogue():
    quick = load_config(REPO / "params.yaml", "quick")
    cell = quick.select("dla34_b64_e20")
    assert list(cell.experiments) == ["dla34_b64_e20"]
    assert cell.runs_in_study("s004") == quick.runs_in_study("s004")  # shares do not grow
    assert cell.declared("dla34") == quick.experiment("dla34")  # its base, for ablation_plan
    with pytest.raises(Exception, match="dla34"):
        cell.experiment("dla34")  # a step still runs only what was selected
