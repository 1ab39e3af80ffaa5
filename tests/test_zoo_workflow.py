"""Every registered model trains one epoch and is evaluated through the real workflow.

Heavy (74 processes, the ImageNet-size models at 224 px): run it with CIFARLAB_HEAVY=1.
CI covers each model's forward/backward in tests/models and the workflow on two models.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.tiny_params import tiny_params
from tests.workflow_copy import copy_workflow, run_tool

pytestmark = [
    pytest.mark.heavy,
    pytest.mark.skipif(os.environ.get("CIFARLAB_HEAVY") != "1", reason="set CIFARLAB_HEAVY=1"),
]


def zoo_params(data_dir):
    from cifarlab.models import get_model_info, list_models

    raw = tiny_params(data_dir, experiments=("cnn4",), n_train=80, n_test=32, train_subset=64,
                      max_epochs=1)
    base = raw["recipes"]["s001_simple"]
    raw["experiments"] = {}
    for name in list_models():
        info = get_model_info(name)
        recipe = f"zoo_{info.input_size}"
        raw["recipes"][recipe] = {**base, "resize": info.input_size if info.input_size != 32 else None}
        raw["experiments"][name] = {"study": info.study, "model": name, "dataset": "fashion_mnist",
                                    "recipe": recipe}
    return raw


def test_every_model_trains_and_evaluates_through_the_workflow(tmp_path):
    work = copy_workflow(tmp_path / "repo", zoo_params(tmp_path / "fmnist"))
    run_tool(["snakemake", "--cores", "2", "--resources", "gpu=0"], work, timeout=7200)
    for name in zoo_params(tmp_path / "again")["experiments"]:
        metrics = json.loads((work / f"results/runs/{name}/metrics.json").read_text())
        assert metrics["epochs"] == 1 and metrics["params"] > 0, name
