"""Snakemake and DVC declare the same steps: same commands, outputs and params.

Both front ends read params.yaml; if they drifted apart, `dvc repro` and `snakemake` would
produce different results or track different parameters. Checked for every profile.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from cifarlab import dag
from tests.workflow_copy import REPO, copy_workflow, run_tool

RAW = yaml.safe_load((REPO / "params.yaml").read_text())


def snakemake_jobs(workdir: Path, profile: str) -> dict[str, tuple[str, set[str]]]:
    """{job id: (command, outputs)} from a forced dry run; the log redirection is dropped."""
    out = run_tool(
        ["snakemake", "-n", "--forceall", "-p", "--cores", "1", "--config", f"profile={profile}"],
        workdir,
    ).stdout
    jobs = {}
    # A rule with a `message:` (train: it names the seeds) prints "Job N: <message>".
    for rule, exp, outputs, command in re.findall(
            r"^Job \d+: (\w+) (\w+), seeds [\d,]+: (.*)\n(?:.*\n)*?Shell command: (.*)$", out, re.M):
        jobs[f"{rule}@{exp}"] = (command.split(" 2>&1 | tee ")[0], set(outputs.split(" ")))
    for block in re.split(r"\n(?=rule \w+:)", out):
        m = re.match(r"rule (\w+):", block)
        if not m or m.group(1) == "all":
            continue
        outputs = re.search(r"^\s+output: (.*)$", block, re.M).group(1)
        command = re.search(r"^Shell command: (.*)$", block, re.M).group(1)
        command = command.split(" 2>&1 | tee ")[0]
        wc = re.search(r"wildcards: (?:exp|ens)=(\S+)", block)
        jobs[m.group(1) + (f"@{wc.group(1)}" if wc else "")] = (command, set(outputs.split(", ")))
    return jobs


def dvc_stages(workdir: Path) -> dict[str, tuple[str, set[str], list[str]]]:
    """{stage address: (command, outputs incl. metrics and plots, params keys)}."""
    from dvc.repo import Repo

    repo = Repo(str(workdir))
    stages = {}
    for stage in repo.index.stages:
        params = [k for d in stage.deps if d.__class__.__name__ == "ParamsDependency" for k in d.params]
        outs = {str(o.def_path) for o in stage.outs}
        stages[stage.name] = (stage.cmd, outs, params)
    return stages


@pytest.mark.parametrize("profile", sorted(RAW["profiles"]))
def test_snakemake_and_dvc_declare_the_same_dag(tmp_path, profile):
    params = {**RAW, "profile": profile}
    work = copy_workflow(tmp_path, params)
    run_tool(["dvc", "init", "--no-scm", "-q"], work)
    smk = snakemake_jobs(work, profile)
    dvc = dvc_stages(work)
    assert set(smk) == set(dvc), "the two front ends have different steps"
    for name, (cmd, outs, keys) in dvc.items():
        assert smk[name][0] == cmd, name
        assert smk[name][1] == outs, name
        step, _, exp = name.partition("@")
        # The Snakefile hashes exactly these keys into each rule's params (common.smk).
        assert keys == dag.param_keys(step, params, exp or None), name


def test_the_full_profile_plan_lists_every_run_with_its_seeds(tmp_path):
    work = copy_workflow(tmp_path)
    run_tool(["dvc", "init", "--no-scm", "-q"], work)
    dry = run_tool(["snakemake", "-n", "--cores", "8", "--config", "profile=full"], work)
    planned = dict(re.findall(r"^Job \d+: train (\w+), seeds ([\d,]+):", dry.stdout, re.M))
    assert set(planned) == set(RAW["experiments"])
    assert all(len(seeds.split(",")) >= 3 for seeds in planned.values())
    assert set(re.findall(r"^\s+wildcards: ens=(\w+)", dry.stdout, re.M)) == set(RAW["ensembles"])
    # ImageNet-100 has no local path: warned about, still in the plan
    for exp in ("resnet50_imagenet", "resnet50_se_imagenet"):
        assert f"warning: {exp}: datasets.imagenet100.local is not set" in dry.stderr
    status = run_tool(["dvc", "status"], work).stdout
    assert {f"train@{e}" for e in RAW["experiments"]} <= set(re.findall(r"^(train@\w+):", status, re.M))
    subset = run_tool(["snakemake", "-n", "--cores", "1", "--config", "only=s003"], work).stdout
    assert set(re.findall(r"^Job \d+: train (\w+),", subset, re.M)) == {"resnet50_imagenet", "resnet50_se_imagenet"}


def test_a_subset_explains_only_its_own_experiments(tmp_path):
    # `only=cnn4` has no experiment that explain draws from: it must not ask for
    # efficientnet_b2's checkpoint (it did, and failed), and the command carries the subset.
    work = copy_workflow(tmp_path)
    dry = run_tool(["snakemake", dag.EXPLAIN_DIR, "-n", "-p", "--forceall", "--cores", "1",
                    "--config", "only=cnn4"], work).stdout
    assert "python workflow/scripts/explain.py --profile quick --only cnn4" in dry
    assert "efficientnet_b2" not in dry
