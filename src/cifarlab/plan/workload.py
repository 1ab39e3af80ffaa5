"""What one experiment's run consists of, and the planner's arithmetic (torch-free).

A run of one seed is ``epochs`` passes of ``train_batches`` training steps plus a
validation pass of ``val_batches`` evaluation steps each (fit() validates every epoch),
then one evaluation pass over the test set (the evaluate step). The image counts come
from the dataset's official sizes, the split's validation fraction (cut exactly as
``cifarlab.data.split.split_indices`` does) and the profile's subsets.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

from cifarlab.config import Config, ExperimentConfig
from cifarlab.errors import CifarlabError


class PlanError(CifarlabError):
    """A selection or device the planner cannot measure; the message names the key."""


@dataclass(frozen=True)
class DatasetFacts:
    """The official sizes of a dataset and how it is stored after the split step."""

    train: int  # official training images, before the validation cut
    test: int
    num_classes: int
    image_size: int | None  # stored side in pixels; None: stored at the recipe's input size


# Official sizes by dataset name or kind. The split pads Fashion-MNIST's 28 px to 32;
# ImageNet-100 (s003, an ImageFolder) is the usual 100-class subset: 1,300 images per
# class less the missing ones, and its 50 validation images per class as the test set.
KNOWN_DATASETS: Mapping[str, DatasetFacts] = {
    "cifar10": DatasetFacts(50_000, 10_000, 10, 32),
    "cifar100": DatasetFacts(50_000, 10_000, 100, 32),
    "fashion_mnist": DatasetFacts(60_000, 10_000, 10, 32),
    "imagenet100": DatasetFacts(126_689, 5_000, 100, None),
}


def dataset_facts(name: str, kind: str, meta: Mapping[str, Any] | None = None,
                  image_size: int | None = None) -> DatasetFacts:
    """The facts of dataset ``name``: from its split's meta.json when there is one, else
    the known sizes of its name or kind (``image_size``: the size the split stores)."""
    if meta is not None:
        sizes = meta["official_sizes"]
        return DatasetFacts(int(sizes["train"]), int(sizes["test"]), int(meta["num_classes"]),
                            int(meta["image_size"]))
    facts = KNOWN_DATASETS.get(name) or KNOWN_DATASETS.get(kind)
    if facts is None:
        raise PlanError(f"datasets.{name}.kind: no known sizes for {kind!r} and no split "
                        f"meta.json; known: {', '.join(KNOWN_DATASETS)}")
    return dataclasses.replace(facts, image_size=image_size) if image_size else facts


@dataclass(frozen=True)
class Workload:
    """One experiment under one profile, before any timing."""

    experiment: str
    study: str
    model: str
    dataset: str
    batch_size: int
    eval_batch_size: int
    input_size: int  # side in pixels the model sees (the recipe's resize, else stored)
    image_size: int  # side in pixels of the stored uint8 images
    num_classes: int
    train_images: int
    val_images: int
    test_images: int
    epochs: int  # planned epochs per seed (early stopping may end a run sooner)
    seeds: tuple[int, ...]
    gpus: int = 1  # devices one training job takes (DDP when > 1)
    train_batches_cap: int | None = None  # a profile budget's batches per epoch, if any

    @property
    def train_batches(self) -> int:
        full = self.train_images // self.batch_size  # the training loader drops the last batch
        return full if self.train_batches_cap is None else min(full, self.train_batches_cap)

    @property
    def val_batches(self) -> int:
        return math.ceil(self.val_images / self.eval_batch_size)

    @property
    def test_batches(self) -> int:
        return math.ceil(self.test_images / self.eval_batch_size)


def _cap(n: int, subset: int | None) -> int:
    return n if subset is None else min(n, subset)


def split_sizes(facts: DatasetFacts, val_fraction: float, train_subset: int | None = None,
                val_subset: int | None = None, test_subset: int | None = None) -> tuple[int, int, int]:
    """(train, val, test) images: the validation cut of ``split_indices``, then the subsets."""
    n_val = int(round(facts.train * val_fraction))
    return (_cap(facts.train - n_val, train_subset), _cap(n_val, val_subset),
            _cap(facts.test, test_subset))


def experiment_seeds(exp: ExperimentConfig) -> tuple[int, ...]:
    """The seeds an experiment trains (``seeds`` where the config has them, else its seed)."""
    return tuple(getattr(exp, "seeds", None) or (exp.seed,))


def build_workload(cfg: Config, exp: ExperimentConfig, epochs: int,
                   meta: Mapping[str, Any] | None = None) -> Workload:
    """The workload of ``exp`` under ``cfg``'s profile; ``epochs`` from the phase plan."""
    facts = dataset_facts(exp.dataset.name, exp.dataset.kind, meta,
                          getattr(exp.dataset, "image_size", None))
    p, r = cfg.profile, exp.recipe
    train, val, test = split_sizes(facts, cfg.split.val_fraction, p.train_subset,
                                   p.val_subset, p.test_subset)
    stored = facts.image_size or r.resize or 32
    w = Workload(exp.name, exp.study, exp.model, exp.dataset.name, r.batch_size,
                 r.eval_batch_size, r.resize or stored, stored, facts.num_classes, train, val,
                 test, int(epochs), experiment_seeds(exp), int(getattr(exp, "gpus", 1) or 1))
    if w.train_batches == 0:
        raise PlanError(f"experiments.{exp.name}: {train} training images make no batch of "
                        f"{r.batch_size} (recipes.{r.name}.batch_size)")
    return w


