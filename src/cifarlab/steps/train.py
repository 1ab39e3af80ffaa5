"""train: fit one experiment's model on its dataset's split, resumable after a kill."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from typing import Sequence

from cifarlab import dag, phases, threads
from cifarlab.config import Config, ConfigError, ExperimentConfig, ProfileConfig
from cifarlab.io import atomic_path, write_json
from cifarlab.steps._common import read_meta, record, split_dir


def train_settings(exp: ExperimentConfig, profile: ProfileConfig):
    """Recipe + profile -> the plain TrainSettings that fit() takes."""
    from cifarlab.train import Phase, TrainSettings

    r = exp.recipe
    return TrainSettings(
        optimizer=r.optimizer.name,
        lr=r.optimizer.lr,
        weight_decay=r.optimizer.weight_decay,
        momentum=r.optimizer.momentum,
        nesterov=r.optimizer.nesterov,
        schedule=r.schedule.name,
        warmup_epochs=r.schedule.warmup_epochs,
        t_max=r.schedule.t_max,
        eta_min=r.schedule.eta_min,
        max_epochs=r.max_epochs,
        label_smoothing=r.label_smoothing,
        loss=r.loss.name,
        focal_gamma=r.loss.gamma,
        class_weights=r.loss.class_weights,
        monitor=r.early_stopping.monitor,
        mode=r.early_stopping.mode,
        patience=r.early_stopping.patience,
        min_delta=r.early_stopping.min_delta,
        amp=profile.amp,
        channels_last=profile.channels_last,
        seed=exp.seed,
        grad_clip=r.grad_clip,
        bn_recalibration_batches=profile.bn_recalibration_batches,
        micro_batch=r.micro_batch,
        phases=tuple(Phase(p.name, p.epochs, p.trainable, p.lr, p.schedule) for p in r.phases or ()),
    )


def check_class_weights(exp: ExperimentConfig, num_classes: int) -> None:
    """A recipe's loss.class_weights must give one weight per class of the data it trains on."""
    weights = exp.recipe.loss.class_weights
    if weights is not None and len(weights) != num_classes:
        raise ConfigError(f"experiments.{exp.name}: recipe loss.class_weights has {len(weights)} "
                          f"weights, {exp.dataset.name} has {num_classes} classes")


def scaled_lr(settings, factor: float):
    """``settings`` with every learning rate (the run's and each phase's) times ``factor``."""
    import dataclasses

    if factor == 1.0:
        return settings
    phases = tuple(dataclasses.replace(p, lr=p.lr * factor) for p in settings.phases)
    return dataclasses.replace(settings, lr=settings.lr * factor, phases=phases)


def merged_phases(settings):
    """A staged fine-tune (head only, then all layers at a small lr) as one phase training
    all layers at the first phase's lr, on the run's own schedule: what a run that starts
    from random weights does under ``random_init_phases: merge``."""
    import dataclasses

    return dataclasses.replace(settings, lr=settings.phases[0].lr, phases=())


def make_loader(exp: ExperimentConfig, part: str, device: str, *, train: bool, seed: int,
                world: tuple[int, int] = (0, 1)):
    """A device-resident loader over one split part, with the recipe's input pipeline."""
    import torch

    from cifarlab.data.split import read_split

    images, labels, _ = read_split(split_dir(exp.dataset.name), part)
    return loader_over(exp, torch.from_numpy(images), torch.from_numpy(labels), device,
                       train=train, seed=seed, num_classes=read_meta(exp.dataset.name)["num_classes"],
                       world=world)


def loader_over(exp: ExperimentConfig, images, labels, device: str, *, train: bool, seed: int,
                num_classes: int, world: tuple[int, int] = (0, 1), resize: int | None = None,
                batch_size: int | None = None, eval_batch_size: int | None = None):
    """The recipe's input pipeline over given uint8 images (the planner times it on these)."""
    from cifarlab.data.augment import build_augment, build_mix, recipe_mix_specs
    from cifarlab.data.loader import DeviceLoader

    r = exp.recipe
    return DeviceLoader(
        images,
        labels,
        (batch_size or r.batch_size) if train else (eval_batch_size or r.eval_batch_size),
        train=train,
        augment=build_augment(list(r.augment)) if train and r.augment else None,
        normalize=exp.normalize_stats,
        resize=r.resize if resize is None else resize,
        seed=seed,
        device=device,
        drop_last=train,
        mix=build_mix(recipe_mix_specs(r.mix), num_classes) if train and r.mix else None,
        num_classes=num_classes,
        rank=world[0],  # DDP: this rank's share of every global batch
        world_size=world[1],
    )


