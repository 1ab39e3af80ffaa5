"""Provenance records: params hashing, md5 of inputs, git state, and staying torch-free."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from cifarlab import dag
from cifarlab.provenance import (
    collect_provenance,
    git_state,
    md5_path,
    params_sha256,
    read_provenance,
    sidecar_path,
    write_provenance,
)

PARAMS = {"profile": "quick", "recipes.s000_adamw": {"batch_size": 128, "optimizer": {"lr": 0.001}}}


def test_params_hash_is_stable_and_sensitive(tmp_path):
    reordered = {"recipes.s000_adamw": {"optimizer": {"lr": 0.001}, "batch_size": 128}, "profile": "quick"}
    a = collect_provenance("train", ["python", "train.py"], PARAMS, [], repo_dir=tmp_path)
    b = collect_provenance("train", ["python", "train.py"], reordered, [], repo_dir=tmp_path)
    assert a["params_sha256"] == b["params_sha256"] == params_sha256(PARAMS)
    assert a["params_hash"] == dag.params_hash(PARAMS)  # the hash Snakemake's params: carry
    changed = {**PARAMS, "recipes.s000_adamw": {"batch_size": 128, "optimizer": {"lr": 0.002}}}
    assert params_sha256(changed) != a["params_sha256"]


def test_record_fields(tmp_path):
    f = tmp_path / "in.txt"
    f.write_text("hello")
    cmd = ["python", "workflow/scripts/train.py", "--experiment", "cnn 4"]
    rec = collect_provenance("train", cmd, PARAMS, [f], device="cpu", repo_dir=tmp_path, extra={"caption": "c"})
    assert rec["step"] == "train" and rec["command"] == cmd
    assert rec["command_line"] == "python workflow/scripts/train.py --experiment 'cnn 4'"
    assert rec["inputs"] == {str(f): "5d41402abc4b2a76b9719d911017c592"}  # md5("hello")
    assert rec["device"] == "cpu" and rec["extra"] == {"caption": "c"}
    assert rec["timestamp_utc"].endswith("Z") and rec["hostname"]
    pk = rec["packages"]
    for name in ("python", "torch", "numpy", "pandas", "scikit-learn", "matplotlib", "seaborn", "jinja2", "snakemake", "dvc"):
        assert name in pk
    assert pk["numpy"] is not None


def test_md5_of_folders(tmp_path):
    d = tmp_path / "d"
    (d / "sub").mkdir(parents=True)
    (d / "a.bin").write_bytes(b"1")
    (d / "sub" / "b.bin").write_bytes(b"2")
    first = md5_path(d)
    assert md5_path(d) == first
    (d / "sub" / "b.bin").rename(d / "sub" / "c.bin")  # same bytes, other name
    assert md5_path(d) != first
    (d / "sub" / "c.bin").rename(d / "sub" / "b.bin")
    assert md5_path(d) == first
    (d / "a.bin").write_bytes(b"3")
    assert md5_path(d) != first
    with pytest.raises(FileNotFoundError):
        md5_path(tmp_path / "nope")
    with pytest.raises(FileNotFoundError):
        collect_provenance("x", [], {}, [tmp_path / "nope"])


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_git_commit_and_dirty_flag(tmp_path):
    assert git_state(tmp_path) == {"commit": None, "dirty": None, "changed": None}  # not a repo
    env = ["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    run = lambda *a: subprocess.run(["git", *env, *a], cwd=tmp_path, check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    (tmp_path / "f.txt").write_text("1")
    run("add", "f.txt")
    run("commit", "-q", "-m", "init")
    clean = git_state(tmp_path)
    assert len(clean["commit"]) == 40 and clean["dirty"] is False
    (tmp_path / "untracked.txt").write_text("x")  # generated outputs do not make it dirty
    assert git_state(tmp_path)["dirty"] is False
    (tmp_path / "f.txt").write_text("2")
    dirty = git_state(tmp_path)
    assert dirty["dirty"] is True and dirty["changed"] == ["f.txt"] and dirty["commit"] == clean["commit"]
    rec = collect_provenance("s", ["x"], {}, [], repo_dir=tmp_path)
    assert rec["git"]["dirty"] is True


def test_write_read_roundtrip(tmp_path):
    rec = collect_provenance("figures", ["python", "figures.py"], PARAMS, [], repo_dir=tmp_path)
    path = sidecar_path(tmp_path / "figs" / "accuracy_bars.png")
    assert path.name == "accuracy_bars.prov.json"
    write_provenance(path, rec)
    assert read_provenance(path) == rec
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left behind
    with pytest.raises(FileNotFoundError):
        read_provenance(tmp_path / "missing.prov.json")
    (tmp_path / "bad.json").write_text("[1]")
    with pytest.raises(ValueError):
        read_provenance(tmp_path / "bad.json")


def test_pure_modules_do_not_import_torch():
    code = (
        "import sys, cifarlab.provenance, cifarlab.analysis, cifarlab.analysis.tables.experiments, "
        "cifarlab.analysis.figures.catalogue, cifarlab.analysis.figures.images, cifarlab.analysis.figures.sample_figures, "
        "cifarlab.analysis.runs, cifarlab.report, cifarlab.evaluate, cifarlab.analysis.tables.study_tables, "
        "cifarlab.analysis.tables.scorecard, cifarlab.analysis.tables.timing, cifarlab.analysis.stats.chance, "
        "cifarlab.analysis.stats.comparisons, cifarlab.analysis.stats.claimed, "
        "cifarlab.analysis.stats.verdicts, cifarlab.budget, cifarlab.catalogue, cifarlab.steps.aggregate, "
        "cifarlab.steps.figures, cifarlab.steps.report, cifarlab.steps.train, cifarlab.steps.evaluate; "
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
