"""SIGKILL during train, evaluate, figures and report, then a rerun: the same final
metrics as an uninterrupted run, and the killed step's temporaries are gone.

Each killed step runs as a subprocess frozen just before an atomic rename (see
killable.py), i.e. with its temporary complete and its target not yet replaced, the
moment a kill leaves the most behind. Resume state from a changed param is refused.
"""

from __future__ import annotations

import copy
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from cifarlab import dag
from tests.reliability.helpers import in_dir, step, temporaries, write_params

KILLABLE = Path(__file__).with_name("killable.py")
VOLATILE = ("second", "latency", "time", "mem", "throughput", "img_s", "device")  # machine-dependent
EXP = "cnn4"


def _pipeline(capsys, experiments) -> None:
    assert step(capsys, "preview")[0] == 0
    for exp in experiments:
        for verb in ("train", "evaluate"):
            rc, err = step(capsys, verb, "--experiment", exp)
            assert rc == 0, err
    for verb in ("aggregate", "figures", "report"):
        rc, err = step(capsys, verb)
        assert rc == 0, err


@pytest.fixture(scope="module")
def reference(base_project, tmp_path_factory):
    """An uninterrupted run of the whole DAG on the tiny project."""
    proj = tmp_path_factory.mktemp("reference") / "proj"
    shutil.copytree(base_project, proj, symlinks=True)
    experiments = list(yaml.safe_load((proj / "params.yaml").read_text())["experiments"])
    with in_dir(proj):
        _pipeline(_Shim(), experiments)
    return proj


class _Shim:
    """Enough of capsys for helpers.step in a module fixture (capsys is per test)."""

    def readouterr(self):
        return type("Out", (), {"out": "", "err": ""})()


def _metrics(proj: Path, exp: str) -> dict[str, dict]:
    """Every metrics.json under the experiment's run folder, timing fields dropped."""
    out = {}
    for path in sorted((proj / dag.run_dir(exp)).rglob("metrics.json")):
        data = json.loads(path.read_text())
        out[path.relative_to(proj).as_posix()] = {
            k: v for k, v in data.items() if not any(w in k for w in VOLATILE)}
    assert out, f"no metrics.json under {dag.run_dir(exp)}"
    return out


def _kill_during(proj: Path, prefix: str, nth: int, *step_args: str) -> None:
    """Run a step in ``proj``, freeze it at the nth rename onto ``prefix``, SIGKILL it."""
    marker = proj / "frozen.txt"
    log = (proj / "killed.log").open("w")
    proc = subprocess.Popen([sys.executable, str(KILLABLE), str(marker), prefix, str(nth), *step_args],
                            cwd=proj, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 600  # a guard against a hung test, not a timing check
        while not marker.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"step ended before freezing: {(proj / 'killed.log').read_text()}")
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    marker.unlink()
    (proj / "killed.log").unlink()


def _copy(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True)
    return dest


def _train_json(proj: Path) -> dict:
    (path,) = sorted((proj / dag.run_dir(EXP)).rglob("train.json"))[:1]
    return json.loads(path.read_text())


def test_kill_during_train_resumes_to_the_same_metrics(base_project, reference, tmp_path, capsys, monkeypatch):
    proj = _copy(base_project, tmp_path / "proj")
    # Epoch 1 writes best-epoch0001.pt and state.pt; the 3rd rename is epoch 2's (the last).
    _kill_during(proj, dag.state_dir(EXP), 3, "train", "--experiment", EXP)
    assert temporaries(proj), "the kill should have left epoch 2's temporary"
    changed = _copy(proj, tmp_path / "changed")

    monkeypatch.chdir(proj)
    rc, err = step(capsys, "train", "--experiment", EXP)
    assert rc == 0, err
    assert not temporaries(proj)
    assert _train_json(proj)["resumed_from_epoch"] == 1
    assert step(capsys, "evaluate", "--experiment", EXP)[0] == 0
    assert _metrics(proj, EXP) == _metrics(reference, EXP)

    # The same saved state under a changed learning rate is not continued.
    monkeypatch.chdir(changed)
    raw = yaml.safe_load((changed / "params.yaml").read_text())
    recipe = raw["experiments"][EXP]["recipe"]
    raw["recipes"][recipe]["optimizer"]["lr"] *= 2
    write_params(changed, raw)
    rc, err = step(capsys, "train", "--experiment", EXP)
    assert rc == 0, err
    info = _train_json(changed)
    assert info["resumed_from_epoch"] == 0 and info["resume_note"].startswith("fresh start")
    assert not temporaries(changed)


def _drop(proj: Path, paths) -> None:
    for path in paths:
        path = proj / path
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def test_kill_during_evaluate_then_rerun(reference, tmp_path, capsys, monkeypatch):
    proj = _copy(reference, tmp_path / "proj")
    run = proj / dag.run_dir(EXP)
    evaluated = [p for p in run.rglob("*") if p.name in ("metrics.json", "per_class.csv", "confusion.csv",
                                                          "predictions.npz")]
    _drop(proj, evaluated)  # as Snakemake does before it reruns a job
    # Frozen at its first rename into the run folder: whatever evaluate writes first
    # (a file, or a seed's folder) is complete in its temporary, nothing is in place.
    _kill_during(proj, dag.run_dir(EXP), 1, "evaluate", "--experiment", EXP)
    assert temporaries(proj)

    monkeypatch.chdir(proj)
    rc, err = step(capsys, "evaluate", "--experiment", EXP)
    assert rc == 0, err
    assert not temporaries(proj) and _metrics(proj, EXP) == _metrics(reference, EXP)


@pytest.mark.parametrize("verb, target", [("figures", dag.SUMMARY_DIR), ("report", "report")])
def test_kill_during_figures_or_report_then_rerun(reference, tmp_path, capsys, monkeypatch, verb, target):
    proj = _copy(reference, tmp_path / "proj")
    want = sorted(p.relative_to(reference / target).as_posix() for p in (reference / target).rglob("*"))
    _drop(proj, [target])
    _kill_during(proj, target, 1, verb)
    assert temporaries(proj), "the kill should have left the step's temporary"

    monkeypatch.chdir(proj)
    rc, err = step(capsys, verb)
    assert rc == 0, err
    assert "removed stale temporary" in err
    assert not temporaries(proj)
    assert sorted(p.relative_to(proj / target).as_posix() for p in (proj / target).rglob("*")) == want