class BudgetedLoader:
    """The first ``batches`` batches of each epoch of a loader (whose permutation changes
    every epoch, so a budgeted run still sees different images each epoch)."""

    def __init__(self, loader, batches: int):
        self.loader, self.batches = loader, batches

    def __len__(self) -> int:
        return min(len(self.loader), self.batches)

    def set_epoch(self, epoch: int) -> None:
        self.loader.set_epoch(epoch)

    def __iter__(self):
        return itertools.islice(iter(self.loader), len(self))


def split_part(exp: ExperimentConfig, part: str, k: int | None, seed: int):
    """(uint8 images, labels, split indices) of a split part, cut to a fixed subset of k."""
    from cifarlab.data.split import read_split
    from cifarlab.steps._model import subset_indices

    images, labels, indices = read_split(split_dir(exp.dataset.name), part)
    keep = subset_indices(len(labels), k, seed)
    return images[keep], labels[keep], indices[keep]


def plan_budget(cfg: Config, exp: ExperimentConfig, meta: dict):
    """The run's input size and compute budget (cifarlab.budget), measured on its model.
    An ablation takes its base's budget (cifarlab.budget.ablation_plan)."""
    import dataclasses

    from cifarlab import budget as budgets
    from cifarlab.steps._model import gflops_at

    budget, n = cfg.profile.budget, meta["num_classes"]
    measured: dict[int, float | None] = {}

    def cost(px: int) -> float | None:  # None: the architecture cannot take this size
        if px not in measured:
            try:
                measured[px] = gflops_at(exp, n, px)
            except (RuntimeError, ValueError, AssertionError):
                measured[px] = None
        return measured[px]

    px = budgets.choose_input_px(exp.recipe.resize or meta["image_size"], cost, budget)
    px = budgets.affordable_input_px(
        px, lambda p: budgets.seconds_per_train_image(exp.model, p, cost(p) or 0.0, budget),
        lambda p: cost(p) is not None, runs_in_study=cfg.runs_in_study(exp.study),
        epochs=exp.recipe.max_epochs, budget=budget)
    sizes = meta["sizes"]
    gflops = cost(px)
    seconds = budgets.seconds_per_train_image(exp.model, px, gflops, budget) if budget else 0.0
    if budget is not None and exp.ablation_of:
        base_exp = cfg.declared(exp.ablation_of)
        plan = budgets.ablation_plan(plan_budget(cfg, base_exp, meta), base_batch=base_exp.recipe.declared_batch_size,
                                     batch=exp.recipe.declared_batch_size, input_px=px, gflops_per_image=gflops,
                                     seconds_per_image=seconds, train_size=sizes["train"])
    else:
        plan = budgets.plan_run(seconds, gflops_per_image=gflops, input_px=px, batch_size=exp.recipe.batch_size,
                                epochs=exp.recipe.max_epochs, train_size=sizes["train"], val_size=sizes["val"],
                                test_size=sizes["test"], runs_in_study=cfg.runs_in_study(exp.study), budget=budget)
    plan = budgets.batch_cut(plan, train_batches=cfg.profile.train_batches, eval_batches=cfg.profile.eval_batches,
                             eval_batch_size=exp.recipe.eval_batch_size, sizes=sizes)
    rule = budget.lr_scaling if budget else "none"
    return dataclasses.replace(plan, lr_scale=budgets.lr_scale(rule, plan.batch_size, exp.recipe.declared_batch_size))


