"""Share results through a DVC remote, on the tiny config, with the project's Makefile.

Clone A trains, `make record`s and `make push`es to a temporary local remote; clone B, a
fresh `git clone` of A, `make pull`s and has byte-identical outputs with nothing left to
do for Snakemake or DVC. A losing its cache loses nothing; a second commit at a changed
param, pushed, shows in B's `dvc metrics diff` / `dvc params diff` / `make exps`.
The tests share one module fixture and run in file order (later ones change A).
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from cifarlab import dag
from tests.share.project import (
    clone, corrupt_cache_objects, dvc_ignored, git, lock_outputs, make, md5, output_files,
    project_repo, reflink_supported, remote_listings, remote_objects, tree_size, uv_shim,
)
from tests.tiny_params import tiny_params
from tests.workflow_copy import run_tool

pytestmark = pytest.mark.slow
EXP = "cnn4"


@dataclass
class Shared:
    a: Path
    b: Path
    remote: Path
    shim: Path
    a_files: dict[str, str]
    b_files: dict[str, str]
    planted: dict[str, str]  # path in A -> md5: files that must never be shared
    facts: dict[str, float] = field(default_factory=dict)


def _plant_unshared(a: Path) -> dict[str, str]:
    """What a killed or resumed run leaves in A: resume state and an atomic_path temporary."""
    planted = {
        f"{dag.state_dir(EXP)}/state.pt": os.urandom(4096),
        f"{dag.run_dir(EXP)}/.metrics.json.1@elsewhere.0badc0de.tmp": os.urandom(2048),
    }
    for rel, blob in planted.items():
        (a / rel).parent.mkdir(parents=True, exist_ok=True)
        (a / rel).write_bytes(blob)
    return {rel: md5(a / rel) for rel in planted}


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Shared:
    root = tmp_path_factory.mktemp("share")
    remote, shim = root / "remote", uv_shim(root / "bin")
    a = project_repo(root / "a", tiny_params(root / "fmnist", experiments=(EXP,)))
    run_tool(["dvc", "remote", "add", "-d", "shared", str(remote)], a)
    git(a, "add", "-A")
    git(a, "commit", "-qm", "project with a shared remote")
    run_tool(["snakemake", "--cores", "2", "--resources", "gpu=0"], a)
    planted = _plant_unshared(a)
    make(a, "record", shim)
    git(a, "add", "-A")
    git(a, "commit", "-qm", "results v1")
    make(a, "push", shim)
    size, count = tree_size(remote)

    b = clone(a, root / "b")
    start = time.perf_counter()
    make(b, "pull", shim)
    pull_s = time.perf_counter() - start
    facts = {"remote_bytes": size, "remote_files": count, "pull_seconds": pull_s}
    print(f"\nshare: remote after one tiny run: {size} bytes in {count} files; "
          f"`make pull` in a fresh clone: {pull_s:.1f} s")
    return Shared(a, b, remote, shim, output_files(a), output_files(b), planted, facts)


def test_fresh_clone_pulls_byte_identical_results(shared):
    assert shared.b_files == shared.a_files
    assert any(f.startswith(dag.run_dir(EXP)) and f.endswith("metrics.json") for f in shared.b_files)
    assert dag.REPORT_HTML in shared.b_files
    assert any(f.startswith(dag.SPLIT_DIR) for f in shared.b_files)  # data comes along too
    assert shared.facts["remote_bytes"] > 0


def test_after_pull_neither_front_end_schedules_anything(shared):
    dry = run_tool(["snakemake", "-n", "--cores", "1"], shared.b).stdout
    assert "Nothing to be done" in dry, dry
    assert "missing provenance" not in dry, dry  # a later param change would go unnoticed
    status = run_tool(["dvc", "status"], shared.b).stdout
    assert "up to date" in status, status


def test_snakemake_still_sees_a_param_change_in_the_clone(shared):
    params = yaml.safe_load((shared.b / "params.yaml").read_text())
    params["split"]["seed"] += 1
    (shared.b / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    try:
        dry = run_tool(["snakemake", "-n", "--cores", "1"], shared.b).stdout
        assert "rule split" in dry, dry
        refused = make(shared.b, "pull", shared.shim, check=False)  # no touching over a change
        assert refused.returncode != 0 and "make pull: params or code differ" in refused.stderr
    finally:
        git(shared.b, "checkout", "-q", "params.yaml")


def test_resume_state_and_temporaries_stay_out_of_the_remote(shared):
    held = remote_objects(shared.remote)
    for rel, digest in shared.planted.items():
        assert digest not in held, rel
        assert not (shared.b / rel).exists(), rel
    # last.pt: kept back by .dvcignore where training outputs are a folder, else shared
    a_last = sorted(str(p.relative_to(shared.a)) for p in (shared.a / dag.RUNS_DIR).rglob("last.pt"))
    assert a_last
    hidden = dvc_ignored(shared.a, a_last)
    listed = remote_listings(shared.remote)
    for rel in a_last:
        if rel in hidden:  # (its bytes may still be there: as best.pt when the last epoch was best)
            assert not any(rel.endswith(f"/{entry}") for entry in listed), rel
            assert not (shared.b / rel).exists(), rel
        else:
            assert md5(shared.b / rel) == md5(shared.a / rel), rel


def test_the_training_machine_stores_outputs_once(shared):
    """After `make record`, every large output (file or inside a folder) is its cache object."""
    if reflink_supported(shared.a):
        pytest.skip("copy-on-write filesystem: DVC reflinks, which share blocks, not inodes")
    large = [f for f in shared.a_files if (shared.a / f).stat().st_size >= 64 * 1024]
    assert any("best.pt" in f for f in large), large
    cache = shared.a / ".dvc/cache/files/md5"
    copies = [f for f in large
              if not os.path.samefile(shared.a / f, cache / shared.a_files[f][:2] / shared.a_files[f][2:])]
    assert copies == [], f"stored twice (workspace and cache): {copies}"


def test_losing_the_training_cache_loses_nothing_the_remote_holds(shared):
    a = shared.a
    shutil.rmtree(a / ".dvc" / "cache")
    for out in lock_outputs(a):  # the workspace copies go too: the remote alone restores
        path = a / out
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    make(a, "pull", shared.shim)
    assert output_files(a) == shared.b_files
    assert "up to date" in run_tool(["dvc", "status"], a).stdout
    assert "Nothing to be done" in run_tool(["snakemake", "-n", "--cores", "1"], a).stdout


def test_a_second_commit_diffs_in_the_clone(shared):
    a, b = shared.a, shared.b
    params = yaml.safe_load((a / "params.yaml").read_text())
    recipe = params["experiments"][EXP]["recipe"]
    params["recipes"][recipe]["optimizer"]["lr"] *= 2
    (a / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run_tool(["snakemake", "--cores", "2", "--resources", "gpu=0"], a)  # over hardlinked outputs
    make(a, "record", shared.shim)
    assert corrupt_cache_objects(a) == []  # nothing wrote through a link into the cache
    git(a, "commit", "-qam", "results v2: doubled lr")
    make(a, "push", shared.shim)

    git(b, "pull", "-q", "--ff-only")
    make(b, "pull", shared.shim)
    metrics = run_tool(["dvc", "metrics", "diff", "HEAD~1"], b).stdout
    assert f"{dag.run_dir(EXP)}/" in metrics and "loss" in metrics, metrics
    changed = run_tool(["dvc", "params", "diff", "HEAD~1"], b).stdout
    assert f"recipes.{recipe}.optimizer.lr" in changed, changed
    table = make(b, "exps", shared.shim, COLUMNS="200").stdout  # rich fits the terminal
    assert "top1" in table and f"recipes.{recipe}.optimizer.lr" in table, table
    assert "datasets.cifar10.url" not in table and "latency" not in table, table

    fresh = clone(a, a.parent / "c")  # no pull at all: DVC reads the metrics from the remote
    metrics = run_tool(["dvc", "metrics", "diff", "HEAD~1"], fresh).stdout
    assert f"{dag.run_dir(EXP)}/" in metrics and "loss" in metrics, metrics
