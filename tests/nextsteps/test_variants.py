"""s004's next-step variants in params.yaml: ablations of WRN-16-8 that change only what the
document names, trained with the base's seeds and within the study's quick budget."""

from __future__ import annotations

import yaml

from cifarlab.config import load_config
from tests.workflow_copy import REPO

RAW = yaml.safe_load((REPO / "params.yaml").read_text())
NEXT = {n: e for n, e in RAW["experiments"].items() if e.get("next_step")}


def test_each_variant_changes_one_named_thing_of_wrn_16_8():
    assert set(NEXT) == {"wrn_16_8_focal", "wrn_16_8_mixup", "wrn_16_8_cutmix", "wrn_16_8_confusion_weights"}
    full = load_config(REPO / "params.yaml", "full")
    base = full.experiment("wrn_16_8")
    for name, entry in NEXT.items():
        assert entry["ablation_of"] == "wrn_16_8" and entry["study"] == "s004"
        assert set(entry["overrides"]) <= {"loss", "mix"}, name
        exp = full.experiment(name)
        assert exp.seeds == base.seeds and len(exp.seeds) == 3 and exp.next_step
        assert exp.recipe.label_smoothing == base.recipe.label_smoothing
        changed = {f for f in ("loss", "mix", "optimizer", "schedule", "augment", "max_epochs", "batch_size")
                   if getattr(exp.recipe, f) != getattr(base.recipe, f)}
        assert changed == set(entry["overrides"]), name
    assert full.experiment("wrn_16_8_focal").recipe.loss.gamma == 2.0


def test_variants_share_the_study_budget_rather_than_adding_to_it():
    quick = load_config(REPO / "params.yaml", "quick")
    runs = quick.runs_in_study("s004")
    assert runs == sum(len(e.seeds) for e in quick.catalogue.values() if e.study == "s004")
    assert runs == sum(1 for e in RAW["experiments"].values() if e["study"] == "s004")  # one seed each


def test_class_weights_must_match_the_classes_before_training():
    import pytest

    from cifarlab.config import ConfigError
    from cifarlab.steps.train import check_class_weights

    exp = load_config(REPO / "params.yaml", "quick").experiment("wrn_16_8_confusion_weights")
    check_class_weights(exp, 10)
    with pytest.raises(ConfigError, match=r"experiments\.wrn_16_8_confusion_weights: recipe loss\.class_weights "
                                          r"has 10 weights, fashion_mnist has 100 classes"):
        check_class_weights(exp, 100)
