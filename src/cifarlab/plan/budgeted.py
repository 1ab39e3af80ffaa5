"""A profile's cost-aware budget applied to a planned workload (imports torch).

Where the profile has a ``budget`` (the quick profile), the train step cuts each run by
its cost (``cifarlab.budget``): input size, training batches per epoch, validation and
test images. The planner asks the train step's own ``plan_budget`` with the workload's
sizes, so the plan times and counts exactly what the run will do.
"""

from __future__ import annotations

import dataclasses

from cifarlab.config import Config, ExperimentConfig
from cifarlab.plan.workload import Workload


def apply_budget(cfg: Config, exp: ExperimentConfig, w: Workload) -> Workload:
    """``w`` as the profile's budget, or its batch cut (``train_batches``,
    ``eval_batches``), cuts it (unchanged without either)."""
    p = cfg.profile
    if getattr(p, "budget", None) is None:
        if getattr(p, "train_batches", None) is None and getattr(p, "eval_batches", None) is None:
            return w
        from cifarlab.budget import RunBudget, batch_cut

        sizes = {"train": w.train_images, "val": w.val_images, "test": w.test_images}
        b = batch_cut(RunBudget(w.input_size, 0.0, w.batch_size, None, None, None, None),
                      train_batches=p.train_batches, eval_batches=p.eval_batches,
                      eval_batch_size=w.eval_batch_size, sizes=sizes)
        return dataclasses.replace(w, train_batches_cap=b.train_batches_per_epoch,
                                   val_images=b.val_images or w.val_images,
                                   test_images=b.test_images or w.test_images)
    from cifarlab.steps.train import plan_budget

    meta = {"num_classes": w.num_classes, "image_size": w.image_size,
            "sizes": {"train": w.train_images, "val": w.val_images, "test": w.test_images}}
    b = plan_budget(cfg, exp, meta)
    return dataclasses.replace(w, input_size=b.input_px, batch_size=b.batch_size,
                               train_batches_cap=b.train_batches_per_epoch,
                               val_images=b.val_images or w.val_images,
                               test_images=b.test_images or w.test_images)
