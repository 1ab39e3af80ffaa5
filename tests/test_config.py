"""params.yaml validation: every bad input fails with a message naming the key."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from cifarlab.config import ConfigError, build_config, load_config, schema_model_names

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load((REPO / "params.yaml").read_text())


def _fails(raw: dict, *needles: str) -> str:
    with pytest.raises(ConfigError) as info:
        build_config(raw)
    msg = str(info.value)
    for needle in needles:
        assert needle in msg, msg
    return msg


def test_repo_params_load_and_apply_quick_profile(raw):
    cfg = build_config(copy.deepcopy(raw))
    assert cfg.profile.name == "quick"
    cnn4 = cfg.experiment("cnn4")
    # the quick profile substitutes its dataset and caps epochs, compressing the schedule
    assert cnn4.dataset.name == cfg.profile.dataset
    assert cnn4.declared_dataset == raw["experiments"]["cnn4"]["dataset"]
    assert cnn4.recipe.max_epochs == cfg.profile.max_epochs
    assert cnn4.recipe.schedule.t_max is None
    assert cfg.active_datasets == [cfg.profile.dataset]


def test_full_profile_keeps_the_seeds_recipes(raw):
    cfg = build_config({**copy.deepcopy(raw), "profile": "full"})
    cnn4 = cfg.experiment("cnn4")
    assert cnn4.dataset.name == raw["experiments"]["cnn4"]["dataset"]
    assert cnn4.recipe.max_epochs == raw["recipes"]["s000_adamw"]["max_epochs"]
    assert cnn4.recipe.schedule.t_max == raw["recipes"]["s000_adamw"]["schedule"]["t_max"]


def test_unknown_top_level_key_is_named(raw):
    _fails({**copy.deepcopy(raw), "epochz": 3}, "epochz")


def test_unknown_nested_key_is_named(raw):
    bad = copy.deepcopy(raw)
    bad["recipes"]["s000_adamw"]["optimizer"]["learning_rate"] = 0.1
    _fails(bad, "recipes.s000_adamw.optimizer", "learning_rate")


def test_wrong_type_is_named(raw):
    bad = copy.deepcopy(raw)
    bad["recipes"]["s000_adamw"]["batch_size"] = "big"
    _fails(bad, "recipes.s000_adamw.batch_size")


def test_out_of_range_value_is_named(raw):
    bad = copy.deepcopy(raw)
    bad["split"]["val_fraction"] = 1.5
    _fails(bad, "split.val_fraction")


def test_unknown_model_is_named(raw):
    bad = copy.deepcopy(raw)
    bad["experiments"]["cnn4"]["model"] = "cnn5"
    _fails(bad, "experiments.cnn4.model", "cnn5")


def test_unknown_recipe_and_profile_are_named(raw):
    bad = copy.deepcopy(raw)
    bad["experiments"]["cnn4"]["recipe"] = "nope"
    _fails(bad, "experiments.cnn4.recipe", "nope")
    _fails({**copy.deepcopy(raw), "profile": "fast"}, "profile", "fast")


def test_load_config_names_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="missing.yaml"):
        load_config(tmp_path / "missing.yaml")


def test_config_is_frozen(raw):
    cfg = build_config(copy.deepcopy(raw))
    with pytest.raises(AttributeError):
        cfg.experiment("cnn4").recipe.batch_size = 1  # type: ignore[misc]


def test_schema_model_names_match_the_registry():
    """The schema's enum is generated (`make schema`); it must not drift from the registry."""
    from cifarlab.models import list_models

    assert schema_model_names() == list_models()


def test_config_and_dag_do_not_import_torch():
    import subprocess
    import sys

    code = "import sys, cifarlab.config, cifarlab.dag; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
