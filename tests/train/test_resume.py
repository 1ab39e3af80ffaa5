"""SIGKILL a training process after its first epoch, rerun it, get an uninterrupted run's bits."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

DRIVER = Path(__file__).with_name("fit_driver.py")
EPOCHS = 4


def start(out_dir, state_dir, *extra):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, str(DRIVER), str(out_dir), str(state_dir),
                             "--epochs", str(EPOCHS), *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"driver exited ({proc.returncode}) early:\n{proc.stdout.read()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("driver never reached epoch 2")
        time.sleep(0.05)


def test_killed_run_resumes_to_the_same_weights(driver, tmp_path):
    out, state, marker = tmp_path / "out", tmp_path / "state", tmp_path / "epoch2.started"
    proc = start(out, state, "--hang-at", "2", "--marker", str(marker))
    wait_for(marker, proc)  # epoch 2 began, so epoch 1's state is on disk
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    assert (state / "state.pt").exists() and not (out / "train.json").exists()

    rerun = subprocess.run([sys.executable, str(DRIVER), str(out), str(state),
                            "--epochs", str(EPOCHS)], capture_output=True, text=True,
                           timeout=120, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert rerun.returncode == 0, rerun.stderr
    info = json.loads((out / "train.json").read_text())
    assert info["resumed_from_epoch"] == 1 and info["epochs_run"] == EPOCHS
    assert not state.exists()

    reference, _ = driver.run(tmp_path / "ref_out", tmp_path / "ref_state", EPOCHS)
    for name in ("last.pt", "best.pt"):
        ref = torch.load(tmp_path / "ref_out" / name, weights_only=True)
        got = torch.load(out / name, weights_only=True)
        assert got["epoch"] == ref["epoch"], name
        for key, tensor in ref["state_dict"].items():
            assert torch.equal(tensor, got["state_dict"][key]), (name, key)
    assert info["best_epoch"] == reference.best_epoch
    assert info["train_seconds"] > 0
