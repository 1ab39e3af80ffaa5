"""params.yaml mistakes end before any work: one line naming the dotted key, exit 2,
nothing written. Also the training-time errors a user fixes in params.yaml: a NaN loss
and absent pretrained weights."""

from __future__ import annotations

import copy
import re

import pytest

from cifarlab.config import load_schema

from tests.reliability.helpers import snapshot, step, temporaries, write_params


def _set(raw, dotted, value):
    *head, last = dotted.split(".")
    node = raw
    for part in head:
        node = node[part]
    node[last] = value


CASES = {  # case: (dotted key to set, value, text the message must hold)
    "unknown top-level key": ("colour", "blue", "Additional properties are not allowed ('colour'"),
    "unknown nested key": ("recipes.s000_adamw.optimizer.betas", [0.9, 0.99], "recipes.s000_adamw.optimizer"),
    "wrong type": ("recipes.s000_adamw.batch_size", "many", "recipes.s000_adamw.batch_size: 'many' is not of type"),
    "out of range": ("split.val_fraction", 1.5, "split.val_fraction: 1.5 is greater than or equal to"),
    "unknown model": ("experiments.cnn4.model", "cnn5", "experiments.cnn4.model: 'cnn5' is not one of"),
    "unknown recipe": ("experiments.cnn4.recipe", "s999", "experiments.cnn4.recipe: unknown recipe 's999'"),
    "unknown dataset": ("experiments.cnn4.dataset", "mnist", "experiments.cnn4.dataset: unknown dataset 'mnist'"),
    "unknown profile": ("profile", "fast", "profile: unknown profile 'fast'"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_params_are_named_before_any_work(project, params, capsys, case):
    key, value, needle = CASES[case]
    raw = copy.deepcopy(params)
    _set(raw, key, value)
    write_params(project, raw)
    before = snapshot(project)

    rc, err = step(capsys, "train", "--experiment", "cnn4")

    assert rc == 2 and err.count("\n") == 1, err
    assert needle in err, err
    assert snapshot(project) == before


def test_unknown_experiment_on_the_command_line(project, capsys):
    rc, err = step(capsys, "evaluate", "--experiment", "cnn5")
    assert rc == 2 and "experiments.cnn5: no such experiment" in err


def test_nan_loss_names_epoch_and_batch(project, params, capsys):
    raw = copy.deepcopy(params)
    # A std of 1e-38 scales inputs to ~1e37: the first layer overflows to inf, the loss is NaN.
    raw["recipes"]["s000_adamw"]["normalize"] = {"mean": [0.5] * 3, "std": [1e-38] * 3}
    write_params(project, raw)

    rc, err = step(capsys, "train", "--experiment", "cnn4")

    assert rc == 2 and err.count("\n") == 1, err
    assert re.search(r"training loss is (nan|inf|-inf) at epoch 1, batch \d+/\d+", err), err
    assert not list(project.glob("results/runs/cnn4/**/*.pt")) and not temporaries(project)


def test_absent_pretrained_weights_name_the_file(project, params, capsys):
    raw = copy.deepcopy(params)
    raw["experiments"]["cnn4"].update(model="efficientnet_b2",
                                      model_args={"pretrained": "/nonexistent/effnet_b2.pth"})
    if "pretrained_missing" in load_schema()["$defs"]["profile"]["properties"]:
        raw["profiles"]["quick"]["pretrained_missing"] = "error"  # not the quick profile's stand-in
    write_params(project, raw)

    rc, err = step(capsys, "train", "--experiment", "cnn4")

    assert rc == 2 and err.count("\n") == 1, err
    assert "pretrained weights not found: /nonexistent/effnet_b2.pth" in err
    assert not (project / "results").exists() or not list(project.glob("results/runs/cnn4/**/*.pt"))
