"""The part of the rehearsal CI runs: every model family and every recipe kind, cheaply.

Torch-free. For each model family (``models/index.py``) the experiment whose rehearsal
costs least, then, for each recipe kind not yet covered (two phases, a resize, 224 px
inputs, a warm-up), the cheapest experiment of that kind. Cost: the measured CPU
seconds per training image (``models/cpu_cost.json``, scaled to the input size) times
the images the rehearsal trains (``train_batches`` x batch x epochs); a model missing
from the table counts as the dearest. Only experiments predicted to fit are candidates
where ``fits`` says so.
"""

from __future__ import annotations

from typing import Callable, Mapping

from cifarlab.budget import cost_table
from cifarlab.config import Config, ExperimentConfig
from cifarlab.models.index import FAMILY_MODULES

KINDS: Mapping[str, Callable[[ExperimentConfig], bool]] = {
    "two-phase": lambda e: bool(e.recipe.phases),
    "resize": lambda e: e.recipe.resize is not None and e.recipe.resize != 224,
    "224 px": lambda e: _input_px(e) == 224,
    "warm-up": lambda e: e.recipe.schedule.warmup_epochs > 0,
}


def _input_px(exp: ExperimentConfig) -> int:
    return exp.recipe.resize or exp.dataset.image_size or 32


def rehearsal_cost(exp: ExperimentConfig, cfg: Config) -> float:
    """Table seconds of the training images the rehearsal gives ``exp``."""
    per_image = cost_table().get(exp.model)
    if per_image is None:
        return float("inf")
    batches = cfg.profile.train_batches or 1
    return per_image * (_input_px(exp) / 32) ** 2 * exp.recipe.batch_size * batches * exp.recipe.max_epochs


def ci_subset(cfg: Config, fits: Callable[[str], bool] = lambda name: True) -> dict[str, str]:
    """experiment -> why it is in CI's part (its family, or the recipe kind it covers)."""
    cost = {n: rehearsal_cost(e, cfg) for n, e in cfg.experiments.items() if fits(n)}
    chosen: dict[str, str] = {}
    families: dict[str, list[str]] = {}
    for name in cost:
        families.setdefault(FAMILY_MODULES[cfg.experiments[name].model], []).append(name)
    for family, names in families.items():
        best = min(names, key=cost.__getitem__)
        chosen[best] = f"{chosen[best]}, {family}" if best in chosen else f"family {family}"
    for kind, has in KINDS.items():
        if any(has(cfg.experiments[n]) for n in chosen):
            continue
        names = [n for n in cost if has(cfg.experiments[n])]
        if names:
            best = min(names, key=cost.__getitem__)
            chosen[best] = f"{chosen.get(best, '')}{', ' if best in chosen else ''}{kind}"
    return {n: chosen[n] for n in cfg.experiments if n in chosen}
