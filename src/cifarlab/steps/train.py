"""train: fit one experiment's model on its dataset's split, resumable after a kill."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from cifarlab import dag
from cifarlab.config import Config, ExperimentConfig, ProfileConfig
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
        monitor=r.early_stopping.monitor,
        mode=r.early_stopping.mode,
        patience=r.early_stopping.patience,
        min_delta=r.early_stopping.min_delta,
        amp=profile.amp,
        channels_last=profile.channels_last,
        seed=exp.seed,
        grad_clip=r.grad_clip,
        phases=tuple(Phase(p.name, p.epochs, p.trainable, p.lr, p.schedule) for p in r.phases or ()),
    )


def make_loader(exp: ExperimentConfig, part: str, device: str, *, train: bool, seed: int):
    """A device-resident loader over one split part, with the recipe's input pipeline."""
    import torch

    from cifarlab.data.split import read_split

    images, labels, _ = read_split(split_dir(exp.dataset.name), part)
    return loader_over(exp, torch.from_numpy(images), torch.from_numpy(labels), device,
                       train=train, seed=seed, num_classes=read_meta(exp.dataset.name)["num_classes"])


def loader_over(exp: ExperimentConfig, images, labels, device: str, *, train: bool, seed: int,
                num_classes: int):
    """The recipe's input pipeline over given uint8 images (the planner times it on these)."""
    from cifarlab.data.augment import build_augment, build_mix
    from cifarlab.data.loader import DeviceLoader

    r = exp.recipe
    return DeviceLoader(
        images,
        labels,
        r.batch_size if train else r.eval_batch_size,
        train=train,
        augment=build_augment(list(r.augment)) if train and r.augment else None,
        normalize=exp.normalize_stats,
        resize=r.resize,
        seed=seed,
        device=device,
        drop_last=train,
        mix=build_mix(dict(r.mix)) if train and r.mix else None,
        num_classes=num_classes,
    )


def run(cfg: Config, experiment: str, command: Sequence[str]) -> None:
    from cifarlab.device import resolve_device

    exp = cfg.experiment(experiment)
    device = resolve_device(cfg.profile.device)
    settings = train_settings(exp, cfg.profile)  # bad values fail here, before any work

    import torch

    from cifarlab.models import get_model
    from cifarlab.train import fit

    torch.manual_seed(exp.seed)
    meta = read_meta(exp.dataset.name)
    model = get_model(exp.model, num_classes=meta["num_classes"], **exp.model_args)
    train_loader = make_loader(exp, "train", device, train=True, seed=exp.seed)
    val_loader = make_loader(exp, "val", device, train=False, seed=exp.seed)
    out = Path(dag.run_dir(experiment))
    fit(
        model,
        train_loader,
        val_loader,
        settings,
        out_dir=out,
        state_dir=Path(dag.state_dir(experiment)),
        device=device,
        progress=cfg.profile.progress,
        # Resume only into the same experiment params and the same split: a change to
        # model_args that keeps tensor shapes (drop_path, say) must start afresh.
        fingerprint_extra={
            "params": dag.params_hash(dag.param_values("train", cfg.raw, experiment)),
            "split": meta,
        },
    )
    record(cfg, "train", command, [split_dir(exp.dataset.name)], out / "train.prov.json", experiment, device)
