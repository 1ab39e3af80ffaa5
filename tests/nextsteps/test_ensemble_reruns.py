"""Both front ends: editing one ensemble's members reruns that ensemble alone (no training,
no evaluation, not the other ensembles). Checked on recorded stand-in outputs, so no step
runs: Snakemake's metadata comes from `--touch`, DVC's lock from `dvc commit`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.workflow_copy import REPO, copy_workflow, run_tool

pytestmark = pytest.mark.slow

KEEP = ("cnn4", "resnet_20", "resnet18", "resnet34")


def _params() -> dict:
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    raw["experiments"] = {n: raw["experiments"][n] for n in KEEP}
    raw["profiles"]["quick"]["extra_seeds"] = {"resnet_20": 2}
    raw["ensembles"] = {"pair": {"study": "s004", "members": ["resnet18", "resnet34"]},
                        "resnet_20_seeds": raw["ensembles"]["resnet_20_seeds"]}
    return raw


def _stand_in_outputs(work: Path) -> None:
    """Every declared output as a file (.json) or a folder holding one file (and the file
    its step writes last, which Snakefile's folder check looks for)."""
    from dvc.repo import Repo

    from cifarlab.folders import MARKERS

    for stage in Repo(str(work)).index.stages:
        for out in stage.outs:
            path = work / str(out.def_path)
            if path.suffix == ".json":
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("{}\n")
            else:
                path.mkdir(parents=True, exist_ok=True)
                (path / "stand_in.txt").write_text(str(out.def_path))
                if str(out.def_path) in MARKERS:
                    (path / MARKERS[str(out.def_path)]).write_text("{}\n")


def _edit_members(work: Path) -> None:
    params = yaml.safe_load((work / "params.yaml").read_text())
    params["ensembles"]["pair"]["members"].append("cnn4")
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


@pytest.fixture()
def recorded(tmp_path) -> Path:
    work = copy_workflow(tmp_path / "repo", _params())
    run_tool(["dvc", "init", "--no-scm", "-q"], work)
    _stand_in_outputs(work)
    return work


def test_snakemake_reruns_only_the_edited_ensemble(recorded):
    run_tool(["snakemake", "--touch", "--forceall", "--cores", "1", "--quiet", "all"], recorded)
    assert "Nothing to be done" in run_tool(["snakemake", "-n", "--cores", "1"], recorded).stdout
    _edit_members(recorded)
    dry = run_tool(["snakemake", "-n", "--cores", "1"], recorded).stdout
    jobs = re.findall(r"^rule (\w+):\n(?:.*\n)*?\s+wildcards: (\w+)=(\w+)", dry, re.M)
    assert ("ensemble", "ens", "pair") in jobs, dry
    assert [j for j in jobs if j[0] != "ensemble" or j[2] != "pair"] == [], dry  # no train, evaluate, other ensemble
    assert re.search(r"^rule aggregate:", dry, re.M)  # the tables read the ensembles


def test_dvc_reruns_only_the_edited_ensemble(recorded):
    run_tool(["dvc", "commit", "-f", "-q"], recorded)
    assert "up to date" in run_tool(["dvc", "status"], recorded).stdout
    _edit_members(recorded)
    status = run_tool(["dvc", "status"], recorded).stdout
    changed = set(re.findall(r"^(\S+):\s*$", status, re.M))
    assert "ensemble@pair" in changed, status
    assert not {s for s in changed if s.startswith(("train@", "evaluate@", "ensemble@resnet_20"))}, status
    assert "aggregate" in changed
