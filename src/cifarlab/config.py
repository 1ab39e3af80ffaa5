"""params.yaml -> validated, frozen dataclasses.

Config flows once: the YAML is validated against the JSON Schema shared with Snakemake
(`workflow/schemas/params.schema.yaml`), cross-references are checked (recipe, dataset and
profile names), and the active profile's budget is applied. Every error names the key.
This module must stay torch-free: Snakemake imports it while building the DAG.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

import jsonschema
import yaml

from cifarlab.catalogue import run_recipe, run_seeds, select
from cifarlab.errors import CifarlabError
from cifarlab.names import check_param_names
from cifarlab.yamlio import load_yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO_ROOT / "workflow" / "schemas" / "params.schema.yaml"
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
    mix: Mapping[str, float] | None = None
    phases: tuple[PhaseConfig, ...] | None = None
    sync_batchnorm: bool = False  # BatchNorm statistics over all ranks when gpus > 1


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
    bn_recalibration_batches: int = 0  # see cifarlab.train.settings.TrainSettings
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

    def experiment(self, name: str) -> ExperimentConfig:
        try:
            return self.experiments[name]
        except KeyError:
            raise ConfigError(
                f"experiments.{name}: no such experiment; known: {', '.join(self.experiments)}"
            ) from None

    @property
    def active_datasets(self) -> list[str]:
        """Datasets the active profile's experiments train on, in a stable order."""
        return sorted({e.dataset.name for e in self.experiments.values()})

    def select(self, only: str | Sequence[str] | None) -> "Config":
        """This config with only the experiments ``only`` picks (see cifarlab.catalogue.select)."""
        names = select(self.experiments, {n: e.study for n, e in self.experiments.items()}, only)
        return replace(self, experiments={n: self.experiments[n] for n in names})

    def runs_in_study(self, study: str) -> int:
        """(experiment, seed) runs the active profile trains in ``study`` (budget shares)."""
        return sum(len(e.seeds) for e in self.experiments.values() if e.study == study)


def load_schema() -> dict:
    return yaml.safe_load(SCHEMA_PATH.read_text())


def _dotted(path: Any) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def validate_params(raw: Mapping[str, Any], source: str = "params.yaml") -> None:
    """Raise ConfigError naming the key for the first schema or cross-reference problem."""
    check_param_names(raw, source)  # first: a bad name is clearer than the schema's regex
    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(raw), key=lambda e: (len(e.absolute_path), str(e.path)))
    if errors:
        err = errors[0]
        raise ConfigError(f"{source}: {_dotted(err.absolute_path)}: {err.message}")
    _check_references(raw, source)


def _check_references(raw: Mapping[str, Any], source: str) -> None:
    if raw["profile"] not in raw["profiles"]:
        known = ", ".join(raw["profiles"])
        raise ConfigError(f"{source}: profile: unknown profile {raw['profile']!r}; known: {known}")
    profile = raw["profiles"][raw["profile"]]
    if profile.get("dataset") and profile["dataset"] not in raw["datasets"]:
        raise ConfigError(
            f"{source}: profiles.{raw['profile']}.dataset: unknown dataset {profile['dataset']!r}"
        )
    for name in profile.get("extra_seeds") or {}:
        if name not in raw["experiments"]:
            raise ConfigError(f"{source}: profiles.{raw['profile']}.extra_seeds.{name}: unknown experiment")
    for name, exp in raw["experiments"].items():
        base = exp.get("ablation_of")
        if base is not None and base not in raw["experiments"]:
            raise ConfigError(f"{source}: experiments.{name}.ablation_of: unknown experiment {base!r}")
        for ref, table in (("study", "studies"), ("recipe", "recipes"), ("dataset", "datasets")):
            if exp[ref] not in raw[table]:
                known = ", ".join(raw[table])
                raise ConfigError(
                    f"{source}: experiments.{name}.{ref}: unknown {ref} {exp[ref]!r}; known: {known}"
                )


def _recipe(name: str, raw: Mapping[str, Any], profile: ProfileConfig) -> RecipeConfig:
    r = copy.deepcopy(dict(raw))
    max_epochs = r["max_epochs"]
    schedule = dict(r["schedule"])
    if profile.max_epochs is not None and profile.max_epochs < max_epochs:
        # Under a budget the cosine schedule is compressed to the budget, so the short run
        # still anneals to eta_min instead of stopping at the top of the curve.
        max_epochs = profile.max_epochs
        schedule["t_max"] = None
        schedule["warmup_epochs"] = min(schedule.get("warmup_epochs", 0), max_epochs - 1)
        if r.get("phases"):
            r["phases"] = _compress_phases(r["phases"], r["max_epochs"], max_epochs)
    batch_cap = profile.budget.max_batch_size if profile.budget else None
    if batch_cap is not None:
        r["batch_size"] = min(r["batch_size"], batch_cap)
    normalize = r["normalize"]
    if isinstance(normalize, dict):
        normalize = (tuple(normalize["mean"]), tuple(normalize["std"]))
    phases = r.get("phases")
    augment = tuple(r.get("augment") or ())
    mix = r.get("mix")
    if not profile.augment:
        # Only the deterministic ops stay (normalisation keeps its place in the pipeline).
        augment = tuple(op for op in augment if op["op"] in DETERMINISTIC_OPS)
        mix = None
    return RecipeConfig(
        name=name,
        batch_size=r["batch_size"],
        eval_batch_size=r.get("eval_batch_size", 256),
        max_epochs=max_epochs,
        optimizer=OptimizerConfig(**r["optimizer"]),
        schedule=ScheduleConfig(**schedule),
        early_stopping=EarlyStoppingConfig(**r["early_stopping"]),
        normalize=normalize,
        label_smoothing=r.get("label_smoothing", 0.0),
        grad_clip=r.get("grad_clip"),
        resize=r.get("resize"),
        augment=augment,
        mix=mix,
        phases=tuple(PhaseConfig(**p) for p in phases) if phases else None,
        sync_batchnorm=r.get("sync_batchnorm", False),
    )


