"""`dvc repro` runs the same DAG on its own: from nothing to the report, then up to date."""

from __future__ import annotations

import subprocess

import pytest

from tests.tiny_params import tiny_params
from tests.workflow_copy import copy_workflow, run_tool

pytestmark = pytest.mark.slow


def test_dvc_repro_runs_the_whole_dag(tmp_path):
    work = copy_workflow(tmp_path / "repo", tiny_params(tmp_path / "fmnist", experiments=("cnn4",)))
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    run_tool(["dvc", "init", "-q"], work)
    run_tool(["dvc", "repro"], work)
    html = (work / "report" / "index.html").read_text()
    assert "cnn4" in html and list((work / "report" / "figures").rglob("*.png"))
    assert (work / "dvc.lock").is_file()
    assert "up to date" in run_tool(["dvc", "status"], work).stdout
    shown = run_tool(["dvc", "metrics", "show"], work).stdout
    assert "results/runs/cnn4/metrics.json" in shown and "top1" in shown
