"""Every job holds its compute threads to what Snakemake gave it (issue 18)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cifarlab import threads

ROOT = Path(__file__).resolve().parent.parent


def test_step_threads_follow_snakemakes_export(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert threads.step_threads() == 3
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert threads.step_threads() == threads.available_cores()  # DVC, or by hand: every core


@pytest.mark.parametrize("value", ["two", "0"])
def test_a_bad_thread_count_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    with pytest.raises(ValueError, match="OMP_NUM_THREADS"):
        threads.step_threads()


def _torch_threads(env: dict[str, str], code: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")} | env
    return subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_pin_before_torch_loads_holds_torch_and_openmp():
    # pin() runs before any import of torch, as the CLI does: the OpenMP pool starts small.
    out = _torch_threads({}, "from cifarlab import threads; threads.pin(1); import os, torch; "
                             "print(torch.get_num_threads(), os.environ['MKL_NUM_THREADS'])")
    assert out == "1 1"


def test_pin_torch_follows_the_job():
    out = _torch_threads({"OMP_NUM_THREADS": "1"},
                         "import torch; torch.set_num_threads(2); from cifarlab.threads import pin_torch; "
                         "print(pin_torch(), torch.get_num_threads())")
    assert out == "1 1"


def test_a_step_with_a_bad_thread_count_stops_with_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items()} | {"OMP_NUM_THREADS": "many"}
    proc = subprocess.run([sys.executable, str(ROOT / "workflow/scripts/aggregate.py"), "--params",
                           str(ROOT / "params.yaml")], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "cifarlab aggregate: error: OMP_NUM_THREADS='many' is not a whole number of threads"]


def test_every_rule_declares_its_threads():
    for smk in sorted((ROOT / "workflow/rules").glob("*.smk")):
        blocks = re.split(r"^rule ", smk.read_text(), flags=re.M)[1:]
        for block in blocks:
            name = block.split(":", 1)[0]
            assert "    threads: rule_threads(" in block, f"{smk.name}: rule {name} declares no threads"
