"""What the rules ask a scheduler for: `gpu` = the experiment's `gpus` for training on
CUDA profiles (1 for evaluation, 0 on CPU profiles), SLURM cpus/mem/time from params, and
the SLURM plugin's mapping of `gpu=k` to `--gpus=k` (nothing for gpu=0)."""

from __future__ import annotations

import re

from tests.tiny_params import tiny_params
from tests.workflow_copy import copy_workflow, run_tool


def _resources(out: str) -> dict[tuple[str, str], dict[str, str]]:
    """(rule, wildcards) -> resources, from a dry run's job listing."""
    jobs = {}
    for block in re.split(r"\n(?=(?:local)?rule )", out):
        head = re.match(r"(?:local)?rule (\w+):", block)
        res = re.search(r"^\s+resources: (.*)$", block, re.M)
        if head and res:
            wc = re.search(r"^\s+wildcards: (.*)$", block, re.M)
            jobs[(head.group(1), wc.group(1) if wc else "")] = dict(
                kv.split("=", 1) for kv in res.group(1).split(", "))
    return jobs


def test_gpu_and_slurm_resources_follow_params(tmp_path):
    params = tiny_params(tmp_path / "fmnist", experiments=("cnn4", "resnet_20"))
    params["experiments"]["resnet_20"]["gpus"] = 2
    params["slurm"] = {"train": {"cpus": 6, "mem_mb": 12000, "runtime": 90},
                       "evaluate": {"cpus": 3, "mem_mb": 5000, "runtime": 20}}
    work = copy_workflow(tmp_path / "repo", params)
    for smk in (work / "workflow/rules").glob("*.smk"):  # a rule's message hides its resources
        smk.write_text(re.sub(r"\n    message:\n        .*\n", "\n", smk.read_text()))
    args = ["snakemake", "-n", "--forceall", "--cores", "1"]
    full = _resources(run_tool(args + ["--config", "profile=full"], work).stdout)
    assert full[("train", "exp=resnet_20")]["gpu"] == "2"
    assert full[("train", "exp=cnn4")]["gpu"] == "1"
    assert full[("evaluate", "exp=resnet_20")]["gpu"] == "1"  # evaluation: one process
    train = full[("train", "exp=cnn4")]
    assert (train["cpus_per_task"], train["mem_mb"], train["runtime"]) == ("6", "12000", "90")
    assert full[("evaluate", "exp=cnn4")]["cpus_per_task"] == "3"
    quick = _resources(run_tool(args, work).stdout)
    assert quick[("train", "exp=resnet_20")]["gpu"] == "0"  # CPU profile: no GPU request


class _Job:
    def __init__(self, **resources):
        self.resources = type("R", (), {"get": lambda _, k, d=None: resources.get(k, d), **resources})()


def test_slurm_plugin_maps_gpu_requests_to_gres_only_when_positive():
    from snakemake_executor_plugin_slurm.utils import set_gres_string

    assert set_gres_string(_Job(gpu=2)).strip() == "--gpus=2"
    assert set_gres_string(_Job(gpu=0)).strip() == ""
