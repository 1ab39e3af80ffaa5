"""Time a few warm training and evaluation steps of one experiment (imports torch).

The steps are the workflow's own: the registry's model (the architecture at the run's
input size, ``steps._model.architecture_args``), the recipe's optimizer,
``train_one_epoch``/``evaluate`` of ``cifarlab.train.loop`` under the profile's precision
(AMP and channels_last on CUDA), fed by the recipe's ``DeviceLoader`` pipeline
(``steps.train.loader_over``: resize, augmentation, normalisation, mixing) at the
recipe's batch sizes. Images are the stored split's when it exists, else synthetic uint8
tensors of the stored shape, so a dataset that is not on this machine (ImageNet-100 at
224 px) can still be timed.

A pass is a loader of n batches. One untimed one-batch pass warms up (allocator, kernels,
autotuning), a second one-batch pass probes the step time, and that sets n so a timed
pass lasts about ``target_s`` (1 to ``max_steps`` batches: many fast GPU steps, a single
slow CPU one, so measuring takes seconds either way). The step time is the median of
``repeats`` timed passes over n. Each pass ends by reading its loss sums back to the
host, so CUDA's queue is drained before the clock is read.
"""

from __future__ import annotations

import gc
import statistics
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from cifarlab.config import ExperimentConfig, ProfileConfig
from cifarlab.evaluate.runtime import peak_memory_mb, reset_peak_memory
from cifarlab.plan.workload import StepTiming, Workload
from cifarlab.steps.train import loader_over, train_settings

PassFactory = Callable[[int], Callable[[], object]]  # batches -> one pass over that many


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(run_pass: Callable[[], object], device: torch.device) -> float:
    _sync(device)
    start = time.perf_counter()
    run_pass()
    _sync(device)
    return time.perf_counter() - start


def step_seconds(make_pass: PassFactory, device: torch.device, *, max_steps: int, repeats: int,
                 target_s: float, warmup: bool = True) -> float:
    """Seconds per batch: warm-up, probe, then the median of ``repeats`` timed passes.
    Without ``warmup`` (the cheap mode) the first step is timed cold: an upper bound."""
    one = make_pass(1)
    if warmup:
        one()  # warm-up, untimed
    probe = _timed(one, device)
    steps = max(1, min(max_steps, int(target_s / max(probe, 1e-9))))
    if steps == 1:  # a slow step: the probe is the first of the timed passes
        return statistics.median([probe] + [_timed(one, device) for _ in range(repeats - 1)])
    timed = make_pass(steps)
    return statistics.median(_timed(timed, device) for _ in range(repeats)) / steps


def input_images(w: Workload, n: int, split: Path | None) -> tuple[torch.Tensor, torch.Tensor, str]:
    """``n`` uint8 images (N, 3, S, S) and labels: the split's first ones, else synthetic."""
    path = None if split is None else split / "train.npz"
    if path is not None and path.is_file():
        with np.load(path) as npz:
            images, labels = npz["images"], npz["labels"]
        if images.shape[-1] == w.image_size and len(labels):
            take = np.arange(n) % len(labels)  # a subset smaller than the passes repeats
            return torch.from_numpy(images[take]), torch.from_numpy(labels[take]), "split"
    gen = torch.Generator().manual_seed(0)
    shape = (n, 3, w.image_size, w.image_size)
    images_t = torch.randint(0, 256, shape, generator=gen, dtype=torch.uint8)
    return images_t, torch.randint(0, w.num_classes, (n,), generator=gen), "synthetic"


def _whole_split_mb(w: Workload) -> float:
    """MiB of the train + validation split a run keeps on its device (uint8)."""
    return (w.train_images + w.val_images) * 3 * w.image_size * w.image_size / 2**20


def _build(exp: ExperimentConfig, w: Workload, profile: ProfileConfig, dev: torch.device):
    """(model, optimizer, precision, settings) as the train step sets them up."""
    from cifarlab.models import get_model
    from cifarlab.steps._model import architecture_args
    from cifarlab.train.optim import build_optimizer
    from cifarlab.train.precision import make_precision

    settings = train_settings(exp, profile)
    precision = make_precision(dev, settings.amp, settings.channels_last)
    torch.manual_seed(0)
    # The architecture at the run's input size; never pretrained weights (timing only).
    model = get_model(exp.model, num_classes=w.num_classes,
                      **architecture_args(exp, w.input_size)).to(dev)
    if precision.channels_last:
        model.to(memory_format=torch.channels_last)
    # lr 0: the same arithmetic per step, but random labels cannot make the loss diverge.
    return model, build_optimizer(model.parameters(), 0.0, settings), precision, settings


