"""A kill leaves Snakemake's lock: `make run` removes it when no Snakemake runs in the
checkout, and names the running one (exit 2) otherwise."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.workflow_copy import REPO, copy_workflow, tool_env


@pytest.fixture
def locked(tmp_path):
    dest = copy_workflow(tmp_path / "wf")
    locks = dest / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    (locks / "0.input.lock").write_text(f"{dest}/data/raw\n")  # what a killed run leaves
    return dest


def _snakelock(cwd):
    return subprocess.run([sys.executable, "-m", "cifarlab.snakelock"], cwd=cwd, env=tool_env(),
                          capture_output=True, text=True, timeout=300)


def test_stale_lock_is_removed_and_said(locked):
    done = _snakelock(locked)
    assert done.returncode == 0, done.stderr
    assert "removing a stale Snakemake lock" in done.stderr
    locks = locked / ".snakemake" / "locks"
    assert not locks.exists() or not list(locks.iterdir())


def test_lock_of_a_running_snakemake_is_kept(locked):
    # A process whose argv[0] is "snakemake", working in the checkout.
    other = subprocess.Popen(["bash", "-c", "exec -a snakemake sleep 600"], cwd=locked)
    try:
        done = _snakelock(locked)
    finally:
        other.kill()
        other.wait()
    assert done.returncode == 2
    assert f"Snakemake is running in {locked.resolve()} (pid {other.pid})" in done.stderr
    assert (locked / ".snakemake" / "locks" / "0.input.lock").exists()


def test_no_lock_no_action(tmp_path):
    done = _snakelock(tmp_path)
    assert done.returncode == 0 and done.stderr == ""


def test_make_run_checks_the_lock_first():
    # The recipe as written: `make -n run` would still execute its lines that call $(MAKE),
    # i.e. start the whole workflow in the checkout.
    text = (REPO / "Makefile").read_text()
    lines = text[text.index("\nrun:"):].split("\n\n")[0].splitlines()
    check = next(i for i, line in enumerate(lines) if "cifarlab.snakelock" in line)
    assert check < next(i for i, line in enumerate(lines) if "snakemake --cores" in line)
