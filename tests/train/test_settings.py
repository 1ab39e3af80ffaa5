import json
import math

import pytest

from cifarlab.train import Phase, TrainSettings, plan_phases


def test_defaults_are_valid_and_mode_follows_the_monitor():
    assert TrainSettings().mode == "min"
    assert TrainSettings(monitor="val_acc").mode == "max"


@pytest.mark.parametrize("field, value, fragment", [
    ("optimizer", "rmsprop", "TrainSettings.optimizer"),
    ("lr", 0.0, "TrainSettings.lr"),
    ("lr", math.nan, "TrainSettings.lr"),
    ("weight_decay", -1e-4, "TrainSettings.weight_decay"),
    ("schedule", "step", "TrainSettings.schedule"),
    ("max_epochs", 0, "TrainSettings.max_epochs"),
    ("max_epochs", 2.5, "TrainSettings.max_epochs"),
    ("warmup_epochs", 100, "TrainSettings.warmup_epochs"),
    ("t_max", 0, "TrainSettings.t_max"),
    ("label_smoothing", 1.0, "TrainSettings.label_smoothing"),
    ("monitor", "acc", "TrainSettings.monitor"),
    ("mode", "max", "TrainSettings.mode"),  # max for val_loss makes no sense
    ("patience", 0, "TrainSettings.patience"),
    ("min_delta", -0.1, "TrainSettings.min_delta"),
    ("grad_clip", 0.0, "TrainSettings.grad_clip"),
    ("amp", "yes", "TrainSettings.amp"),
    ("seed", -1, "TrainSettings.seed"),
])
def test_bad_values_name_the_field(field, value, fragment):
    with pytest.raises(ValueError, match=fragment.replace(".", r"\.")):
        TrainSettings(**{field: value})


def test_nesterov_needs_sgd():
    with pytest.raises(ValueError, match="nesterov"):
        TrainSettings(optimizer="adamw", nesterov=True)


@pytest.mark.parametrize("phases, fragment", [
    ([{"name": "p", "epochs": 2, "trainable": "body", "lr": 1e-3}], r"Phase\('p'\)\.trainable"),
    ([{"name": "p", "epochs": 0, "trainable": "all", "lr": 1e-3}], r"Phase\('p'\)\.epochs"),
    ([{"name": "a", "epochs": None, "trainable": "head", "lr": 1e-3},
      {"name": "b", "epochs": 2, "trainable": "all", "lr": 1e-4}], "only in the last phase"),
    ([{"name": "a", "epochs": 1, "trainable": "head", "lr": 1e-3},
      {"name": "a", "epochs": 2, "trainable": "all", "lr": 1e-4}], "unique names"),
])
def test_bad_phases(phases, fragment):
    with pytest.raises(ValueError, match=fragment):
        TrainSettings(phases=phases)


def test_phases_from_plain_dicts_round_trip_through_json():
    s = TrainSettings(optimizer="adamw", lr=1e-3, max_epochs=10, phases=[
        {"name": "head", "epochs": 3, "trainable": "head", "lr": 1e-3, "schedule": "constant"},
        {"name": "finetune", "epochs": None, "trainable": "all", "lr": 1e-4}])
    assert s.phases[0] == Phase("head", 3, "head", 1e-3, "constant")
    again = TrainSettings.from_dict(json.loads(json.dumps(s.to_dict())))
    assert again == s and again.fingerprint() == s.fingerprint()
    assert TrainSettings(seed=1).fingerprint() != TrainSettings(seed=2).fingerprint()


def test_from_dict_names_unknown_keys():
    with pytest.raises(ValueError, match="patiense"):
        TrainSettings.from_dict({"patiense": 3})


def test_plan_caps_phases_at_max_epochs():
    phases = [{"name": "head", "epochs": 3, "trainable": "head", "lr": 1e-3},
              {"name": "all", "epochs": None, "trainable": "all", "lr": 1e-4}]
    plan = plan_phases(TrainSettings(max_epochs=10, phases=phases))
    assert [(p.name, p.start, p.epochs) for p in plan] == [("head", 0, 3), ("all", 3, 7)]
    assert plan[1].t_max == 7  # the cosine anneals over the phase itself
    short = plan_phases(TrainSettings(max_epochs=2, phases=phases))  # a budgeted quick run
    assert [(p.name, p.epochs) for p in short] == [("head", 2)]
    main, = plan_phases(TrainSettings(max_epochs=8, warmup_epochs=2))
    assert (main.name, main.epochs, main.t_max, main.warmup_epochs) == ("main", 8, 8, 2)
