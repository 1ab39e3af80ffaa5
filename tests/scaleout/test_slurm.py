"""The tiny config's whole DAG as SLURM jobs on a real one-node cluster (slurm-wlm +
munge on loopback, tests/scaleout/slurm_cluster.sh) through snakemake-executor-plugin-slurm
and workflow/profiles/slurm: results and report appear, every training job ran as a SLURM
job (its id in the provenance), and a training job cancelled with `scancel` after its
first epoch is resubmitted and resumes.

Its own CI step (.ci/run) runs it with CIFARLAB_SLURM_TEST=1 inside `slurm_cluster.sh run`;
`make test` skips it (it installs packages and starts daemons). Needs root and apt-get
(else skipped with the reason)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from cifarlab import dag
from tests.tiny_params import tiny_params
from tests.workflow_copy import BIN, copy_workflow, tool_env

SCRIPT = Path(__file__).with_name("slurm_cluster.sh")
EXPERIMENTS = ("cnn4", "resnet_20")
VICTIM = "cnn4"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("CIFARLAB_SLURM_TEST") != "1",
                       reason="SLURM cluster test: its own CI step sets CIFARLAB_SLURM_TEST=1"),
]


@pytest.fixture(scope="module")
def slurm_env(tmp_path_factory):
    """SLURM_CONF of the cluster `slurm_cluster.sh run` started, or of one started here."""
    if os.environ.get("CIFARLAB_SLURM_DIR"):
        yield {"SLURM_CONF": os.environ["SLURM_CONF"]}
        return
    folder = tmp_path_factory.mktemp("slurm")
    done = subprocess.run(["bash", str(SCRIPT), "start", str(folder)], capture_output=True, text=True, timeout=900)
    if done.returncode == 77:
        pytest.skip(done.stderr.strip())
    try:
        assert done.returncode == 0, f"cluster did not start:\n{done.stdout}{done.stderr}"
        yield {"SLURM_CONF": str(folder / "slurm.conf")}
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", str(folder)], timeout=120)


def _squeue(env) -> list[tuple[str, str, str]]:
    out = subprocess.run(["squeue", "--states=all", "--noheader", "--format=%i|%T|%k"], env=env,
                         capture_output=True, text=True, check=True).stdout
    return [tuple(line.split("|", 2)) for line in out.splitlines() if line.strip()]


def _cancel_after_first_epoch(work: Path, env, proc: subprocess.Popen) -> str:
    """scancel the victim's training job once its resume state holds an epoch."""
    deadline = time.monotonic() + 420
    while time.monotonic() < deadline and proc.poll() is None:
        states = list((work / dag.state_dir(VICTIM)).rglob("state.pt"))
        running = [j for j, state, comment in _squeue(env)
                   if state == "RUNNING" and "train" in comment and VICTIM in comment]
        if states and running:
            subprocess.run(["scancel", running[0]], env=env, check=True)
            return running[0]
        time.sleep(0.2)
    raise AssertionError(f"no running {VICTIM} training job with a saved epoch to cancel "
                         f"(snakemake exit {proc.poll()})")


def test_dag_runs_as_slurm_jobs_and_a_cancelled_job_resumes(tmp_path, slurm_env):
    start = time.monotonic()
    params = tiny_params(tmp_path / "fmnist", experiments=EXPERIMENTS, n_train=3000, n_test=50,
                         train_subset=2500, max_epochs=3)
    params["slurm"] = {rule: {"cpus": 1, "mem_mb": 2000, "runtime": 15} for rule in ("train", "evaluate")}
    work = copy_workflow(tmp_path / "repo", params)
    shutil.copytree(Path(__file__).resolve().parents[2] / "workflow/profiles", work / "workflow/profiles",
                    dirs_exist_ok=True)
    env = tool_env() | slurm_env
    cmd = [str(BIN / "snakemake"), "--profile", "workflow/profiles/slurm", "--jobs", "4",
           "--retries", "1", "--latency-wait", "5", "--slurm-no-account",
           "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "2",
           "--default-resources", "cpus_per_task=1", "mem_mb=1000", "runtime=15"]
    with open(tmp_path / "snakemake.log", "w") as log:
        proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            cancelled = _cancel_after_first_epoch(work, env, proc)
            code = proc.wait(480)
        finally:
            if proc.poll() is None:
                proc.kill()
    tail = (tmp_path / "snakemake.log").read_text()[-6000:]
    assert code == 0, f"snakemake --executor slurm exited {code}:\n{tail}"
    print(f"SLURM test: whole DAG as SLURM jobs with one scancel + resubmission in "
          f"{time.monotonic() - start:.0f} s")

    assert (work / dag.REPORT_HTML).is_file()
    jobs = {j: (state, comment) for j, state, comment in _squeue(env)}
    assert jobs[cancelled][0] == "CANCELLED"
    ids = {}
    for exp in EXPERIMENTS:
        prov = json.loads((work / dag.train_dir(exp) / dag.TRAIN_PROV).read_text())
        ids[exp] = prov["environment"]["SLURM_JOB_ID"]
        assert jobs[ids[exp]][0] == "COMPLETED" and "train" in jobs[ids[exp]][1]
    assert len(set(ids.values())) == len(EXPERIMENTS)
    assert ids[VICTIM] != cancelled, "the provenance must come from the resubmitted job"
    summaries = [json.loads(p.read_text()) for p in sorted((work / dag.train_dir(VICTIM)).glob("seed_*/train.json"))]
    assert summaries and max(s["resumed_from_epoch"] for s in summaries) >= 1
    assert all(s["epochs_run"] == 3 for s in summaries)
    assert not (work / dag.state_dir(VICTIM)).exists()
    assert list((work / "logs/slurm").rglob("*.log")), "per-job SLURM logs are kept"
