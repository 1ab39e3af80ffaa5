"""The DAG's steps, their output paths and the params keys each one reads.

One description serves both front ends: the Snakemake rules take their outputs and
`params:` from here, `dvc.yaml` declares the same (tests/test_frontends.py proves it), and
each script records the same params in its provenance. Torch-free: Snakemake imports it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable, Mapping

RAW_DIR = "data/raw"
SPLIT_DIR = "data/split"
RUNS_DIR = "results/runs"
STATE_DIR = "results/state"  # resume state: deliberately NOT a declared output
ENSEMBLES_DIR = "results/ensembles"  # <name>/eval/<group>/<method>/ as evaluate's files, <name>/metrics.json
LIVE_DIR = "results/live"  # per-epoch dvclive logs while runs train: NOT a declared output
TABLES_DIR = "results/tables"
PLAN_DIR = "results/plan"  # `cifarlab plan`'s predictions (not a DAG step; aggregate reads them)
FIGURES_DIR = "results/figures"
REPORT_DIR = "report"  # the report: a self-contained folder of pages and images
REPORT_HTML = f"{REPORT_DIR}/index.html"

# A run is an (experiment, seed) pair. The train step of an experiment writes one folder,
# results/runs/<exp>/train/, with a seed_<k>/ subfolder of TRAIN_FILES per seed and its
# provenance; evaluate writes results/runs/<exp>/eval/seed_<k>/ (EVAL_FILES) and the
# seed summary results/runs/<exp>/metrics.json (the DVC metrics file).
TRAIN_FILES = ("best.pt", "last.pt", "history.csv", "train.json")
VAL_PREDICTIONS = "val_predictions.npz"  # the validation split's probabilities (ensemble weights)
EVAL_FILES = ("metrics.json", "per_class.csv", "confusion.csv", "predictions.npz", VAL_PREDICTIONS)
TRAIN_PROV = "train.prov.json"
EVAL_PROV = "evaluate.prov.json"
TABLE_FILES = ("experiments.csv", "runs.csv", "scorecard.csv", "comparisons.csv", "power.csv", "tables.json",
               "aggregate.prov.json")
PREVIEW_DIR = f"{FIGURES_DIR}/data"  # sample grids and augmentation previews
SUMMARY_DIR = f"{FIGURES_DIR}/summary"  # accuracy bars, curves, confusion matrices
EXPLAIN_DIR = f"{FIGURES_DIR}/explain"  # figures drawn from a checkpoint (Grad-CAM, feature maps)
# Experiment -> the figures its document draws from the trained model (the explain step).
EXPLAIN = {
    "efficientnet_b2": ("gradcam_pair",),  # s001: Grad-CAM on a bird and a plane -> ship error
    "resnet50_imagenet": ("feature_maps",),  # s003: first-layer feature maps
    "resnet50_se_imagenet": ("feature_maps", "gradcam"),  # s003; its readers ask for Grad-CAM
    "wrn_16_8": ("misclassified", "gradcam"),  # s004 sections 2.4-2.5 analyse WRN-16-8
}


def run_dir(experiment: str) -> str:
    return f"{RUNS_DIR}/{experiment}"


def state_dir(experiment: str, seed: int | None = None) -> str:
    """Resume state of an experiment (of one of its seeds): never a declared output."""
    base = f"{STATE_DIR}/{experiment}"
    return base if seed is None else f"{base}/seed_{seed}"


def train_dir(experiment: str) -> str:
    return f"{run_dir(experiment)}/train"


def eval_dir(experiment: str) -> str:
    return f"{run_dir(experiment)}/eval"


def seed_dir(folder: str, seed: int) -> str:
    """``train_dir(e)`` or ``eval_dir(e)`` -> the folder of one seed's files."""
    return f"{folder}/seed_{seed}"


def metrics_file(experiment: str) -> str:
    return f"{run_dir(experiment)}/metrics.json"


def train_outputs(experiment: str) -> list[str]:
    return [train_dir(experiment)]


def eval_outputs(experiment: str) -> list[str]:
    return [eval_dir(experiment), metrics_file(experiment)]


def ensemble_eval_dir(name: str) -> str:
    return f"{ENSEMBLES_DIR}/{name}/eval"


def ensemble_metrics_file(name: str) -> str:
    return f"{ENSEMBLES_DIR}/{name}/metrics.json"


def ensemble_outputs(name: str) -> list[str]:
    return [ensemble_eval_dir(name), ensemble_metrics_file(name)]


def ensemble_inputs(members: Iterable[str]) -> list[str]:
    """The members' evaluation folders (test and validation predictions)."""
    return [eval_dir(m) for m in members]


def explain_experiments(experiments: Iterable[str]) -> list[str]:
    """The configured experiments the explain step draws figures for (see EXPLAIN)."""
    return [e for e in experiments if e in EXPLAIN]


def explain_inputs(experiments: Iterable[str]) -> list[str]:
    """Checkpoints and test predictions the explain step reads (its declared inputs)."""
    return [p for e in explain_experiments(experiments) for p in (train_dir(e), eval_dir(e))]


def table_outputs() -> list[str]:
    """The aggregate step's output: one folder of every table (TABLE_FILES and the
    documents' tables, listed in tables.json)."""
    return [TABLES_DIR]


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
        entry = raw["experiments"][experiment]
        return ["profile", profile, f"studies.{entry['study']}", f"experiments.{experiment}",
                f"recipes.{entry['recipe']}"]
    if step == "explain":
        return ["profile", profile, "studies", "experiments", "recipes"]
    if step == "ensemble":
        assert experiment is not None, "ensemble is a per-ensemble step (its name)"
        return ["profile", profile, f"ensembles.{experiment}"]
    if step == "aggregate":
        return ["profile", profile, "studies", "experiments", "ensembles"]
    if step in ("figures", "report"):
        return ["profile", profile, "studies", "experiments"]
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


def unavailable_reason(cfg: Any, experiment: str) -> str | None:
    """Why an experiment's data cannot be had (a local-only dataset whose path is not
    set or missing), or None. Torch-free: Snakemake warns with it when building the DAG."""
    from pathlib import Path

    ds = cfg.experiment(experiment).dataset
    if ds.url is not None or (ds.local and Path(ds.local).exists()):
        return None
    where = "is not set" if not ds.local else f"({ds.local}) does not exist"
    return (f"datasets.{ds.name}.local {where} and {ds.name} is never downloaded; set it to a "
            f"folder with train/<class>/*.JPEG and val/<class>/*.JPEG (ImageFolder layout)")


def unavailable_experiments(cfg: Any) -> list[str]:
    return [name for name in cfg.experiments if unavailable_reason(cfg, name)]