def train_seed(cfg: Config, exp: ExperimentConfig, seed: int, device: str, meta: dict) -> Path:
    """Train one (experiment, seed) run into its state folder's ``final/``; a run already
    finished there with the same params (before a kill) is kept, not retrained."""
    import dataclasses

    import torch

    from cifarlab.steps._model import build_for_training
    from cifarlab.train import distributed as ddp
    from cifarlab.train import fit

    phases.mark("imports (torch, training)")

    state = Path(dag.state_dir(exp.name, seed))
    final, marker = state / "final", state / "final.done"
    identity = dag.params_hash({"params": dag.param_values("train", cfg.raw, exp.name), "seed": seed, "split": meta})
    if marker.is_file() and marker.read_text() == identity:
        print(f"train: {exp.name}: seed {seed} already finished in {final}", flush=True)
        return final
    budget = plan_budget(cfg, exp, meta)
    phases.mark("budget (FLOP count)")
    torch.manual_seed(seed)
    model, facts = build_for_training(exp, meta["num_classes"], budget.input_px, cfg.profile)
    phases.mark("model build")
    if facts.get("pretrained_note"):
        print(f"train: {exp.name}: warning: {facts['pretrained_note']}", flush=True)
    resize = budget.input_px
    if exp.recipe.sync_batchnorm and ddp.world_size() > 1:
        model = ddp.convert_sync_batchnorm(model, device, f"recipes.{exp.recipe.name}.sync_batchnorm")
    world = (ddp.rank(), ddp.world_size())  # DDP: this rank's share of each batch
    train_loader = loader_over(exp, *_tensors(exp, "train", None, seed), device, train=True, seed=seed,
                               num_classes=meta["num_classes"], resize=resize, world=world,
                               batch_size=budget.batch_size)
    if budget.train_batches_per_epoch is not None:
        train_loader = BudgetedLoader(train_loader, budget.train_batches_per_epoch)
    val_loader = loader_over(exp, *_tensors(exp, "val", budget.val_images, cfg.split.seed), device,
                             train=False, seed=seed, num_classes=meta["num_classes"], resize=resize,
                             world=world)
    phases.mark("split read, loaders")
    settings = dataclasses.replace(train_settings(exp, cfg.profile), seed=seed)
    if not facts["pretrained"] and cfg.profile.random_init_phases == "merge" and settings.phases:
        settings = merged_phases(settings)
        facts["phases_merged"] = f"random init: one all-layers phase at lr {settings.lr:g}"
    settings = scaled_lr(settings, budget.lr_scale)
    fit(model, train_loader, val_loader, settings, out_dir=final, state_dir=state / "run", device=device,
        progress=f"{exp.name} seed {seed}" if cfg.profile.progress else False,  # names the epoch lines
        # Resume only into the same experiment params, seed, split and budget: a change to
        # model_args that keeps tensor shapes (drop_path, say) must start afresh.
        fingerprint_extra={"identity": identity, "budget": budget.as_dict()},
        live_dir=Path(dag.LIVE_DIR) / exp.name / f"seed_{seed}")
    phases.mark("fit")
    if not ddp.is_main():  # rank 0 writes; the others go on to the next seed
        return final
    from cifarlab.evaluate.runtime import peak_memory_mb

    # The train process's peak so far (CPU: max RSS; CUDA: max allocated): what a run of
    # this recipe needs, set beside the planner's prediction by `make rehearsal`.
    facts["peak_mem_mb"], facts["peak_mem_source"] = peak_memory_mb(device)
    write_json(final / "run.json", {"experiment": exp.name, "seed": seed, "budget": budget.as_dict(),
                                    "threads": torch.get_num_threads(), **facts})
    marker.write_text(identity)
    phases.mark("seed files")
    return final


def _tensors(exp: ExperimentConfig, part: str, k: int | None, seed: int):
    import torch

    images, labels, _ = split_part(exp, part, k, seed)
    return torch.from_numpy(images), torch.from_numpy(labels)


def run(cfg: Config, experiment: str, command: Sequence[str]) -> None:
    from cifarlab.device import resolve_device
    from cifarlab.train import distributed as ddp
    from cifarlab.train.checkpoint import link_or_copy

    exp = cfg.experiment(experiment)
    reason = dag.unavailable_reason(cfg, experiment)
    if reason:
        raise ConfigError(f"{experiment}: {reason}")
    if exp.gpus > 1 and not ddp.in_worker():
        return launch_workers(cfg, exp)
    device = resolve_device(cfg.profile.device, exp.gpus)
    threads.pin_torch()
    if ddp.in_worker():
        device = ddp.init(device)
    train_settings(exp, cfg.profile)  # bad values fail here, before any work
    meta = read_meta(exp.dataset.name)
    check_class_weights(exp, meta["num_classes"])
    finals = {seed: train_seed(cfg, exp, seed, device, meta) for seed in exp.seeds}
    if not ddp.is_main():  # rank 0 assembles the output folder
        return ddp.shutdown()
    # The declared output appears whole or not at all; the state goes only after that.
    with atomic_path(dag.train_dir(experiment)) as stage:
        for seed, final in finals.items():
            # Linked, not copied: the state folder goes right after (one file system).
            shutil.copytree(final, Path(dag.seed_dir(str(stage), seed)), copy_function=link_or_copy)
        record(cfg, "train", command, [split_dir(exp.dataset.name)], stage / dag.TRAIN_PROV, experiment, device)
    shutil.rmtree(dag.state_dir(experiment), ignore_errors=True)
    ddp.shutdown()
    phases.mark("output folder, provenance")


def launch_workers(cfg: Config, exp: ExperimentConfig) -> None:
    """``gpus: k > 1``: hold k GPU slots here, then run this same command as k torchrun
    workers (they inherit the slots), so both front ends keep one command line."""
    import sys

    from cifarlab.device import acquire_gpus, held_fds
    from cifarlab.train import distributed as ddp

    if exp.recipe.batch_size % exp.gpus:
        raise ConfigError(f"recipes.{exp.recipe.name}.batch_size: {exp.recipe.batch_size} does not "
                          f"split evenly over experiments.{exp.name}.gpus = {exp.gpus} processes")
    if cfg.profile.device != "cpu":
        acquire_gpus(exp.gpus)
    ddp.relaunch(exp.gpus, sys.argv, keep_fds=held_fds())
