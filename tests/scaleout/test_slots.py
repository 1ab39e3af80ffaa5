"""GPU slots on a fake GPU list: concurrent jobs never exceed jobs_per_gpu on one GPU,
take the preset CUDA_VISIBLE_DEVICES list, reuse a SIGKILLed job's slot, and a multi-GPU
job gets distinct GPUs. No CUDA needed: the allocator never touches it."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections import Counter
from pathlib import Path

import pytest

from tests.scaleout.slot_jobs import Job, job_env, settle, wait_for

SRC = Path(__file__).resolve().parents[2] / "src" / "cifarlab"


def _stop(jobs):
    for j in jobs:
        if j.proc.poll() is None:
            j.kill()


def test_two_jobs_per_gpu_never_exceed_two_per_gpu(tmp_path):
    env = job_env(tmp_path, CIFARLAB_GPUS="0,1,2,3", CIFARLAB_JOBS_PER_GPU="2")
    jobs = [Job(env) for _ in range(8)]
    try:
        wait_for(jobs, 8)
        per_gpu = Counter(j.gpus[0] for j in jobs)
        assert per_gpu == {"0": 2, "1": 2, "2": 2, "3": 2}
        ninth = Job(env, wait_s=0.5)  # every slot is taken: it must give up, not share
        assert ninth.proc.wait(30) == 1
        assert "no 1 free GPU slot(s) among 0,1,2,3" in ninth.proc.stderr.read()
        freed = jobs[3].gpus[0]
        assert jobs[3].release() == 0
        tenth = Job(env)
        wait_for([tenth], 1)
        assert tenth.gpus == [freed]
        jobs.append(tenth)
    finally:
        _stop(jobs)


@pytest.mark.parametrize("source", ["CIFARLAB_GPUS", "CUDA_VISIBLE_DEVICES"])
def test_one_job_per_gpu_never_shares_and_takes_the_given_list(tmp_path, source):
    # A preset CUDA_VISIBLE_DEVICES (shared server, SLURM) is the list: 3,5,6,7, not 0-3.
    env = job_env(tmp_path, **{source: "3,5,6,7"})
    jobs = [Job(env) for _ in range(8)]
    try:
        first = wait_for(jobs, 4)
        assert sorted(j.gpus[0] for j in first) == ["3", "5", "6", "7"]
        waiting = [j for j in jobs if j not in first]
        assert settle(waiting) == [], "a fifth job got a GPU that four jobs already hold"
        for j in first:
            assert j.release() == 0
        second = wait_for(waiting, 4)
        assert sorted(j.gpus[0] for j in second) == ["3", "5", "6", "7"]
    finally:
        _stop(jobs)


def test_sigkilled_jobs_slot_is_reused(tmp_path):
    env = job_env(tmp_path, CIFARLAB_GPUS="0,1")
    holders = [Job(env) for _ in range(2)]
    waiter = None
    try:
        wait_for(holders, 2)
        waiter = Job(env)
        assert settle([waiter]) == []
        victim = next(j for j in holders if j.gpus == ["1"])
        victim.kill()  # SIGKILL: no clean-up code runs; the kernel drops the flock
        wait_for([waiter], 1)
        assert waiter.gpus == ["1"]
    finally:
        _stop(holders + [waiter] if waiter else holders)


def test_multi_gpu_job_gets_distinct_gpus(tmp_path):
    env = job_env(tmp_path, CIFARLAB_GPUS="0,1,2,3")
    a, b = Job(env, count=2), Job(env, count=2)
    try:
        wait_for([a, b], 2)
        assert len(set(a.gpus)) == 2 and len(set(b.gpus)) == 2
        assert sorted(a.gpus + b.gpus) == ["0", "1", "2", "3"]
        third = Job(env, count=2, wait_s=0.3)
        assert third.proc.wait(30) == 1
        too_many = Job(env, count=5, wait_s=0.3)
        assert too_many.proc.wait(30) == 1
        assert "asked for 5 GPUs but only 4 are visible" in too_many.proc.stderr.read()
    finally:
        _stop([a, b])


def test_two_gpu_job_with_two_jobs_per_gpu_spreads_before_sharing(tmp_path):
    env = job_env(tmp_path, CIFARLAB_GPUS="0,1,2,3", CIFARLAB_JOBS_PER_GPU="2")
    jobs = [Job(env, count=2) for _ in range(4)]
    try:
        wait_for(jobs, 4)
        assert all(len(set(j.gpus)) == 2 for j in jobs)
        assert Counter(g for j in jobs for g in j.gpus) == {"0": 2, "1": 2, "2": 2, "3": 2}
    finally:
        _stop(jobs)


def test_workers_of_a_holding_parent_take_no_new_slot(tmp_path):
    # torchrun's workers inherit the parent's slots; locking again would deadlock them.
    env = job_env(tmp_path, CIFARLAB_GPUS="0,1", CUDA_VISIBLE_DEVICES="1",
                  CIFARLAB_GPU_SLOTS_HELD="1")
    workers = [Job(env) for _ in range(3)]
    try:
        wait_for(workers, 3)
        assert [j.gpus for j in workers] == [["1"]] * 3
    finally:
        _stop(workers)
    assert not list(tmp_path.glob("*.lock"))


def test_slurm_jobs_lock_per_job(tmp_path):
    # With ConstrainDevices every SLURM job sees its own GPU as 0: no shared lock file.
    a = Job(job_env(tmp_path, CUDA_VISIBLE_DEVICES="0", SLURM_JOB_ID="11"))
    b = Job(job_env(tmp_path, CUDA_VISIBLE_DEVICES="0", SLURM_JOB_ID="12"))
    try:
        wait_for([a, b], 2)
        assert a.gpus == b.gpus == ["0"]
        assert {p.name for p in tmp_path.iterdir()} == {"slurm-job-11", "slurm-job-12"}
    finally:
        _stop([a, b])


def test_no_gpu_means_cpu_and_no_lock(tmp_path):
    jobs = [Job(job_env(tmp_path, CUDA_VISIBLE_DEVICES="")), Job(job_env(tmp_path, CIFARLAB_GPUS="-1"))]
    try:
        wait_for(jobs, 2)
        assert [j.gpus for j in jobs] == [[], []]
    finally:
        _stop(jobs)
    assert not list(tmp_path.iterdir())


SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/usr/local/bin")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="needs root to run jobs as two other users")
@pytest.mark.skipif(SYSTEM_PYTHON is None, reason="no system python3 other users may run")
def test_default_lock_folder_is_shared_by_users():
    """Issue 10: locks live in /tmp/cifarlab-gpu-locks (1777, files 0666), so a second
    user's job locks files the first user created instead of dying with PermissionError."""
    tmp = Path(tempfile.mkdtemp(prefix="cifarlab-slot-users-", dir="/tmp"))
    try:
        tmp.chmod(0o1777)  # stands in for /tmp itself (sticky, world-writable)
        # Other users can read neither this venv nor root's home: the allocator is
        # dependency-free, so a copy of it runs under the system interpreter.
        pkg = tmp / "pkg" / "cifarlab"
        pkg.mkdir(parents=True)
        for name in ("__init__.py", "errors.py", "device.py"):
            shutil.copy(SRC / name, pkg / name)
        # The default folder is fixed (/tmp/cifarlab-gpu-locks); the copy's points here.
        copy = pkg / "device.py"
        copy.write_text(copy.read_text().replace('Path("/tmp/cifarlab-gpu-locks")',
                                                 f'Path("{tmp}/cifarlab-gpu-locks")'))
        (tmp / "pkg").chmod(0o755)
        pkg.chmod(0o755)
        env = job_env(None, CIFARLAB_GPUS="0,1", PYTHONPATH=str(tmp / "pkg"))
        first = Job(env, user=4242, python=SYSTEM_PYTHON)
        wait_for([first], 1)
        assert first.release() == 0
        folder = tmp / "cifarlab-gpu-locks"
        assert stat.S_IMODE(folder.stat().st_mode) == 0o1777
        files = sorted(folder.iterdir())
        assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o666 for f in files)
        assert all(f.stat().st_uid == 4242 for f in files)
        second = [Job(env, user=4343, python=SYSTEM_PYTHON) for _ in range(2)]  # one of them reuses 4242's file
        wait_for(second, 2)
        assert sorted(j.gpus[0] for j in second) == ["0", "1"]
        _stop(second)
    finally:
        shutil.rmtree(tmp)
