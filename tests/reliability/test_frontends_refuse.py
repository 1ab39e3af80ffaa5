"""Duplicate keys and bad names: the CLI, `snakemake -n` and `dvc repro` each refuse them
in one line naming the key (and line), with no traceback and nothing written."""

from __future__ import annotations

import copy

import pytest
import yaml

from cifarlab.errors import DuplicateKeyError
from cifarlab.yamlio import check_no_duplicates, load_yaml
from tests.reliability.helpers import snapshot, step
from tests.workflow_copy import REPO, copy_workflow, run_tool

DUPLICATE = """\
profile: quick
experiments:
  cnn4: {study: s000, model: cnn4}
  simple_cnn: {study: s001}
  cnn4: {study: s000, model: resnet_20}
"""


def test_duplicate_key_names_key_and_both_lines(tmp_path):
    with pytest.raises(DuplicateKeyError, match=r"^x\.yaml:5: duplicate key experiments\.cnn4 \(first at line 3\)$"):
        check_no_duplicates(DUPLICATE, "x.yaml")
    nested = "a:\n  - b: 1\n    c: 2\n    b: 3\n"
    with pytest.raises(DuplicateKeyError, match=r":4: duplicate key a\.0\.b \(first at line 2\)"):
        check_no_duplicates(nested)
    path = tmp_path / "ok.yaml"
    path.write_text("a: {b: 1, c: 2}\nd: [1, 1]\n")
    assert load_yaml(path) == {"a": {"b": 1, "c": 2}, "d": [1, 1]}


def _duplicated(text: str) -> str:
    """params.yaml text with experiment ``cnn4`` written a second time, differently."""
    anchor = "\nexperiments:\n"
    assert anchor in text
    extra = "  cnn4: {study: s000, model: cnn4, dataset: cifar10, recipe: s001_simple}\n"
    return text.replace(anchor, anchor + extra, 1)


def test_cli_refuses_a_duplicate_experiment(project, capsys):
    text = _duplicated((project / "params.yaml").read_text())
    (project / "params.yaml").write_text(text)
    line = text.splitlines().index("  cnn4: {study: s000, model: cnn4, dataset: cifar10, recipe: s001_simple}") + 1
    before = snapshot(project)

    rc, err = step(capsys, "train", "--experiment", "cnn4")

    assert rc == 2 and err.count("\n") == 1
    assert "duplicate key experiments.cnn4" in err and f"line {line})" in err
    assert snapshot(project) == before


@pytest.fixture(scope="module")
def workflow(tmp_path_factory):
    """A scratch copy of the workflow (Snakefile, dvc.yaml, src) with `dvc init` done."""
    dest = copy_workflow(tmp_path_factory.mktemp("frontends") / "wf")
    run_tool(["dvc", "init", "--no-scm", "-q"], dest)
    return dest


def _with_params(workflow, text: str):
    (workflow / "params.yaml").write_text(text)
    return snapshot(workflow)


def _repo_params() -> dict:
    return yaml.safe_load((REPO / "params.yaml").read_text())


def _renamed(new: str) -> str:
    raw = copy.deepcopy(_repo_params())
    raw["experiments"][new] = raw["experiments"].pop("cnn4")
    return yaml.safe_dump(raw, sort_keys=False)


def _one_line_refusal(done, *needles: str) -> None:
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    assert "Traceback" not in out and "KeyError" not in out, out
    for needle in needles:
        assert needle in out, out


@pytest.mark.parametrize("bad", ["cnn4.v2", ".."])
def test_snakemake_refuses_bad_experiment_names(workflow, bad):
    before = _with_params(workflow, _renamed(bad))
    done = run_tool(["snakemake", "-n", "--cores", "1"], workflow, check=False, timeout=300)
    _one_line_refusal(done, f"experiments: invalid name {bad!r}")
    assert done.returncode == 2 and (done.stdout + done.stderr).strip().count("\n") == 0
    assert snapshot(workflow) == before


def test_snakemake_refuses_a_duplicate_key(workflow):
    text = _duplicated((REPO / "params.yaml").read_text())
    before = _with_params(workflow, text)
    done = run_tool(["snakemake", "-n", "--cores", "1"], workflow, check=False, timeout=300)
    _one_line_refusal(done, "duplicate key experiments.cnn4")
    assert done.returncode == 2 and snapshot(workflow) == before


def test_dvc_refuses_a_bad_name_at_its_first_stage(workflow):
    """DVC itself accepts 'cnn4.v2' as a foreach key; the first stage's script refuses it
    (one line of ours, DVC's own line), and no stage leaves anything behind."""
    _with_params(workflow, _renamed("cnn4.v2"))
    done = run_tool(["dvc", "repro"], workflow, check=False, timeout=300)
    _one_line_refusal(done, "experiments: invalid name 'cnn4.v2'", "exited with 2")
    assert not (workflow / "data").exists() and not (workflow / "results").exists()


def test_dvc_refuses_a_duplicate_key(workflow):
    text = _duplicated((REPO / "params.yaml").read_text())
    _with_params(workflow, text)
    done = run_tool(["dvc", "repro"], workflow, check=False, timeout=300)
    _one_line_refusal(done, 'duplicate key "cnn4"')
    assert not (workflow / "data").exists()
