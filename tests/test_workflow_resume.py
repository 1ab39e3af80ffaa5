"""A training job killed with SIGKILL continues from its last epoch when Snakemake reruns it
(Snakemake deletes a rule's declared outputs first: the state lives outside them)."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest

from tests.tiny_params import tiny_params
from tests.workflow_copy import BIN, copy_workflow, run_tool, tool_env

pytestmark = pytest.mark.slow


def test_killed_training_resumes_under_snakemake(tmp_path):
    params = tiny_params(tmp_path / "fmnist", experiments=("cnn4",), n_train=3000, n_test=50,
                         train_subset=2500, max_epochs=3)
    work = copy_workflow(tmp_path / "repo", params)
    run_tool(["snakemake", "--cores", "1", "data/split"], work)
    state = work / "results/state/cnn4/seed_0/run/state.pt"
    proc = subprocess.Popen(
        [str(BIN / "python"), "workflow/scripts/train.py", "--experiment", "cnn4", "--profile", "quick"],
        cwd=work, env=tool_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 240
    while not state.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert state.exists(), "no resume state after the first epoch"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (work / "results/runs/cnn4/train").exists()  # no half-written output

    run_tool(["snakemake", "--cores", "1", "results/runs/cnn4/train"], work)
    summary = json.loads((work / "results/runs/cnn4/train/seed_0/train.json").read_text())
    assert summary["resumed_from_epoch"] >= 1
    assert summary["epochs_run"] == 3
    assert not state.exists()  # a finished run leaves no state to resume into
