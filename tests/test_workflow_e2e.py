"""The real workflow, end to end, on tiny data: Snakemake runs it, DVC records it, a param
change reruns only what it touches and shows up in `dvc metrics diff` / `dvc params diff`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.tiny_params import tiny_params
from tests.workflow_copy import copy_workflow, run_tool

pytestmark = pytest.mark.slow


def record_in_dvc(work: Path) -> None:
    """What `make record` does after a Snakemake run."""
    run_tool(["dvc", "commit", "-f", "-q"], work)
    run_tool(["snakemake", "--touch", "--cores", "1", "--quiet", "all"], work)


def _git(work: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=work, check=True, capture_output=True)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("e2e")
    params = tiny_params(root / "fmnist")
    work = copy_workflow(root / "repo", params)
    _git(work, "init", "-q")
    _git(work, "config", "user.email", "ci@example.invalid")
    _git(work, "config", "user.name", "ci")
    run_tool(["dvc", "init", "-q"], work)
    run_tool(["snakemake", "--cores", "2", "--resources", "gpu=0"], work)
    record_in_dvc(work)
    return work


def test_snakemake_runs_the_whole_dag_to_the_report(workspace):
    html = (workspace / "report" / "index.html").read_text()
    assert list((workspace / "report" / "figures").rglob("*.png"))  # images are files in the folder
    for exp in ("cnn4", "resnet_20"):
        metrics = json.loads((workspace / f"results/runs/{exp}/metrics.json").read_text())
        assert 0.0 <= metrics["top1"] <= 1.0 and metrics["params"] > 0
        assert metrics["top1_ci_low"] <= metrics["top1"] <= metrics["top1_ci_high"]  # 95% over seeds and images
        assert exp in html
    tables = workspace / "results" / "tables"
    header = (tables / "experiments.csv").read_text().splitlines()[0].split(",")
    assert {"top1_ci_low", "top1_ci_high", "top5_ci_low", "top5_ci_high"} <= set(header)
    assert (tables / "comparisons.csv").read_text().splitlines()[0] == (
        "study,kind,experiment,reference,delta,delta_ci_low,delta_ci_high,p_value,n_images,n_seeds,tied")
    assert (tables / "power.csv").is_file()
    # every figure has a provenance sidecar naming its commit-independent params hash
    pngs = list((workspace / "results/figures").rglob("*.png"))
    assert pngs and all(p.with_suffix(".prov.json").is_file() for p in pngs)


def test_dvc_is_clean_after_commit_and_snakemake_has_nothing_to_do(workspace):
    status = run_tool(["dvc", "status"], workspace).stdout
    assert "up to date" in status, status
    dry = run_tool(["snakemake", "-n", "--cores", "1"], workspace).stdout
    assert "Nothing to be done" in dry, dry


def test_param_change_reruns_only_that_experiment_and_shows_in_dvc_diffs(workspace):
    _git(workspace, "add", "-A")
    _git(workspace, "commit", "-qm", "baseline")
    params_path = workspace / "params.yaml"
    params = yaml.safe_load(params_path.read_text())
    recipe = params["experiments"]["resnet_20"]["recipe"]
    params["recipes"][recipe]["optimizer"]["lr"] = 0.05
    params_path.write_text(yaml.safe_dump(params, sort_keys=False))

    dry = run_tool(["snakemake", "-n", "--cores", "1"], workspace).stdout
    assert "wildcards: exp=resnet_20" in dry, dry
    assert "wildcards: exp=cnn4" not in dry, dry  # the untouched experiment is not retrained
    run_tool(["snakemake", "--cores", "2", "--resources", "gpu=0"], workspace)
    record_in_dvc(workspace)

    params_diff = run_tool(["dvc", "params", "diff"], workspace).stdout
    assert f"recipes.{recipe}.optimizer.lr" in params_diff, params_diff
    metrics_diff = run_tool(["dvc", "metrics", "diff", "--all"], workspace).stdout
    assert "results/runs/resnet_20/metrics.json" in metrics_diff, metrics_diff
    assert "top1_ci_low" in metrics_diff and "top1_ci_high" in metrics_diff, metrics_diff
