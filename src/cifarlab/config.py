"""params.yaml -> validated, frozen dataclasses.

Config flows once: the YAML is validated against the JSON Schema shared with Snakemake
(`workflow/schemas/params.schema.yaml`), cross-references are checked (recipe, dataset and
profile names), and the active profile's budget is applied. Every error names the key.
This module must stay torch-free: Snakemake imports it while building the DAG.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import jsonschema
import yaml

from cifarlab.catalogue import run_recipe, run_seeds
from cifarlab.config_types import (  # noqa: F401  (re-exported: steps import them from here)
    IMAGENET_STATS,
    DETERMINISTIC_OPS,
    ConfigError,
    DatasetConfig,
    OptimizerConfig,
    ScheduleConfig,
    EarlyStoppingConfig,
    PhaseConfig,
    LossConfig,
    RecipeConfig,
    StudyConfig,
    BudgetConfig,
    ProfileConfig,
    SplitConfig,
    ExperimentConfig,
    SlurmResources,
    EnsembleConfig,
    Config,
)
from cifarlab.names import check_param_names
from cifarlab.yamlio import load_yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO_ROOT / "workflow" / "schemas" / "params.schema.yaml"


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
    _check_ensembles(raw, source)


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


def _check_ensembles(raw: Mapping[str, Any], source: str) -> None:
    for name, ens in raw["ensembles"].items():
        key = f"{source}: ensembles.{name}"
        unknown = [m for m in ens["members"] if m not in raw["experiments"]]
        if unknown:
            raise ConfigError(f"{key}.members: unknown experiment(s) {', '.join(unknown)}")
        over, n = ens.get("over", "members"), len(ens["members"])
        if (over == "seeds") != (n == 1):
            want = "exactly one member" if over == "seeds" else "two or more members (one member: over: seeds)"
            raise ConfigError(f"{key}.members: over: {over} needs {want}, got {n}")
        datasets = {raw["experiments"][m]["dataset"] for m in ens["members"]}
        if len(datasets) > 1:
            raise ConfigError(f"{key}.members: members train on different datasets ({', '.join(sorted(datasets))})")


def _recipe(name: str, raw: Mapping[str, Any], profile: ProfileConfig, epoch_cap: int | None = None,
            own_mix: bool = False) -> RecipeConfig:
    r = copy.deepcopy(dict(raw))
    max_epochs = r["max_epochs"]
    schedule = dict(r["schedule"])
    epoch_cap = profile.max_epochs if epoch_cap is None else epoch_cap
    if epoch_cap is not None and epoch_cap < max_epochs:
        # Under a budget the cosine schedule is compressed to the budget, so the short run
        # still anneals to eta_min instead of stopping at the top of the curve.
        max_epochs = epoch_cap
        schedule["t_max"] = None
        schedule["warmup_epochs"] = min(schedule.get("warmup_epochs", 0), max_epochs - 1)
        if r.get("phases"):
            r["phases"] = _compress_phases(r["phases"], r["max_epochs"], max_epochs)
    declared_batch = r["batch_size"]
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
        # A mix the experiment declares as its own change (a MixUp/CutMix next step) stays:
        # without it the run would be its base again.
        mix = mix if own_mix else None
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
        loss=_loss(r.get("loss")),
        phases=tuple(PhaseConfig(**p) for p in phases) if phases else None,
        sync_batchnorm=r.get("sync_batchnorm", False),
        declared_batch_size=declared_batch,
        micro_batch=_micro_batch(name, r, declared_batch),
    )


def _loss(raw: Mapping[str, Any] | None) -> LossConfig:
    raw = dict(raw or {})
    weights = raw.get("class_weights")
    return LossConfig(name=raw.get("name", "cross_entropy"), gamma=raw.get("gamma", 0.0),
                      class_weights=tuple(float(w) for w in weights) if weights is not None else None)


def _micro_batch(name: str, r: Mapping[str, Any], declared_batch: int) -> int | None:
    """The recipe's micro-batch, checked against its declared batch (which it must divide
    when smaller). A batch no larger than it is one pass; a profile's smaller batch keeps
    it as a cap (fit() splits into passes of at most that many)."""
    micro = r.get("micro_batch")
    if micro is not None and micro < declared_batch and declared_batch % micro:
        raise ConfigError(f"recipes.{name}.micro_batch: {micro} does not divide batch_size "
                          f"{declared_batch}; gradients accumulate over whole micro-batches")
    return micro


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
    recipe = run_recipe(raw["recipes"][e["recipe"]], e)
    return ExperimentConfig(
        name=name,
        study=e["study"],
        model=e["model"],
        model_args=dict(e.get("model_args") or {}),
        dataset=datasets[profile.dataset or e["dataset"]],
        declared_dataset=e["dataset"],
        recipe=_recipe(e["recipe"], recipe, profile, epoch_cap=_epoch_cap(e, recipe["max_epochs"], raw, profile),
                       own_mix=bool((e.get("overrides") or {}).get("mix"))),
        seed=seeds[0],
        seeds=seeds,
        description=e.get("description", ""),
        ablation_of=e.get("ablation_of"),
        next_step=e.get("next_step", False),
        gpus=e.get("gpus", 1),
    )


def _epoch_cap(e: Mapping[str, Any], own: int, raw: Mapping[str, Any], profile: ProfileConfig) -> int | None:
    """The profile's epoch cap for one run that declares ``own`` epochs. An ablation that
    declares other epochs than its base (the DLA-34 grid's 20/50/100) is capped in
    proportion to the base, so under a 5-epoch cap the grid trains 1/3/5 epochs instead of
    three equal 5-epoch runs."""
    cap, base_name = profile.max_epochs, e.get("ablation_of")
    if cap is None or not base_name:
        return cap
    base_entry = raw["experiments"][base_name]
    base = run_recipe(raw["recipes"][base_entry["recipe"]], base_entry)["max_epochs"]
    if own == base or base <= cap:
        return cap
    return max(1, min(cap, math.ceil(own * cap / base)))


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
        catalogue=experiments,
        raw=raw,
        studies=studies,
        slurm={rule: SlurmResources(**v) for rule, v in (raw.get("slurm") or {}).items()},
        ensembles={n: EnsembleConfig(name=n, study=e["study"], members=tuple(e["members"]),
                                     over=e.get("over", "members"), description=e.get("description", ""))
                   for n, e in raw["ensembles"].items()},
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
