"""Issue 19, item 5: a second user's job must not get a GPU the first one holds, whatever
its TMPDIR and however its CUDA_VISIBLE_DEVICES names the GPU (index, UUID, MIG UUID).

The jobs are real processes contending for real flocks; ``nvidia-smi`` is a script on
PATH that prints a two-GPU listing (the second GPU split into two MIG devices)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from cifarlab import device
from tests.scaleout.slot_jobs import Job, job_env, settle, wait_for

GPU0 = "GPU-5c89852c-d268-c3f3-1b07-005d5ae1dc3b"
GPU1 = "GPU-8d1e0f3a-1111-2222-3333-444455556666"
MIG_A = "MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f"
MIG_B = "MIG-cba663e8-9bed-5b7a-b950-dd56e0de6b6e"
LISTING = f"""GPU 0: NVIDIA H100 80GB HBM3 (UUID: {GPU0})
GPU 1: NVIDIA A100-SXM4-40GB (UUID: {GPU1})
  MIG 3g.20gb     Device  0: (UUID: {MIG_A})
  MIG 3g.20gb     Device  1: (UUID: {MIG_B})
"""


@pytest.fixture
def fake_smi(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "nvidia-smi"
    script.write_text(f"#!/bin/sh\ncat <<'END'\n{LISTING}END\n")
    script.chmod(0o755)
    return bin_dir


def test_listing_maps_every_spelling_of_a_device_to_one_key():
    keys = device.device_keys(LISTING.splitlines())
    assert [device.slot_key(g, keys) for g in ("0", GPU0, GPU0[:12], "1", GPU1)] == \
        ["0", "0", "0", "1", "1"]
    assert [device.slot_key(g, keys) for g in (MIG_A, MIG_B, MIG_B[:10])] == \
        ["1-mig0", "1-mig1", "1-mig1"]
    # An ambiguous prefix or an unlisted id keeps its own spelling (CUDA would refuse it).
    assert device.slot_key("GPU-", keys) == "GPU-" and device.slot_key("7", keys) == "7"
    assert device._distinct(["0", GPU0, "1", MIG_A], keys) == ["0", "1", MIG_A]


def _env(lock_dir, bin_dir: Path, **extra: str) -> dict[str, str]:
    env = job_env(lock_dir, **extra)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    return env


@pytest.mark.parametrize("first,second", [("0", GPU0), (GPU0[:16], "0"), (MIG_B, MIG_B[:12])])
def test_index_and_uuid_of_one_gpu_lock_the_same_slot(tmp_path, fake_smi, first, second):
    locks = tmp_path / "locks"
    holder = Job(_env(locks, fake_smi, CUDA_VISIBLE_DEVICES=first))
    try:
        wait_for([holder], 1)
        other = Job(_env(locks, fake_smi, CUDA_VISIBLE_DEVICES=second), wait_s=0.5)
        assert other.proc.wait(30) == 1, f"{second!r} got the GPU that {first!r} holds"
        assert "no 1 free GPU slot(s)" in other.proc.stderr.read()
    finally:
        holder.kill()


def test_two_mig_devices_of_one_gpu_are_two_slots(tmp_path, fake_smi):
    env = _env(tmp_path / "locks", fake_smi, CUDA_VISIBLE_DEVICES=f"{MIG_A},{MIG_B}")
    jobs = [Job(env) for _ in range(3)]
    try:
        ready = wait_for(jobs, 2)
        assert sorted(j.gpus[0] for j in ready) == sorted([MIG_A, MIG_B])
        assert settle([j for j in jobs if j not in ready]) == []
    finally:
        for j in jobs:
            j.kill()


def test_the_default_lock_folder_does_not_follow_tmpdir(tmp_path, fake_smi):
    """pam_tmpdir gives each user a TMPDIR of their own: the folder must stay one."""
    if Path("/tmp").stat().st_mode & 0o1777 != 0o1777:
        pytest.skip("/tmp is not a shared sticky folder here")
    ids = f"GPU-test-{uuid.uuid4()}"  # a device name no real job locks
    envs = []
    for user in ("a", "b"):
        tmpdir = tmp_path / "user" / user
        tmpdir.mkdir(parents=True)
        envs.append(_env(None, fake_smi, TMPDIR=str(tmpdir), CUDA_VISIBLE_DEVICES=ids))
    first = Job(envs[0])
    try:
        wait_for([first], 1)
        second = Job(envs[1], wait_s=0.5)
        assert second.proc.wait(30) == 1, "a second TMPDIR gave a second lock folder"
        assert str(device.DEFAULT_LOCK_DIR) in second.proc.stderr.read()
    finally:
        first.kill()
        for f in device.DEFAULT_LOCK_DIR.glob(f"gpu-{ids}*"):
            f.unlink(missing_ok=True)
    assert device.DEFAULT_LOCK_DIR == Path("/tmp/cifarlab-gpu-locks")
