"""The DAG's steps, their output paths and the params keys each one reads.

One description serves both front ends: the Snakemake rules take their outputs and
`params:` from here, `dvc.yaml` declares the same (tests/test_frontends.py proves it), and
each script records the same params in its provenance. Torch-free: Snakemake imports it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping

RAW_DIR = "data/raw"
SPLIT_DIR = "data/split"
RUNS_DIR = "results/runs"
STATE_DIR = "results/state"  # resume state: deliberately NOT a declared output
TABLES_DIR = "results/tables"
FIGURES_DIR = "results/figures"
REPORT_HTML = "report/index.html"

TRAIN_FILES = ("best.pt", "last.pt", "history.csv", "train.json", "train.prov.json")
EVAL_FILES = ("metrics.json", "per_class.csv", "confusion.csv", "predictions.npz", "evaluate.prov.json")
TABLE_FILES = ("experiments.csv", "scorecard.csv", "aggregate.prov.json")
PREVIEW_DIR = f"{FIGURES_DIR}/data"  # sample grids and augmentation previews
SUMMARY_DIR = f"{FIGURES_DIR}/summary"  # accuracy bars, curves, confusion matrices


def run_dir(experiment: str) -> str:
    return f"{RUNS_DIR}/{experiment}"


def state_dir(experiment: str) -> str:
    return f"{STATE_DIR}/{experiment}"


def train_outputs(experiment: str) -> list[str]:
    return [f"{run_dir(experiment)}/{f}" for f in TRAIN_FILES]


def eval_outputs(experiment: str) -> list[str]:
    return [f"{run_dir(experiment)}/{f}" for f in EVAL_FILES]


def table_outputs() -> list[str]:
    return [f"{TABLES_DIR}/{f}" for f in TABLE_FILES]


def param_keys(step: str, raw: Mapping[str, Any], experiment: str | None = None) -> list[str]:
    """Dotted params.yaml keys that ``step`` reads (for ``experiment`` where per-experiment)."""
    profile = f"profiles.{raw['profile']}"
    if step == "download":
        return ["profile", profile, "datasets"]
    if step == "split":
        return ["profile", profile, "split", "datasets"]
    if step == "preview":
        return ["profile", profile, "split", "datasets", "recipes", "experiments"]
    if step in ("train", "evaluate"):
        assert experiment is not None, f"{step} is a per-experiment step"
        recipe = raw["experiments"][experiment]["recipe"]
        return ["profile", profile, f"experiments.{experiment}", f"recipes.{recipe}"]
    if step in ("aggregate", "figures", "report"):
        return ["profile", "experiments"]
    raise KeyError(f"unknown step {step!r}")


def lookup(raw: Mapping[str, Any], dotted: str) -> Any:
    node: Any = raw
    for part in dotted.split("."):
        node = node[part]
    return node


def param_values(step: str, raw: Mapping[str, Any], experiment: str | None = None) -> dict[str, Any]:
    """The values behind :func:`param_keys`, keyed by the dotted key."""
    return {k: lookup(raw, k) for k in param_keys(step, raw, experiment)}


def params_hash(values: Mapping[str, Any]) -> str:
    """A short stable hash of a params subset (canonical JSON), for Snakemake's `params:`."""
    blob = json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