def _compress_phases(phases: Sequence[Mapping[str, Any]], epochs: int, cap: int) -> list[dict]:
    """Phases rescaled from ``epochs`` to ``cap`` epochs, each keeping at least one, so a
    capped two-phase run still has both phases (and the report its phase boundary)."""
    out, left = [], cap
    for i, phase in enumerate(phases):
        rest = len(phases) - i - 1
        n = left if rest == 0 else max(1, min(left - rest, round(phase["epochs"] * cap / epochs)))
        out.append({**phase, "epochs": n})
        left -= n
    return out


def _experiment(name: str, e: Mapping[str, Any], raw: Mapping[str, Any], profile: ProfileConfig,
                datasets: Mapping[str, DatasetConfig]) -> ExperimentConfig:
    """One catalogue entry with the profile applied: its dataset, recipe (with this run's
    overrides) and seeds."""
    seeds = run_seeds(name, raw["studies"][e["study"]]["seeds"], raw["profiles"][profile.name])
    return ExperimentConfig(
        name=name,
        study=e["study"],
        model=e["model"],
        model_args=dict(e.get("model_args") or {}),
        dataset=datasets[profile.dataset or e["dataset"]],
        declared_dataset=e["dataset"],
        recipe=_recipe(e["recipe"], run_recipe(raw["recipes"][e["recipe"]], e), profile),
        seed=seeds[0],
        seeds=seeds,
        description=e.get("description", ""),
        ablation_of=e.get("ablation_of"),
        gpus=e.get("gpus", 1),
    )


def build_config(raw: Mapping[str, Any], source: str = "params.yaml") -> Config:
    """Validate ``raw`` and turn it into a :class:`Config` with the profile applied."""
    validate_params(raw, source)
    pname = raw["profile"]
    praw = dict(raw["profiles"][pname])
    budget = praw.pop("budget", None)
    profile = ProfileConfig(name=pname, **praw, budget=BudgetConfig(**budget) if budget else None)
    datasets = {
        n: DatasetConfig(
            name=n,
            kind=d["kind"],
            url=d.get("url"),
            md5=d.get("md5"),
            files=d.get("files"),
            local=d.get("local"),
            mean=tuple(d.get("mean", (0.5, 0.5, 0.5))),
            std=tuple(d.get("std", (0.25, 0.25, 0.25))),
            image_size=d.get("image_size"),
        )
        for n, d in raw["datasets"].items()
    }
    recipes = {n: _recipe(n, r, profile) for n, r in raw["recipes"].items()}
    experiments = {n: _experiment(n, e, raw, profile, datasets) for n, e in raw["experiments"].items()}
    studies = {n: StudyConfig(name=n, seeds=tuple(s["seeds"]), title=s.get("title", ""),
                              document=s.get("document", "")) for n, s in raw["studies"].items()}
    return Config(
        profile=profile,
        split=SplitConfig(**raw["split"]),
        datasets=datasets,
        recipes=recipes,
        experiments=experiments,
        raw=raw,
        studies=studies,
        slurm={rule: SlurmResources(**v) for rule, v in (raw.get("slurm") or {}).items()},
    )


def load_config(path: str | Path = "params.yaml", profile: str | None = None) -> Config:
    """Read, validate and build the config; ``profile`` overrides the file's ``profile``."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: parameter file not found")
    try:
        raw = load_yaml(path)  # refuses duplicate keys, naming key and line
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    if profile is not None:
        raw["profile"] = profile
    return build_config(raw, str(path))


def write_model_enum(schema_path: Path = SCHEMA_PATH) -> list[str]:
    """Rewrite the schema's model-name enum from the registry (imports torch: not for DAG time)."""
    from cifarlab.models import list_models

    names = list_models()
    text = schema_path.read_text()
    begin, end = "# BEGIN MODEL NAMES\n", "    # END MODEL NAMES"
    head, rest = text.split(begin)
    _, tail = rest.split(end)
    body = "    enum: [" + ", ".join(names) + "]\n"
    schema_path.write_text(head + begin + body + end + tail)
    return names


def schema_model_names() -> list[str]:
    return list(load_schema()["$defs"]["model_name"]["enum"])


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--write-model-enum"]:
        print(f"{SCHEMA_PATH}: {len(write_model_enum())} model names")
    else:
        sys.exit("usage: python -m cifarlab.config --write-model-enum")


def explicit_augment_ops(cfg: Config, recipe: str, dataset: str) -> list[dict[str, Any]]:
    """A recipe's augmentation as written in params.yaml, normalisation statistics spelled
    out, for tools that build a pipeline outside a run (benchmarks, tests)."""
    ops = [dict(op) for op in cfg.raw["recipes"][recipe].get("augment") or ()]
    probe = ExperimentConfig("probe", "s000", "probe", {}, cfg.datasets[dataset], dataset,
                             cfg.recipes[recipe])
    mean, std = probe.normalize_stats
    return [{"op": "normalize", "mean": list(mean), "std": list(std)} if op["op"] == "normalize" else op
            for op in ops]
