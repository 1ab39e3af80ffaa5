"""Unit checks of the GPU list and settings (the concurrent-process slot tests live in
tests/scaleout/test_slots.py)."""

from __future__ import annotations

import pytest

from cifarlab import device
from cifarlab.device import GpuSlotError, acquire_gpus, gpu_ids, jobs_per_gpu, resolve_device


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    for var in ("CUDA_VISIBLE_DEVICES", "CIFARLAB_GPUS", "CIFARLAB_JOBS_PER_GPU",
                "CIFARLAB_GPU_SLOTS_HELD", "SLURM_JOB_ID"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("CIFARLAB_GPU_LOCK_DIR", str(tmp_path))
    monkeypatch.setattr(device, "_held", [])


def test_preset_visibility_wins_over_the_fake_list_and_stops_at_an_invalid_entry(monkeypatch):
    monkeypatch.setenv("CIFARLAB_GPUS", "0,1,2,3")
    assert gpu_ids() == ["0", "1", "2", "3"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "GPU-8d1e, 5,-1,6")
    assert gpu_ids() == ["GPU-8d1e", "5"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert gpu_ids() == []


def test_jobs_per_gpu_must_be_a_positive_integer(monkeypatch):
    assert jobs_per_gpu() == 1
    monkeypatch.setenv("CIFARLAB_JOBS_PER_GPU", "0")
    with pytest.raises(GpuSlotError, match="CIFARLAB_JOBS_PER_GPU='0'"):
        jobs_per_gpu()


def test_acquire_sets_visibility_and_lock_names_are_safe(monkeypatch, tmp_path):
    monkeypatch.setenv("CIFARLAB_GPUS", "MIG-1/2,GPU-x")
    assert acquire_gpus(2) == ["MIG-1/2", "GPU-x"]
    import os

    assert os.environ["CUDA_VISIBLE_DEVICES"] == "MIG-1/2,GPU-x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gpu-GPU-x.slot0.lock", "gpu-MIG-1_2.slot0.lock"]
    assert acquire_gpus(1) == ["MIG-1/2", "GPU-x"]  # a process holds its slots once
    for _, fd in device._held:
        os.close(fd)


def test_cpu_profile_claims_nothing_and_cuda_without_gpu_is_a_user_error(monkeypatch, tmp_path):
    monkeypatch.setenv("CIFARLAB_GPUS", "0")
    assert resolve_device("cpu", gpus=1) == "cpu"
    assert not list(tmp_path.iterdir())
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    with pytest.raises(GpuSlotError, match="no CUDA device is available"):
        resolve_device("cuda")
