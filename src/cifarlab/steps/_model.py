"""Building an experiment's model the same way in train, evaluate and explain.

A run may train at another input size than the model's registry size (the quick
profile's budget halves costly inputs; s003 and Mixer-B/16 upsample): models whose size
is a construction argument (``img_size``: MLP-Mixer, ViT) are built for it. The
architecture a run used is written to its run.json, so later steps rebuild exactly it.
"""

from __future__ import annotations

import inspect
from typing import Any, Mapping

from cifarlab.config import ExperimentConfig, ProfileConfig


def architecture_args(exp: ExperimentConfig, input_px: int) -> dict[str, Any]:
    """``model_args`` for ``input_px``, without pretrained weights (checkpoints carry them)."""
    from cifarlab.models import get_model_info

    info = get_model_info(exp.model)
    args = {k: v for k, v in exp.model_args.items() if k != "pretrained"}
    takes_size = "img_size" in inspect.signature(info.factory).parameters
    if takes_size and input_px != info.defaults.get("img_size", info.input_size):
        args["img_size"] = input_px
    return args


def gflops_at(exp: ExperimentConfig, num_classes: int, input_px: int) -> float:
    """Forward GFLOPs per image of the experiment's architecture at ``input_px``.

    Counted once per architecture, size and code (``flop_cache``): a budget tries several
    sizes, an ablation prices its base too, and the DLA-34 grid's ten jobs share one
    architecture; each count builds the model and runs it under FlopCounterMode, up to
    2.5 s of a job's start-up."""
    from cifarlab.steps.flop_cache import cached_gflops

    args = architecture_args(exp, input_px)

    def count() -> float:
        from cifarlab.models import get_model
        from cifarlab.models.complexity import count_flops

        model = get_model(exp.model, num_classes=num_classes, **args)
        return count_flops(model, input_px) / 1e9

    return cached_gflops(exp.model, args, num_classes, input_px, count)


def build_for_training(exp: ExperimentConfig, num_classes: int, input_px: int,
                       profile: ProfileConfig) -> tuple[Any, dict[str, Any]]:
    """The model to train and what run.json records about it: the architecture args, and
    whether it started from pretrained weights (and why not, when the profile let an
    absent weights file fall back to random initialisation)."""
    from cifarlab.models import get_model

    args = architecture_args(exp, input_px)
    wanted = exp.model_args.get("pretrained", False)
    facts: dict[str, Any] = {"model_args": args, "pretrained_requested": wanted, "pretrained": bool(wanted)}
    if not wanted:
        return get_model(exp.model, num_classes=num_classes, **args), facts
    from cifarlab.models.pretrained import allow_download  # torchvision: only for weights

    try:
        # The full profile lets torchvision download (hash-checked) into the hub cache;
        # the quick profile only looks there, and may fall back to random weights.
        with allow_download(profile.pretrained_missing == "error"):
            return get_model(exp.model, num_classes=num_classes, pretrained=wanted, **args), facts
    except FileNotFoundError as exc:
        if profile.pretrained_missing != "random":
            raise
        facts.update(pretrained=False, pretrained_note=f"not pretrained: {exc}")
        return get_model(exp.model, num_classes=num_classes, **args), facts


def build_for_checkpoint(exp: ExperimentConfig, num_classes: int, run_facts: Mapping[str, Any]):
    """The architecture a finished run trained (from its run.json), weights not loaded."""
    from cifarlab.models import get_model

    return get_model(exp.model, num_classes=num_classes, **dict(run_facts["model_args"]))


def subset_indices(n: int, k: int | None, seed: int):
    """A fixed random subset of ``k`` of ``n`` items, in index order (all when k is None)."""
    import numpy as np

    if k is None or k >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).permutation(n)[:k])
