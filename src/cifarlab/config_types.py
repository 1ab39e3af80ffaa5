"""The frozen dataclasses params.yaml becomes (torch-free; built by cifarlab.config).

Every step receives one ``Config``: the active profile already applied to each
experiment's dataset and recipe, so no step re-reads YAML or re-derives a setting.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

from cifarlab.catalogue import select
from cifarlab.errors import CifarlabError

IMAGENET_STATS = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


DETERMINISTIC_OPS = ("normalize", "resize")


class ConfigError(CifarlabError, ValueError):
    """A params.yaml problem; the message names the file and the offending key."""


@dataclass(frozen=True)
class DatasetConfig:
    name: str
    kind: str
    url: str | None  # None: never downloaded (an imagefolder given by `local`)
    md5: str | None
    files: Mapping[str, Mapping[str, str]] | None
    local: str | None
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    image_size: int | None = None  # imagefolder: square size images are resized to at split


@dataclass(frozen=True)
class OptimizerConfig:
    name: str
    lr: float
    weight_decay: float = 0.0
    momentum: float = 0.9
    nesterov: bool = False


@dataclass(frozen=True)
class ScheduleConfig:
    name: str
    t_max: int | None = None  # epochs; None = the run's max_epochs
    warmup_epochs: int = 0
    eta_min: float = 0.0


@dataclass(frozen=True)
class EarlyStoppingConfig:
    monitor: str
    mode: str
    patience: int | None  # None = off
    min_delta: float = 0.0


@dataclass(frozen=True)
class PhaseConfig:
    name: str
    epochs: int
    trainable: str  # "head" | "all"
    lr: float
    schedule: str = "cosine"


@dataclass(frozen=True)
class LossConfig:
    """The training criterion (cifarlab.train.losses); label smoothing is the recipe's own key."""

    name: str = "cross_entropy"  # "cross_entropy" | "focal"
    gamma: float = 0.0  # focal only
    class_weights: tuple[float, ...] | None = None  # one per class, in class-index order


@dataclass(frozen=True)
class RecipeConfig:
    name: str
    batch_size: int
    max_epochs: int
    optimizer: OptimizerConfig
    schedule: ScheduleConfig
    early_stopping: EarlyStoppingConfig
    normalize: str | tuple[tuple[float, ...], tuple[float, ...]]
    eval_batch_size: int = 256
    label_smoothing: float = 0.0
    grad_clip: float | None = None
    resize: int | None = None
    augment: tuple[Mapping[str, Any], ...] = ()
    mix: Mapping[str, float] | None = None  # {mixup_alpha, cutmix_alpha, p}
    loss: LossConfig = field(default_factory=LossConfig)
    phases: tuple[PhaseConfig, ...] | None = None
    sync_batchnorm: bool = False  # BatchNorm statistics over all ranks when gpus > 1
    # Images per forward pass (what BatchNorm sees); gradients accumulate up to batch_size.
    micro_batch: int | None = None
    declared_batch_size: int | None = None  # params.yaml's, before a profile's cap (lr scaling)


@dataclass(frozen=True)
class StudyConfig:
    name: str
    seeds: tuple[int, ...]
    title: str = ""
    document: str = ""


@dataclass(frozen=True)
class BudgetConfig:
    """A profile's cost-aware cap on each run's compute (see cifarlab.budget)."""

    study_seconds: float  # training and evaluation per study (cost-table seconds), split over its runs
    eval_share: float = 0.15
    min_train_images: int = 1024
    min_eval_images: int = 256
    max_gflop_per_image: float | None = None
    min_input_px: int = 16
    max_input_px: int | None = None
    max_batch_size: int | None = None
    latency_batch: int | None = None
    fallback_gflops_per_second: float = 40.0  # prices a model missing from models/cpu_cost.json
    min_steps_per_epoch: int = 0  # a cut run takes smaller batches to make this many steps
    min_batch_size: int = 16
    lr_scaling: str = "none"  # "sqrt" | "linear" | "none": lr vs. the batch the budget leaves


@dataclass(frozen=True)
class ProfileConfig:
    name: str
    device: str
    dataset: str | None = None
    train_subset: int | None = None
    val_subset: int | None = None
    test_subset: int | None = None
    max_epochs: int | None = None
    amp: bool = False
    channels_last: bool = False
    progress: bool = True
    latency_repeats: int = 20
    augment: bool = True  # False: train without the recipes' random augmentation
    description: str = ""
    seeds: int | None = None  # the first n of each study's seeds; None = all
    extra_seeds: Mapping[str, int] = field(default_factory=dict)
    pretrained_missing: str = "error"  # "error" | "random" (random init, marked in the report)
    random_init_phases: str = "keep"  # "keep" | "merge" (cifarlab.steps.train.merged_phases)
    bn_recalibration_batches: int = 0  # see cifarlab.train.settings.TrainSettings
    # A rehearsal's cut: training batches per epoch, evaluation batches per validation pass
    # and for the test set, at the recipe's own batch sizes (None = the whole split).
    train_batches: int | None = None
    eval_batches: int | None = None
    budget: BudgetConfig | None = None


