"""The catalogue in params.yaml: every run of the five documents, seeds, overrides, subsets."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from cifarlab.catalogue import SelectionError, merge, run_recipe, run_seeds, select
from cifarlab.config import build_config, load_config, schema_model_names

REPO = Path(__file__).resolve().parents[1]
RAW = yaml.safe_load((REPO / "params.yaml").read_text())
# What an ablation or grid cell may change relative to its base entry.
ABLATION_KEYS = {"model_args", "overrides", "drop_augment", "description", "ablation_of", "next_step"}


def test_every_document_run_is_an_experiment():
    per_study: dict[str, list[str]] = {}
    for name, exp in RAW["experiments"].items():
        if exp.get("next_step"):  # proposed by a document, not run in it (tests/nextsteps)
            continue
        per_study.setdefault(exp["study"], []).append(name)
    assert len(per_study["s000"]) == 1
    assert len(per_study["s001"]) == 8  # 4 stages (stage 4 = the ablation's full run) + 4 ablations
    assert len(per_study["s002"]) == 21 + 3 + 1 + 2  # Table 1, ECA k 5/7/9, Ghost ratio 4, ECA pos 1/3
    assert set(per_study["s003"]) == {"resnet50_imagenet", "resnet50_se_imagenet"}
    assert len(per_study["s004"]) == 7 + 8  # model table + WRN-16-8, and the 3x3 grid less dla34 itself
    s002_models = {RAW["experiments"][n]["model"] for n in per_study["s002"]}
    assert len(s002_models) == 21  # every Table 1 architecture, none missing


def test_every_experiment_resolves_to_a_model_recipe_and_dataset():
    models = set(schema_model_names())
    for profile in RAW["profiles"]:
        cfg = load_config(REPO / "params.yaml", profile)
        for exp in cfg.experiments.values():
            assert exp.model in models
            assert exp.recipe.batch_size >= 1 and exp.recipe.max_epochs >= 1
            assert exp.dataset.name in cfg.datasets and exp.seeds


def test_ablations_differ_from_their_base_only_where_declared():
    exps = RAW["experiments"]
    ablations = {n: e for n, e in exps.items() if "ablation_of" in e}
    assert len(ablations) >= 16
    for name, exp in ablations.items():
        base = exps[exp["ablation_of"]]
        changed = {k for k in set(exp) | set(base) if exp.get(k) != base.get(k)}
        assert changed <= ABLATION_KEYS, (name, changed - ABLATION_KEYS)
        assert exp["study"] == base["study"] and exp["recipe"] == base["recipe"]
    cfg = load_config(REPO / "params.yaml", "full")
    e = cfg.experiments
    assert e["efficientnet_b2_no_resize"].recipe.resize is None and e["efficientnet_b2"].recipe.resize == 64
    assert e["efficientnet_b2_no_label_smoothing"].recipe.label_smoothing == 0.0
    assert e["efficientnet_b2"].recipe.label_smoothing == 0.1
    ops = lambda n: [op["op"] for op in e[n].recipe.augment]  # noqa: E731
    assert "random_erasing" in ops("efficientnet_b2") and "random_erasing" not in ops("efficientnet_b2_no_random_erasing")
    assert e["efficientnet_b2_no_pretrain"].model_args == {"pretrained": False}
    assert (e["dla34_b64_e20"].recipe.batch_size, e["dla34_b64_e20"].recipe.max_epochs) == (64, 20)
    assert (e["dla34"].recipe.batch_size, e["dla34"].recipe.max_epochs) == (256, 100)
    assert e["ecanet20_fixed_k9"].model_args == {"k_size": 9}


def test_seeds_full_profile_at_least_three_quick_one_except_extra():
    full = load_config(REPO / "params.yaml", "full")
    assert all(len(e.seeds) >= 3 for e in full.experiments.values())
    quick = load_config(REPO / "params.yaml", "quick")
    counts = {n: len(e.seeds) for n, e in quick.experiments.items()}
    assert sum(1 for c in counts.values() if c >= 2) >= 1
    assert all(c == 1 for n, c in counts.items() if n not in RAW["profiles"]["quick"]["extra_seeds"])
    assert quick.runs_in_study("s002") == 27 + 1
    assert run_seeds("x", [4, 5, 6], {"seeds": 2}) == (4, 5)
    assert run_seeds("x", [4, 5, 6], {"seeds": 1, "extra_seeds": {"x": 3}}) == (4, 5, 6)
    assert run_seeds("x", [4, 5, 6], {"seeds": None}) == (4, 5, 6)


def test_quick_profile_compresses_two_phase_runs_and_caps_batches():
    quick = load_config(REPO / "params.yaml", "quick").experiments
    phases = quick["efficientnet_b2"].recipe.phases
    assert [p.epochs for p in phases] == [1, 4] and [p.trainable for p in phases] == ["head", "all"]
    assert quick["resnet_20"].recipe.batch_size == 128  # s002's global 1024 capped
    assert quick["cnn4"].recipe.batch_size == 128


def test_overrides_merge_and_remove_keys():
    recipe = {"batch_size": 256, "resize": 64, "optimizer": {"name": "sgd", "lr": 0.1},
              "augment": [{"op": "hflip"}, {"op": "random_erasing"}]}
    out = run_recipe(recipe, {"overrides": {"resize": None, "optimizer": {"lr": 0.05}},
                              "drop_augment": ["random_erasing"]})
    assert "resize" not in out and out["optimizer"] == {"name": "sgd", "lr": 0.05}
    assert out["augment"] == [{"op": "hflip"}] and recipe["optimizer"]["lr"] == 0.1  # base untouched
    assert merge({"a": {"b": 1}}, {"a": {"c": 2}}) == {"a": {"b": 1, "c": 2}}


def test_subset_selection_by_study_name_and_pattern():
    cfg = load_config(REPO / "params.yaml")
    assert set(cfg.select("s003").experiments) == {"resnet50_imagenet", "resnet50_se_imagenet"}
    grid = cfg.select("dla34_*,cnn4").experiments
    assert "cnn4" in grid and len(grid) == 9 and "dla34" not in grid
    assert list(cfg.select(None).experiments) == list(cfg.experiments)
    with pytest.raises(SelectionError, match="'s009' matches no experiment"):
        cfg.select("s009")
    studies = {"a": "s000", "b": "s001"}
    assert select(["a", "b"], studies, ["s001"]) == ["b"]


def test_references_are_checked_naming_the_key():
    raw = copy.deepcopy(RAW)
    raw["experiments"]["dla34_b64_e20"]["ablation_of"] = "dla99"
    with pytest.raises(ValueError, match="experiments.dla34_b64_e20.ablation_of: unknown experiment 'dla99'"):
        build_config(raw)
    raw = copy.deepcopy(RAW)
    raw["experiments"]["cnn4"]["study"] = "s005"
    with pytest.raises(ValueError, match="experiments.cnn4.study"):
        build_config(raw)
    raw = copy.deepcopy(RAW)
    raw["profiles"]["quick"]["extra_seeds"] = {"nope": 2}
    with pytest.raises(ValueError, match="extra_seeds.nope: unknown experiment"):
        build_config(raw)
    raw = copy.deepcopy(RAW)
    raw["experiments"]["cnn4"]["overrides"] = {"batchsize": 3}
    with pytest.raises(ValueError, match="experiments.cnn4.overrides"):
        build_config(raw)
