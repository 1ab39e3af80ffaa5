"""The rehearsal profile keeps the full profile's shapes and cuts only epochs and batches."""

from __future__ import annotations

import pytest

from cifarlab.budget import RunBudget, batch_cut
from cifarlab.config import load_config
from cifarlab.plan.budgeted import apply_budget
from cifarlab.plan.workload import build_workload
from cifarlab.rehearsal.subset import KINDS, ci_subset
from cifarlab.models.index import FAMILY_MODULES


@pytest.fixture(scope="module")
def cfgs():
    return load_config("params.yaml", "full"), load_config("params.yaml", "rehearsal")


def test_keeps_the_full_recipes_and_cuts_epochs(cfgs):
    full, reh = cfgs
    assert reh.profile.device == "cpu" and reh.profile.train_batches == 2 and reh.profile.eval_batches == 2
    assert set(reh.experiments) == set(full.experiments)
    for name, f in full.experiments.items():
        r = reh.experiments[name]
        assert r.dataset == f.dataset and r.model_args == f.model_args and len(r.seeds) == 1
        fr, rr = f.recipe, r.recipe
        for key in ("batch_size", "eval_batch_size", "resize", "augment", "mix", "optimizer",
                    "early_stopping", "label_smoothing", "normalize"):
            assert getattr(rr, key) == getattr(fr, key), (name, key)
        assert rr.max_epochs == min(2, fr.max_epochs) or (f.ablation_of and rr.max_epochs == 1)
        assert rr.schedule.name == fr.schedule.name
        assert (rr.schedule.warmup_epochs > 0) == (fr.schedule.warmup_epochs > 0), name
        if fr.phases:  # one epoch per phase, each phase's own lr and trainable layers
            assert [(p.name, p.trainable, p.lr, p.epochs) for p in rr.phases] == \
                   [(p.name, p.trainable, p.lr, 1) for p in fr.phases]


def test_batch_cut_takes_two_batches_at_the_recipe_sizes():
    plan = RunBudget(32, 0.1, 1024, None, None, None, None)
    sizes = {"train": 45_000, "val": 5_000, "test": 10_000}
    cut = batch_cut(plan, train_batches=2, eval_batches=2, eval_batch_size=256, sizes=sizes)
    assert (cut.batch_size, cut.train_batches_per_epoch, cut.val_images, cut.test_images) == (1024, 2, 512, 512)
    small = batch_cut(plan, train_batches=2, eval_batches=2, eval_batch_size=256,
                      sizes={"train": 1500, "val": 100, "test": 300})
    assert (small.train_batches_per_epoch, small.val_images, small.test_images) == (None, 100, 300)
    assert batch_cut(plan, train_batches=None, eval_batches=None, eval_batch_size=256, sizes=sizes) == plan


def test_the_planner_counts_the_cut(cfgs):
    _, reh = cfgs
    exp = reh.experiments["resnet_20"]
    w = apply_budget(reh, exp, build_workload(reh, exp, 2))
    assert (w.batch_size, w.train_batches, w.val_batches, w.test_batches, w.input_size) == (1024, 2, 2, 2, 32)
    mixer = reh.experiments["mlp_mixer_b16"]
    assert apply_budget(reh, mixer, build_workload(reh, mixer, 2)).input_size == 224


def test_ci_part_covers_every_family_and_recipe_kind(cfgs):
    _, reh = cfgs
    part, left_out = ci_subset(reh)
    assert left_out == []
    families = {FAMILY_MODULES[e.model] for e in reh.experiments.values()}
    assert {FAMILY_MODULES[reh.experiments[n].model] for n in part} == families
    for kind, has in KINDS.items():
        assert any(has(reh.experiments[n]) for n in part), kind
    assert "mlp_mixer_b16" not in part and "wrn_28_10" not in part  # the dearest of their families
    assert len(part) < len(reh.experiments) / 2


def test_every_training_pipeline_yields_the_input_size_its_model_takes(cfgs):
    """Found by the rehearsal: s002's crop at a fixed 32 px undid Mixer-B/16's resize to 224."""
    import torch

    from cifarlab.steps.train import loader_over

    _, reh = cfgs
    for name, exp in reh.experiments.items():
        stored = exp.dataset.image_size or 32
        px = exp.recipe.resize or stored
        images = torch.randint(0, 256, (2, 3, stored, stored), dtype=torch.uint8)
        loader = loader_over(exp, images, torch.tensor([0, 1]), "cpu", train=True, seed=0, num_classes=10,
                             batch_size=2)
        x, _ = next(iter(loader))
        assert tuple(x.shape[-2:]) == (px, px), name


def test_gradcam_pair_of_a_run_without_either_example_still_picks_an_image():
    """Found by the rehearsal: EfficientNet-B2 at chance had no correct bird and no
    airplane -> ship error, and the explain step failed on an empty selection."""
    import numpy as np

    from cifarlab.steps.explain import pick_pair

    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    labels, preds = np.array([0, 2, 3]), np.array([1, 1, 1])
    idx, note = pick_pair("cifar10", classes, labels, preds)
    assert idx == [0] and "no such example for both" in note and "first test image" in note
    idx, _ = pick_pair("cifar10", classes, np.array([2, 0]), np.array([2, 8]))
    assert idx == [0, 1]


def test_ci_part_within_a_cost_keeps_every_recipe_kind(cfgs):
    from cifarlab.rehearsal.subset import rehearsal_cost

    _, reh = cfgs
    part, left_out = ci_subset(reh, max_cost=150)
    for kind, has in KINDS.items():
        assert any(has(reh.experiments[n]) for n in part), kind
    kinds_only, _ = ci_subset(reh, max_cost=0)
    assert sum(rehearsal_cost(reh.experiments[n], reh) for n in part) <= max(
        150, sum(rehearsal_cost(reh.experiments[n], reh) for n in kinds_only))
    assert left_out and set(left_out).isdisjoint({FAMILY_MODULES[reh.experiments[n].model] for n in part})
