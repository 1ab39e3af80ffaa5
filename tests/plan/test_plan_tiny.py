"""The planner end to end on the tiny Fashion-MNIST workspace, against a real fit().

The prediction check compares two measurements taken in the same test on the same
machine (the planner's timed steps and fit()'s epoch seconds), never an absolute speed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml

from cifarlab.cli import run_step
from cifarlab.plan.cli import main as plan_main
from tests.tiny_params import tiny_params


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A tiny workspace with the split done: cwd is its root while the tests run."""
    root = tmp_path_factory.mktemp("plan")
    raw = tiny_params(root / "fmnist", experiments=("cnn4", "resnet_20"), n_train=700, n_test=100,
                      train_subset=480, max_epochs=2)
    budget = raw["profiles"]["quick"].get("budget")
    if budget is not None:  # cut cnn4 to 640 training images over its 2 epochs: 10 of 15 batches
        budget.update(study_seconds=1e-6, min_train_images=640)
    (root / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    old_cwd, old_threads = Path.cwd(), torch.get_num_threads()
    os.chdir(root)
    torch.set_num_threads(1)  # both measurements alike, and no spinning on shared cores
    try:
        for step in ("download", "split"):
            assert run_step(step, ["--params", "params.yaml"]) == 0
        yield root
    finally:
        torch.set_num_threads(old_threads)
        os.chdir(old_cwd)


def test_prediction_of_a_tiny_run_is_within_a_factor_2_of_its_fit(workspace, capsys):
    assert plan_main(["--params", "params.yaml", "--gpus", "2", "--select", "cnn4"]) == 0
    printed = capsys.readouterr().out
    assert "cnn4" in printed and "longest first" in printed
    plan = pd.read_csv(workspace / "results/plan/quick.csv")
    row = plan.set_index("experiment").loc["cnn4"]
    assert (row["data_source"], row["train_images"], row["epochs"], row["device"]) == \
        ("split", 480, 2, "cpu")
    budgeted = yaml.safe_load(Path("params.yaml").read_text())["profiles"]["quick"].get("budget")
    assert row["train_batches"] == (10 if budgeted else 480 // 32)
    prov = json.loads((workspace / "results/plan/quick.prov.json").read_text())
    assert prov["step"] == "plan" and prov["extra"]["devices"] == 2
    assert any(p.endswith("fashion_mnist/meta.json") for p in prov["inputs"])

    assert run_step("train", ["--params", "params.yaml", "--experiment", "cnn4"]) == 0
    train_json = sorted((workspace / "results/runs/cnn4").rglob("train.json"))
    assert train_json, "train wrote no train.json"
    fits = [json.loads(p.read_text()) for p in train_json]  # one per seed
    assert len(fits) == row["seeds"] and {f["epochs_run"] for f in fits} == {2}
    measured = sum(f["train_seconds"] for f in fits) / len(fits)
    ratio = measured / row["train_s_per_seed"]
    assert 0.5 <= ratio <= 2.0, f"fit took {measured:.2f} s per seed, planner said " \
                                f"{row['train_s_per_seed']:.2f} s (ratio {ratio:.2f})"
    print(f"tiny cnn4: fit {measured:.2f} s per seed, predicted {row['train_s_per_seed']:.2f} s")


def test_absent_dataset_is_timed_on_synthetic_images_of_its_shape(workspace):
    out = workspace / "results/plan/full_cpu.csv"
    argv = ["--params", "params.yaml", "--profile", "full", "--device", "cpu", "--select", "s000",
            "--steps", "1", "--out", str(out)]
    assert plan_main(argv) == 0
    row = pd.read_csv(out).set_index("experiment").loc["cnn4"]
    # CIFAR-10 is not in this workspace: 45,000 synthetic training images of 3x32x32
    assert (row["data_source"], row["dataset"], row["train_images"], row["input_size"]) == \
        ("synthetic", "cifar10", 45_000, 32)
    assert row["batch_size"] == 32  # tiny_params' recipes
    assert row["predicted_seconds"] == pytest.approx(row["seeds"] * row["predicted_s_per_seed"],
                                                     rel=1e-5)


def test_user_errors_are_one_line_exit_2_and_leave_no_csv(workspace, capsys):
    out = workspace / "results/plan/bad.csv"
    assert plan_main(["--params", "params.yaml", "--select", "nope*", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cifarlab plan: error: --select: 'nope*'") and "\n" not in err
    assert plan_main(["--params", "params.yaml", "--gpus", "0", "--out", str(out)]) == 2
    assert "--gpus" in capsys.readouterr().err
    if not torch.cuda.is_available():
        assert plan_main(["--params", "params.yaml", "--profile", "full", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert "profiles.full.device" in err and "--device cpu" in err
    assert not out.exists()