@dataclass(frozen=True)
class SplitConfig:
    val_fraction: float
    seed: int


@dataclass(frozen=True)
class ExperimentConfig:
    """One trained model, with the profile already applied to its dataset and recipe."""

    name: str
    study: str
    model: str
    model_args: Mapping[str, Any]
    dataset: DatasetConfig  # effective dataset (the profile may substitute one)
    declared_dataset: str  # the dataset the study itself used
    recipe: RecipeConfig  # effective recipe (the profile may cap epochs)
    seed: int = 0  # the first of ``seeds``
    description: str = ""
    seeds: tuple[int, ...] = (0,)  # every seed this profile trains the experiment with
    ablation_of: str | None = None
    next_step: bool = False  # a run the document proposed but never made (kept apart in the report)
    gpus: int = 1  # > 1: one DDP process per GPU under torchrun

    @property
    def normalize_stats(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        spec = self.recipe.normalize
        if spec == "dataset":
            return self.dataset.mean, self.dataset.std
        if spec == "imagenet":
            return IMAGENET_STATS
        return spec  # type: ignore[return-value]


@dataclass(frozen=True)
class EnsembleConfig:
    """Trained experiments whose saved predictions the ensemble step combines."""

    name: str
    study: str
    members: tuple[str, ...]
    over: str = "members"  # "members": seed k of every member; "seeds": every seed of one member
    description: str = ""


@dataclass(frozen=True)
class SlurmResources:
    """What a rule's SLURM job asks for (``params.yaml: slurm.<rule>``)."""

    cpus: int
    mem_mb: int
    runtime: int  # minutes

    def resources(self) -> dict[str, int]:
        """As snakemake-executor-plugin-slurm's resource names."""
        return {"cpus_per_task": self.cpus, "mem_mb": self.mem_mb, "runtime": self.runtime}


@dataclass(frozen=True)
class Config:
    profile: ProfileConfig
    split: SplitConfig
    datasets: Mapping[str, DatasetConfig]
    recipes: Mapping[str, RecipeConfig]
    experiments: Mapping[str, ExperimentConfig]
    raw: Mapping[str, Any] = field(repr=False)
    studies: Mapping[str, StudyConfig] = field(default_factory=dict)  # the validated mapping, for params hashing
    slurm: Mapping[str, "SlurmResources"] = field(default_factory=dict)  # by rule name
    # Every experiment of params.yaml, whatever ``select`` kept: budgets and ablation bases
    # are the catalogue's, so a subset trains exactly as the whole catalogue would.
    catalogue: Mapping[str, ExperimentConfig] = field(default_factory=dict, repr=False)
    ensembles: Mapping[str, EnsembleConfig] = field(default_factory=dict)  # those whose members are selected

    def ensemble(self, name: str) -> EnsembleConfig:
        try:
            return self.ensembles[name]
        except KeyError:
            known = ", ".join(self.ensembles) or "none in this selection"
            raise ConfigError(f"ensembles.{name}: no such ensemble; known: {known}") from None

    def experiment(self, name: str) -> ExperimentConfig:
        try:
            return self.experiments[name]
        except KeyError:
            raise ConfigError(
                f"experiments.{name}: no such experiment; known: {', '.join(self.experiments)}"
            ) from None

    def declared(self, name: str) -> ExperimentConfig:
        """A catalogue experiment, selected or not (an ablation's base)."""
        return self.catalogue[name] if name in self.catalogue else self.experiment(name)

    @property
    def active_datasets(self) -> list[str]:
        """Datasets the active profile's experiments train on, in a stable order."""
        return sorted({e.dataset.name for e in self.experiments.values()})

    def select(self, only: str | Sequence[str] | None) -> "Config":
        """This config with only the experiments ``only`` picks (see cifarlab.catalogue.select)."""
        names = select(self.experiments, {n: e.study for n, e in self.experiments.items()}, only)
        kept = {n: e for n, e in self.ensembles.items() if set(e.members) <= set(names)}
        return replace(self, experiments={n: self.experiments[n] for n in names}, ensembles=kept)

    def runs_in_study(self, study: str) -> int:
        """(experiment, seed) runs the active profile trains in ``study`` (budget shares)."""
        return sum(len(e.seeds) for e in (self.catalogue or self.experiments).values() if e.study == study)