def _fitting_batch(model, precision, w: Workload, dev: torch.device, cap: int | None,
                   micro: int | None):
    """(images per timed training step, the memory estimate): the workload's batch unless
    ``cap`` (``--probe-batch``) or the device's free memory says fewer. A step of
    ``micro``-image forward passes holds one micro-batch's activations at a time."""
    from cifarlab.plan.step_memory import PROBE, TooLarge, estimate

    x = torch.rand(PROBE, 3, w.input_size, w.input_size, device=dev)
    est = estimate(model, precision.prepare(x), precision.autocast)
    fits = est.largest_batch(w.batch_size, micro)
    if fits == 0:
        per_pass = min(w.batch_size, micro or w.batch_size)
        raise TooLarge(f"a training step needs about {est.step_mb(per_pass) / 1024:,.1f} GiB "
                       f"at {per_pass} images per pass and {est.step_mb(PROBE) / 1024:,.1f} GiB even at "
                       f"{PROBE}; {est.free_mb / 1024:,.1f} GiB free on {dev}")
    return min(fits, cap or fits), est


def measure(exp: ExperimentConfig, w: Workload, profile: ProfileConfig, device: str, *,
            max_steps: int = 10, repeats: int = 2, target_s: float = 1.0,
            split: Path | None = None, max_batch: int | None = None,
            warmup: bool = True) -> StepTiming:
    """Step times of ``exp`` on ``device`` and its predicted peak memory.

    Peak memory on CUDA is ``max_memory_allocated`` over the measurement (model,
    optimizer state, activations, the timed batches) plus the whole split the run keeps on
    the device; on the CPU it is the process's maximum RSS so far (an upper bound, as in
    evaluate). All layers train here, so a head-only phase is predicted at full cost.

    A step is timed at fewer images than the recipe's batch when ``max_batch`` asks (a
    cheap mode) or when it would not fit in this device's memory (``plan.step_memory``); its
    time is then scaled per image (an upper bound for a GPU, which is faster per image at
    larger batches) and the peak memory is the estimate at the recipe's batch. Raises
    ``plan.step_memory.TooLarge`` when not even a few images fit.
    """
    from cifarlab.train.loop import evaluate, progress_bar, train_one_epoch

    started, dev = time.perf_counter(), torch.device(device)
    reset_peak_memory(dev)
    model, optimizer, precision, settings = _build(exp, w, profile, dev)
    batch, est = _fitting_batch(model, precision, w, dev, max_batch, settings.micro_batch)
    eval_batch = min(w.eval_batch_size, max_batch or w.eval_batch_size)
    n_train = max_steps * batch
    x, y, source = input_images(w, n_train + max_steps * eval_batch, split)
    resize = w.input_size if w.input_size != w.image_size else None
    bar, smoothing = progress_bar(max_steps, "plan", False), settings.label_smoothing

    def train_pass(n: int) -> Callable[[], object]:
        # The workload's batch: a profile's budget may train at a smaller one than the recipe's.
        loader = loader_over(exp, x[:n * batch], y[:n * batch], device, train=True, seed=0,
                             num_classes=w.num_classes, resize=resize, batch_size=batch)
        return lambda: train_one_epoch(model, loader, optimizer, precision, epoch=1,
                                       label_smoothing=smoothing, grad_clip=settings.grad_clip,
                                       device=dev, bar=bar, micro_batch=settings.micro_batch)

    def eval_pass(n: int) -> Callable[[], object]:
        k = n_train + n * eval_batch
        loader = loader_over(exp, x[n_train:k], y[n_train:k], device, train=False, seed=0,
                             num_classes=w.num_classes, resize=resize, eval_batch_size=eval_batch)
        return lambda: evaluate(model, loader, precision, label_smoothing=smoothing, device=dev)

    timing = dict(max_steps=max_steps, repeats=repeats, target_s=target_s, warmup=warmup)
    train_s = step_seconds(train_pass, dev, **timing) * w.batch_size / batch
    eval_s = step_seconds(eval_pass, dev, **timing) * w.eval_batch_size / eval_batch
    peak, where = peak_memory_mb(dev)
    if batch < w.batch_size:
        per_pass = min(w.batch_size, settings.micro_batch or w.batch_size)
        peak, where = est.step_mb(per_pass), f"estimate (timed at batch {batch})"
    if dev.type == "cuda":
        peak += _whole_split_mb(w)
    del model, optimizer
    gc.collect()
    if dev.type == "cuda":
        torch.cuda.empty_cache()  # the next experiment's peak starts from nothing
    return StepTiming(train_s, eval_s, round(peak, 1), where, str(dev), precision.dtype,
                      precision.channels_last, source, time.perf_counter() - started, batch)
