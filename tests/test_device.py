"""The GPU slot allocator hands each concurrent process a different GPU."""

from __future__ import annotations

import os
import subprocess
import sys


def _claim(lock_dir, n, hold_s=0.0):
    code = (
        "import os, sys, time; from cifarlab.device import acquire_gpu_slot; "
        f"print(acquire_gpu_slot({n}, {str(lock_dir)!r}, wait_s=5), flush=True); time.sleep({hold_s})"
    )
    env = {k: v for k, v in os.environ.items() if k != "CUDA_VISIBLE_DEVICES"}
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)


def test_concurrent_processes_get_distinct_slots_and_slots_free_on_exit(tmp_path):
    holders = [_claim(tmp_path, 2, hold_s=3.0) for _ in range(2)]
    slots = sorted(int(p.stdout.readline()) for p in holders)
    assert slots == [0, 1]
    for p in holders:
        p.kill()  # SIGKILL: the kernel must still release the lock
        p.wait()
    again = _claim(tmp_path, 2)
    assert int(again.stdout.readline()) == 0
    again.wait()


def test_no_gpus_or_preset_visibility_changes_nothing(tmp_path, monkeypatch):
    from cifarlab.device import acquire_gpu_slot

    assert acquire_gpu_slot(0, tmp_path) is None
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")
    assert acquire_gpu_slot(4, tmp_path) is None
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "3"