@dataclass(frozen=True)
class StepTiming:
    """Measured seconds per step on the planning device, and the peak memory."""

    train_step_s: float  # one training batch: data path, forward, backward, optimizer step
    eval_step_s: float  # one evaluation batch: data path and forward
    peak_memory_mb: float | None  # predicted for the whole run (see measure.py)
    peak_memory_source: str
    device: str
    precision: str
    channels_last: bool
    data_source: str  # "split" (the real stored images) or "synthetic"
    measure_seconds: float  # how long measuring took
    timed_batch: int = 0  # images per timed training step; < batch_size: scaled per image


PLAN_COLUMNS = (
    "experiment", "study", "model", "dataset", "profile", "device", "precision",
    "channels_last", "batch_size", "eval_batch_size", "input_size", "train_images",
    "train_batches", "val_images", "test_images", "train_step_s", "eval_step_s", "images_per_s",
    "s_per_epoch", "epochs", "seeds", "gpus", "train_s_per_seed", "predicted_s_per_seed",
    "predicted_seconds", "predicted_gpu_hours", "peak_memory_mb", "peak_memory_source",
    "data_source", "measure_seconds", "timed_batch",
)


def predict(w: Workload, t: StepTiming, profile: str) -> dict[str, Any]:
    """One plan row (PLAN_COLUMNS): seconds per epoch, per seed and for all seeds.

    ``train_s_per_seed`` is what fit() reports as ``train_seconds`` (epochs of training
    and validation); ``predicted_s_per_seed`` adds the test pass of the evaluate step.
    ``predicted_gpu_hours`` is device-hours (CPU-hours on a CPU profile).
    """
    s_per_epoch = w.train_batches * t.train_step_s + w.val_batches * t.eval_step_s
    train_s = w.epochs * s_per_epoch
    per_seed = train_s + w.test_batches * t.eval_step_s
    total = per_seed * len(w.seeds)
    timing = asdict(t)
    row = {
        **{k: v for k, v in asdict(w).items() if k in PLAN_COLUMNS and k != "seeds"},
        **{k: v for k, v in timing.items() if k in PLAN_COLUMNS},
        "profile": profile, "seeds": len(w.seeds), "train_batches": w.train_batches,
        "images_per_s": w.batch_size / t.train_step_s,
        "s_per_epoch": s_per_epoch, "train_s_per_seed": train_s,
        "predicted_s_per_seed": per_seed, "predicted_seconds": total,
        "predicted_gpu_hours": total / 3600.0,
    }
    return {k: row[k] for k in PLAN_COLUMNS}


def workflow_jobs(rows: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """The jobs as the workflow runs them: name -> seconds on one device.

    One training job per experiment trains all its seeds (then evaluate runs them), so an
    experiment is one job of ``predicted_seconds``. A DDP experiment on ``gpus`` = k
    devices becomes k parallel parts of 1/k of it each: ideal scaling, so its wall time
    is a lower estimate while its device-hours stay those measured on one device.
    """
    jobs = {}
    for r in rows:
        k = max(1, int(r.get("gpus", 1)))
        names = [r["experiment"]] if k == 1 else [f"{r['experiment']}/gpu_{i}" for i in range(k)]
        jobs.update({n: float(r["predicted_seconds"]) / k for n in names})
    return jobs
