"""A profile's cost-aware cap on each run's compute (torch-free arithmetic).

The quick profile runs the whole catalogue (~55 runs) on two CPU cores, so every run is
cut by its cost, never by a hand-picked exception: each study gets the same compute,
``study_seconds``, split evenly over the study's (experiment, seed) runs; a run's share
becomes images through the model's measured CPU cost per training image at its input
size. A cheap run keeps its whole schedule, a costly one is cut down to
``min_train_images``; a model costlier than ``max_gflop_per_image`` first trains at half
the input size (not below ``min_input_px``), and so does one whose share cannot pay for
the floor at its size (``affordable_input_px``: fewer pixels rather than fewer steps). A
run cut to a smaller batch scales its learning rates (``lr_scale``); an ablation or grid
cell trains on its base's budget (``ablation_plan``).

The cost per image comes from ``models/cpu_cost.json``, measured by
``bench/model_step_time.py --size 32 --write-cost-table`` (seconds per forward+backward
image at 32 px on one CPU thread, scaled by pixel count for other sizes): FLOPs misjudge
CPU time, depthwise and attention models being several times slower per FLOP than plain
convolutions. A model missing from the table is priced by its FLOPs at
``fallback_gflops_per_second``. An evaluated image costs a third of a trained one.

Everything here is a pure function of numbers and a committed table, so the same params
give the same budget on every machine (it is recorded in each run's run.json and in its
resume fingerprint); a faster machine just finishes sooner.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from cifarlab.config import BudgetConfig

TRAIN_COST = 3.0  # forward + backward of one training image, in forward passes
COST_TABLE = Path(__file__).with_name("models") / "cpu_cost.json"
TABLE_PX = 32  # the table's input size


@lru_cache(maxsize=1)
def cost_table() -> dict[str, float]:
    """Measured seconds per training image at 32 px, by model name."""
    return dict(json.loads(COST_TABLE.read_text())["seconds_per_train_image"])


def seconds_per_train_image(model: str, input_px: int, gflops_per_image: float, budget: BudgetConfig) -> float:
    """What one training image of ``model`` at ``input_px`` costs, in table seconds."""
    table = cost_table()
    if model in table:
        return table[model] * (input_px / TABLE_PX) ** 2
    return TRAIN_COST * gflops_per_image / budget.fallback_gflops_per_second


@dataclass(frozen=True)
class RunBudget:
    """What one run may use. ``None`` fields mean "all of it" (no budget)."""

    input_px: int
    gflops_per_image: float
    batch_size: int
    train_batches_per_epoch: int | None
    val_images: int | None
    test_images: int | None
    run_seconds: float | None  # the run's share of its study, in table seconds
    seconds_per_train_image: float | None = None
    lr_scale: float = 1.0  # the recipe's learning rates times this (see lr_scale())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def planned_seconds(self, epochs: int, train_size: int, val_size: int, test_size: int) -> float:
        """Table seconds this budget lets the run spend (train, validation, test)."""
        batches = self.train_batches_per_epoch or train_size // self.batch_size
        evals = epochs * (self.val_images or val_size) + (self.test_images or test_size)
        cost = self.seconds_per_train_image or 0.0
        return cost * (epochs * batches * self.batch_size + evals / TRAIN_COST)


def choose_input_px(native_px: int, gflops_at: Callable[[int], float | None],
                    budget: BudgetConfig | None) -> int:
    """The input size a run trains at: ``native_px`` capped at ``max_input_px``, halved
    while the model's forward cost exceeds ``max_gflop_per_image`` (not below
    ``min_input_px``, nor to a size the model cannot take). ``gflops_at(px)`` measures the
    model at ``px``: None when it cannot run at that size."""
    if budget is None:
        return native_px
    px = min(native_px, budget.max_input_px or native_px)
    limit = budget.max_gflop_per_image
    while limit is not None and px // 2 >= budget.min_input_px and (gflops_at(px) or 0.0) > limit:
        if gflops_at(px // 2) is None:
            break
        px //= 2
    return px


def affordable_input_px(px: int, seconds_at: Callable[[int], float], can_take: Callable[[int], bool], *,
                        runs_in_study: int, epochs: int, budget: BudgetConfig | None) -> int:
    """Fewer pixels rather than fewer steps: while the run's share of its study cannot pay
    for the floor every run gets (``min_train_images``, and ``min_steps_per_epoch`` batches
    of ``min_batch_size`` each epoch) at ``px``, it trains at half the size (not below
    ``min_input_px``, nor at a size the model cannot take). ``seconds_at(px)`` is the cost
    of one training image at ``px``; ``can_take(px)`` whether the model runs at ``px``."""
    if budget is None:
        return px
    share = (1.0 - budget.eval_share) * budget.study_seconds / max(1, runs_in_study)
    floor = max(budget.min_train_images, budget.min_steps_per_epoch * budget.min_batch_size * epochs)
    while px // 2 >= budget.min_input_px and share < floor * seconds_at(px) and can_take(px // 2):
        px //= 2
    return px


def plan_run(seconds_per_image: float, *, gflops_per_image: float, input_px: int, batch_size: int,
             epochs: int, train_size: int, val_size: int, test_size: int, runs_in_study: int,
             budget: BudgetConfig | None) -> RunBudget:
    """The run's share of its study's budget, as images per epoch and per evaluation.

    Training gets ``1 - eval_share`` of the share: ``share / seconds per image`` over all
    epochs, at least ``min_train_images`` and at most the full schedule, rounded to whole
    batches per epoch (at least one). Validation (every epoch) and test split
    ``eval_share`` evenly, each at least ``min_eval_images``.
    """
    if budget is None:
        return RunBudget(input_px, gflops_per_image, batch_size, None, None, None, None)
    share = budget.study_seconds / max(1, runs_in_study)
    cost = max(seconds_per_image, 1e-12)
    full_batches = max(1, train_size // batch_size)
    wanted = max(budget.min_train_images, (1.0 - budget.eval_share) * share / cost)
    batches = min(full_batches, max(1, math.ceil(wanted / (epochs * batch_size))))
    batch_size, batches = _enough_steps(batch_size, batches, full_batches, budget)
    eval_share = budget.eval_share * share / 2.0

    def eval_images(size: int, passes: int) -> int:
        return int(min(size, max(budget.min_eval_images, eval_share * TRAIN_COST / (passes * cost))))

    return RunBudget(
        input_px=input_px,
        gflops_per_image=gflops_per_image,
        batch_size=batch_size,
        train_batches_per_epoch=None if batches >= train_size // batch_size else batches,
        val_images=eval_images(val_size, epochs),
        test_images=eval_images(test_size, 1),
        run_seconds=share,
        seconds_per_train_image=seconds_per_image,
    )


def _enough_steps(batch_size: int, batches: int, full_batches: int, budget: BudgetConfig) -> tuple[int, int]:
    """(batch size, batches per epoch): a run cut below ``min_steps_per_epoch`` steps takes
    its images in smaller batches (not below ``min_batch_size``), so a few hundred images
    still make a few dozen optimizer steps instead of five."""
    want = budget.min_steps_per_epoch
    if not want or batches >= full_batches or batches >= want:
        return batch_size, batches
    images = batches * batch_size
    smaller = max(budget.min_batch_size, min(batch_size, images // want))
    return smaller, max(1, images // smaller)


def lr_scale(rule: str, batch_size: int, declared_batch_size: int | None) -> float:
    """The factor on a recipe's learning rates when the budget trains it at ``batch_size``
    instead of its declared batch: ``sqrt`` (Krizhevsky 2014; Hoffer et al. 2017; for
    adaptive optimisers, Malladi et al. 2022) or ``linear`` (Goyal et al. 2017) in the
    batch ratio. s002's lr 0.1 was set for a batch of 1024; kept at batch 16, ResNet-56
    stayed at chance (measured: 12.5% top-1; 50.0% at sqrt-scaled 0.0125, 28.1% at
    linear-scaled 0.0016)."""
    if rule == "none" or not declared_batch_size or batch_size == declared_batch_size:
        return 1.0
    ratio = batch_size / declared_batch_size
    return math.sqrt(ratio) if rule == "sqrt" else ratio


def batch_cut(plan: RunBudget, *, train_batches: int | None, eval_batches: int | None,
              eval_batch_size: int, sizes: dict[str, int]) -> RunBudget:
    """A rehearsal's cut (``profiles.<p>.train_batches`` / ``eval_batches``): every epoch
    takes at most ``train_batches`` batches at the run's batch size, every validation pass
    and the test set at most ``eval_batches`` batches of ``eval_batch_size``; the batch
    and input sizes stay the recipe's. None leaves that part as ``plan`` has it."""
    if train_batches is None and eval_batches is None:
        return plan
    batches = plan.train_batches_per_epoch
    if train_batches is not None and train_batches < (batches or sizes["train"] // plan.batch_size):
        batches = train_batches

    def images(current: int | None, size: int) -> int | None:
        if eval_batches is None:
            return current
        return min(current or size, size, eval_batches * eval_batch_size)

    return replace(plan, train_batches_per_epoch=batches, val_images=images(plan.val_images, sizes["val"]),
                   test_images=images(plan.test_images, sizes["test"]))


def ablation_plan(base: RunBudget, *, base_batch: int, batch: int, input_px: int, gflops_per_image: float,
                  seconds_per_image: float, train_size: int) -> RunBudget:
    """An ablation or grid cell trains on its base's budget: the same images per epoch, the
    same validation and test images, so it differs from the base only where it declares.
    A cell that declares another batch than its base (``base_batch`` -> ``batch``) takes
    the base's miniature batch in the same ratio: the DLA-34 grid's 64/128/256 stay 1:2:4
    instead of all becoming the budget's smallest batch."""
    batch_size = max(1, round(base.batch_size * batch / base_batch))
    per_epoch = base.batch_size * (base.train_batches_per_epoch or train_size // base.batch_size)
    batches = None if base.train_batches_per_epoch is None else max(1, per_epoch // batch_size)
    return replace(base, input_px=input_px, gflops_per_image=gflops_per_image, batch_size=batch_size,
                   train_batches_per_epoch=batches, seconds_per_train_image=seconds_per_image)
