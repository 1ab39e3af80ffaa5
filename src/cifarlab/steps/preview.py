"""preview: a sample grid per dataset (s001) and an augmentation preview per recipe (s000)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from cifarlab import dag
from cifarlab.config import DETERMINISTIC_OPS, Config
from cifarlab.io import atomic_path
from cifarlab.steps._common import read_meta, record, split_dir

SAMPLE_GRID = 16  # images in a dataset's sample grid
PREVIEW = 4  # augmented images per recipe, as s000 shows


def run(cfg: Config, experiment: str | None, command: Sequence[str]) -> None:
    import numpy as np

    from cifarlab.analysis.figures.figbase import save_figure
    from cifarlab.analysis.figures.sample_figures import plot_augmentation_preview, plot_sample_grid, to_hwc_float
    from cifarlab.data.loader import preview_batch
    from cifarlab.data.split import read_split
    from cifarlab.provenance import collect_provenance

    def prov(dataset: str, extra: dict) -> dict:
        params = dag.param_values("preview", cfg.raw)
        return collect_provenance("preview", list(command), params, [split_dir(dataset)], extra=extra)

    with atomic_path(dag.PREVIEW_DIR) as stage:
        for name in cfg.active_datasets:
            meta = read_meta(name)
            images, labels, _ = read_split(split_dir(name), "train")
            pick = np.random.default_rng(cfg.split.seed).choice(len(labels), SAMPLE_GRID, replace=False)
            fig = plot_sample_grid(to_hwc_float(images[pick]), labels[pick], meta["classes"])
            caption = f"{SAMPLE_GRID} random training images of {name} with their classes"
            save_figure(fig, stage / f"samples__{name}.png", provenance=prov(name, {"caption": caption}))
        for exp in _one_per_recipe(cfg):
            # The recipe as written: a profile may train without its augmentation.
            ops = cfg.raw["recipes"][exp.recipe.name].get("augment") or []
            if not any(op["op"] not in DETERMINISTIC_OPS for op in ops):
                continue
            images, labels, _ = read_split(split_dir(exp.dataset.name), "train")
            batch, batch_labels = preview_batch(
                images, labels, ops, exp.normalize_stats,
                n=PREVIEW, seed=exp.seed, resize=exp.recipe.resize,
            )
            meta = read_meta(exp.dataset.name)
            fig = plot_augmentation_preview(batch, batch_labels, meta["classes"])
            caption = f"recipe {exp.recipe.name}: {PREVIEW} augmented training images (normalisation undone)"
            if not cfg.profile.augment:
                caption += f"; the {cfg.profile.name} profile trains without this augmentation"
            save_figure(fig, stage / f"augment__{exp.recipe.name}.png",
                        provenance=prov(exp.dataset.name, {"caption": caption}))
    print(f"preview: wrote {dag.PREVIEW_DIR}", flush=True)


def _one_per_recipe(cfg: Config):
    seen: dict[str, object] = {}
    for exp in cfg.experiments.values():
        seen.setdefault(exp.recipe.name, exp)
    return list(seen.values())
