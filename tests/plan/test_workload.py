"""The planner's arithmetic: images per epoch, batches, seconds, seeds, epochs."""

from __future__ import annotations

import copy
import math
import dataclasses
import types

import pytest
import yaml

from cifarlab.config import build_config, load_config
from cifarlab.plan.workload import (PLAN_COLUMNS, DatasetFacts, PlanError, StepTiming, Workload,
                                    build_workload, dataset_facts, experiment_seeds, predict,
                                    workflow_jobs, split_sizes)
from tests.workflow_copy import REPO

TIMING = StepTiming(train_step_s=0.5, eval_step_s=0.2, peak_memory_mb=100.0,
                    peak_memory_source="cuda_max_allocated", device="cuda", precision="bfloat16",
                    channels_last=True, data_source="synthetic", measure_seconds=1.0)


def test_cifar_epoch_is_45000_images_after_the_ten_percent_validation_cut():
    cifar = dataset_facts("cifar10", "cifar10")
    assert split_sizes(cifar, 0.1) == (45_000, 5_000, 10_000)
    assert split_sizes(cifar, 0.1, train_subset=20_000, val_subset=2_000, test_subset=None) == \
        (20_000, 2_000, 10_000)
    assert split_sizes(cifar, 0.1, train_subset=90_000) == (45_000, 5_000, 10_000)  # a cap only


def test_full_profile_workloads_use_the_recipes_and_the_declared_datasets():
    cfg = load_config(REPO / "params.yaml", "full")
    cnn4 = build_workload(cfg, cfg.experiments["cnn4"], epochs=100)
    assert (cnn4.dataset, cnn4.train_images, cnn4.batch_size, cnn4.num_classes) == \
        ("cifar10", 45_000, 128, 10)
    eval_bs = cfg.experiments["cnn4"].recipe.eval_batch_size
    assert (cnn4.train_batches, cnn4.val_batches, cnn4.test_batches) == \
        (351, math.ceil(5_000 / eval_bs), math.ceil(10_000 / eval_bs))
    resnet = build_workload(cfg, cfg.experiments["resnet_20"], epochs=300)
    assert (resnet.dataset, resnet.num_classes, resnet.input_size) == ("cifar100", 100, 32)


def test_quick_profile_takes_its_subsets_and_substitute_dataset():
    cfg = load_config(REPO / "params.yaml", "quick")
    w = build_workload(cfg, cfg.experiments["cnn4"], epochs=5)
    assert (w.dataset, w.train_images, w.val_images, w.test_images) == \
        ("fashion_mnist", 20_000, 2_000, 10_000)


def test_a_split_meta_overrides_the_known_sizes_and_unknown_kinds_fail_naming_the_key():
    meta = {"official_sizes": {"train": 1000, "test": 300}, "num_classes": 7, "image_size": 64}
    assert dataset_facts("x", "anything", meta) == DatasetFacts(1000, 300, 7, 64)
    with pytest.raises(PlanError, match=r"datasets\.x\.kind"):
        dataset_facts("x", "no_such_kind")


def test_resize_sets_the_input_size_and_imagenet_is_stored_at_it():
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    raw["recipes"]["s000_adamw"]["resize"] = 224
    cfg = build_config(raw)
    w = build_workload(cfg, cfg.experiments["cnn4"], epochs=1)
    assert (w.image_size, w.input_size) == (32, 224)  # CIFAR stored at 32, resized on device
    imagenet = dataclasses.replace(cfg.experiments["cnn4"].dataset, name="in100", kind="imagenet100")
    exp = dataclasses.replace(cfg.experiments["cnn4"], dataset=imagenet)
    w = build_workload(cfg, exp, epochs=1)
    assert (w.image_size, w.input_size, w.num_classes) == (224, 224, 100)


def test_a_subset_smaller_than_one_batch_is_refused_naming_the_recipe():
    raw = copy.deepcopy(yaml.safe_load((REPO / "params.yaml").read_text()))
    raw["profiles"]["quick"]["train_subset"] = 100
    cfg = build_config(raw)
    with pytest.raises(PlanError, match=r"recipes\.s000_adamw\.batch_size"):
        build_workload(cfg, cfg.experiments["cnn4"], epochs=5)


def test_seeds_come_from_the_config_where_it_has_them():
    assert experiment_seeds(types.SimpleNamespace(seed=4)) == (4,)
    assert experiment_seeds(types.SimpleNamespace(seed=4, seeds=(1, 2, 3))) == (1, 2, 3)


def test_predict_adds_validation_every_epoch_and_one_test_pass_per_seed():
    w = Workload("e", "s", "m", "d", batch_size=100, eval_batch_size=100, input_size=32,
                 image_size=32, num_classes=10, train_images=1050, val_images=250,
                 test_images=500, epochs=4, seeds=(0, 1, 2))
    row = predict(w, TIMING, "full")
    assert list(row) == list(PLAN_COLUMNS)
    # 10 training batches (last one dropped) x 0.5 s + 3 validation batches x 0.2 s
    assert row["s_per_epoch"] == pytest.approx(10 * 0.5 + 3 * 0.2)
    assert row["train_s_per_seed"] == pytest.approx(4 * 5.6)
    assert row["predicted_s_per_seed"] == pytest.approx(4 * 5.6 + 5 * 0.2)
    assert row["predicted_seconds"] == pytest.approx(3 * 23.4)
    assert row["predicted_gpu_hours"] == pytest.approx(3 * 23.4 / 3600)
    assert row["images_per_s"] == pytest.approx(200.0)
    assert (row["seeds"], row["epochs"], row["profile"], row["gpus"]) == (3, 4, "full", 1)


def test_one_job_per_experiment_trains_all_its_seeds_and_ddp_splits_it():
    w = Workload("e", "s", "m", "d", 100, 100, 32, 32, 10, 1050, 250, 500, 4, (0, 1, 2))
    ddp = dataclasses.replace(w, experiment="wide", gpus=4)
    jobs = workflow_jobs([predict(w, TIMING, "full"), predict(ddp, TIMING, "full")])
    assert jobs["e"] == pytest.approx(3 * 23.4)
    assert sorted(k for k in jobs if k.startswith("wide")) == [f"wide/gpu_{i}" for i in range(4)]
    assert sum(v for k, v in jobs.items() if k.startswith("wide")) == pytest.approx(3 * 23.4)


def test_planned_epochs_follow_the_phase_plan_and_the_profile_cap():
    from cifarlab.plan.cli import planned_epochs

    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    raw["recipes"]["s001_simple"]["phases"] = [  # 50 max_epochs, but the phases end at 5
        {"name": "head", "epochs": 2, "trainable": "head", "lr": 0.01},
        {"name": "all", "epochs": 3, "trainable": "all", "lr": 0.001}]
    full = build_config({**raw, "profile": "full"})
    assert planned_epochs(full.experiments["simple_cnn"], full.profile) == 5
    quick = build_config(raw)
    assert planned_epochs(quick.experiments["resnet_20"], quick.profile) == 5  # capped 300 -> 5
    assert planned_epochs(full.experiments["resnet_20"], full.profile) == 300
