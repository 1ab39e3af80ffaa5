"""The part of the rehearsal CI runs: every recipe kind and as many model families as fit.

Torch-free. For each recipe kind (two phases, a resize, 224 px inputs, a warm-up) the
experiment whose rehearsal costs least, then for each model family (``models/index.py``)
not yet covered its cheapest experiment, cheapest first, within a cost budget. Cost: the measured CPU
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


def ci_subset(cfg: Config, fits: Callable[[str], bool] = lambda name: True,
              max_cost: float | None = None) -> tuple[dict[str, str], list[str]]:
    """(experiment -> why it is in CI's part, families left out). Every recipe kind's
    cheapest experiment first, then each family's cheapest, cheapest family first, while
    the part's cost (``rehearsal_cost``, table seconds) stays within ``max_cost`` (None:
    every family)."""
    cost = {n: rehearsal_cost(e, cfg) for n, e in cfg.experiments.items() if fits(n)}
    chosen: dict[str, list[str]] = {}
    for kind, has in KINDS.items():
        names = [n for n in cost if has(cfg.experiments[n])]
        if names:
            chosen.setdefault(min(names, key=cost.__getitem__), []).append(kind)
    families: dict[str, str] = {}
    for name in sorted(cost, key=cost.__getitem__):
        families.setdefault(FAMILY_MODULES[cfg.experiments[name].model], name)
    for name in chosen:
        chosen[name].insert(0, f"family {FAMILY_MODULES[cfg.experiments[name].model]}")
    covered = {FAMILY_MODULES[cfg.experiments[n].model] for n in chosen}
    left_out = []
    for family, name in families.items():
        if family in covered:
            continue
        total = sum(cost[n] for n in chosen) + cost[name]
        if max_cost is not None and total > max_cost:
            left_out.append(family)
            continue
        chosen[name] = [f"family {family}"]
    return {n: ", ".join(chosen[n]) for n in cfg.experiments if n in chosen}, left_out
