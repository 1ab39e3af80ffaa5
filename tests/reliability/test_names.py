"""Names become paths: one strict pattern, checked by the schema, by config, where a name
becomes a path, and by every atomic write. A hostile name touches nothing outside."""

from __future__ import annotations

import copy

import pytest
import yaml

from cifarlab import config, names
from cifarlab.config import REPO_ROOT, load_schema
from cifarlab.errors import UnsafeNameError
from cifarlab.io import atomic_path, write_json
from tests.reliability.helpers import snapshot, step, temporaries, write_params

ESCAPES = ["../../somewhere", "../../../sibling", "..", "a.b", "/tmp/cifarlab_escape", "Cnn4", ""]


def test_schema_pattern_is_the_code_pattern():
    assert load_schema()["$defs"]["name"]["pattern"] == names.NAME_PATTERN


@pytest.mark.parametrize("name", ["cnn4", "efficientnet_b2_no_pretrain", "dla34_b64_e20", "s000",
                                  "fashion_mnist", "x" * 64])
def test_existing_kinds_of_names_pass(name):
    assert names.check_name("experiments", name) == name


@pytest.mark.parametrize("name", [*ESCAPES, "x" * 65, "9lives", "a-b", "a/b", None, 3])
def test_unsafe_names_are_refused_naming_the_key(name):
    with pytest.raises(UnsafeNameError, match=r"^experiments: invalid name"):
        names.check_name("experiments", name)


def test_repo_params_names_all_pass():
    raw = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
    names.check_param_names(raw)
    config.validate_params(raw)


def _tree_outside(project):
    """What must not change: the sibling folder and the project root outside data/ etc."""
    return snapshot(project.parent / "sibling"), sorted(
        p.name for p in project.iterdir() if p.name not in names.PROJECT_FOLDERS)


@pytest.mark.parametrize("table", ["datasets", "experiments", "recipes", "profiles"])
@pytest.mark.parametrize("bad", ESCAPES)
def test_cli_refuses_bad_names_before_any_work(project, params, capsys, table, bad):
    raw = copy.deepcopy(params)
    old = {"datasets": "fashion_mnist", "experiments": "cnn4", "recipes": "s000_adamw",
           "profiles": "quick"}[table]
    raw[table][bad] = raw[table].pop(old)
    write_params(project, raw)
    before, data_before = _tree_outside(project), snapshot(project / "data")

    rc, err = step(capsys, "download")

    assert rc == 2
    assert err.count("\n") == 1 and f"{table}: invalid name {bad!r}" in err
    assert _tree_outside(project) == before and snapshot(project / "data") == data_before


@pytest.mark.parametrize("bad", ["../../somewhere", "../../../sibling", "/tmp/cifarlab_escape"])
@pytest.mark.parametrize("verb", ["download", "split"])
def test_steps_check_names_again_when_config_is_bypassed(project, params, capsys, monkeypatch, verb, bad):
    """Second line: with validation switched off, the steps still refuse the name."""
    monkeypatch.setattr(config, "validate_params", lambda raw, source="": None)
    raw = copy.deepcopy(params)
    raw["datasets"][bad] = raw["datasets"].pop("fashion_mnist")
    raw["profiles"]["quick"]["dataset"] = bad
    write_params(project, raw)
    before, data_before = _tree_outside(project), snapshot(project / "data")

    rc, err = step(capsys, verb)

    assert rc == 2 and f"datasets: invalid name {bad!r}" in err
    assert _tree_outside(project) == before and snapshot(project / "data") == data_before
    assert not temporaries(project)


def test_atomic_write_refuses_a_path_climbing_out(project):
    """Third line: even a path built without any check cannot leave the project folders,
    and an existing outside folder is not replaced (the old split-step data loss)."""
    before = snapshot(project.parent / "sibling")
    for target in ("data/split/../../../sibling", "results/runs/../../../sibling/keep.txt",
                   "data/raw/../../README.md"):
        with pytest.raises(UnsafeNameError, match="outside the project"):
            with atomic_path(target) as tmp:
                tmp.mkdir()
        with pytest.raises(UnsafeNameError):
            write_json(target, {"x": 1})
    assert snapshot(project.parent / "sibling") == before
    assert not (project / "README.md").exists() and not temporaries(project.parent)


def test_project_path_builds_inside_and_refuses_escapes(project):
    assert str(names.project_path("results", "runs", "cnn4", "best.pt")) == "results/runs/cnn4/best.pt"
    for parts in (("..", "x"), ("runs", "/etc"), ("a/b",), ("",), (".",)):
        with pytest.raises(UnsafeNameError):
            names.project_path("results", *parts)
    with pytest.raises(UnsafeNameError, match="not a project folder"):
        names.project_path("src", "x")
    assert names.inside("logs/train/cnn4.log") == project / "logs/train/cnn4.log"
    with pytest.raises(UnsafeNameError):
        names.inside("src/cifarlab/io.py")
