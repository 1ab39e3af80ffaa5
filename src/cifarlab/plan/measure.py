"""Time a few warm training and evaluation steps of one experiment (imports torch).

The steps are the workflow's own: the registry's model with the experiment's
``model_args``, the recipe's optimizer, ``train_one_epoch``/``evaluate`` of
``cifarlab.train.loop`` under the profile's precision (AMP and channels_last on CUDA),
fed by the recipe's ``DeviceLoader`` pipeline (``steps.train.loader_over``: resize,
augmentation, normalisation, mixing) at the recipe's batch sizes. Images are the stored
split's when it exists, else synthetic uint8 tensors of the stored shape, so a dataset
that is not on this machine (ImageNet-100 at 224 px) can still be timed.

A pass is a loader of ``steps`` batches; one untimed batch warms up (allocator, kernels),
then the median of ``repeats`` timed passes, divided by ``steps``, is the step time. Each
pass ends by reading its loss sums back to the host, so CUDA's queue is drained too.
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


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _median_pass(warm_up: Callable[[], object], run_pass: Callable[[], object], repeats: int,
                 device: torch.device) -> float:
    """Median seconds of ``repeats`` calls of ``run_pass`` after one untimed ``warm_up``."""
    warm_up()
    times = []
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        run_pass()
        _sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


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


def _whole_split_mb(w: Workload, resident_images: int) -> float:
    """MiB the full train + validation split adds on the device beyond the timed images."""
    per_image = 3 * w.image_size * w.image_size  # uint8
    return (w.train_images + w.val_images - resident_images) * per_image / 2**20


def _loaders(exp: ExperimentConfig, w: Workload, x: torch.Tensor, y: torch.Tensor, steps: int,
             device: str) -> dict[tuple[str, str], object]:
    """The recipe's train and eval loaders over ``x``: one batch to warm up, then ``steps``."""
    resize = w.input_size if w.input_size != w.image_size else None
    n_train = steps * w.batch_size
    parts = {"train": (x[:n_train], y[:n_train], w.batch_size, True),
             "val": (x[n_train:], y[n_train:], w.eval_batch_size, False)}
    return {(key, part): loader_over(exp, xs[:n], ys[:n], device, train=is_train, seed=0,
                                     num_classes=w.num_classes, resize=resize)
            for key, (xs, ys, batch, is_train) in parts.items()
            for part, n in (("warm", batch), ("timed", len(ys)))}


def measure(exp: ExperimentConfig, w: Workload, profile: ProfileConfig, device: str, *,
            steps: int = 3, repeats: int = 2, split: Path | None = None) -> StepTiming:
    """Step times of ``exp`` on ``device`` and its predicted peak memory.

    Peak memory on CUDA is ``max_memory_allocated`` over the measurement (model,
    optimizer state, activations) plus the whole split the run keeps on the device; on
    the CPU it is the process's maximum RSS so far (an upper bound, as in evaluate).
    All layers train here, so a head-only phase is predicted at full cost (an upper bound).
    """
    from cifarlab.models import get_model
    from cifarlab.steps._model import architecture_args
    from cifarlab.train.loop import evaluate, progress_bar, train_one_epoch
    from cifarlab.train.optim import build_optimizer
    from cifarlab.train.precision import make_precision

    started, dev = time.perf_counter(), torch.device(device)
    settings = train_settings(exp, profile)
    precision = make_precision(dev, settings.amp, settings.channels_last)
    reset_peak_memory(dev)
    torch.manual_seed(0)
    # The architecture at the run's input size; never pretrained weights (timing only).
    model = get_model(exp.model, num_classes=w.num_classes,
                      **architecture_args(exp, w.input_size)).to(dev)
    if precision.channels_last:
        model.to(memory_format=torch.channels_last)
    # lr 0: the same arithmetic per step, but random labels cannot make the loss diverge.
    optimizer = build_optimizer(model.parameters(), 0.0, settings)
    n_images = steps * (w.batch_size + w.eval_batch_size)
    x, y, source = input_images(w, n_images, split)
    loaders, bar = _loaders(exp, w, x, y, steps, device), progress_bar(steps, "plan", False)
    smoothing = settings.label_smoothing

    def train_pass(part: str) -> Callable[[], object]:
        return lambda: train_one_epoch(model, loaders["train", part], optimizer, precision, epoch=1,
                                       label_smoothing=smoothing, grad_clip=settings.grad_clip,
                                       device=dev, bar=bar)

    def eval_pass(part: str) -> Callable[[], object]:
        return lambda: evaluate(model, loaders["val", part], precision, label_smoothing=smoothing,
                                device=dev)

    train_s = _median_pass(train_pass("warm"), train_pass("timed"), repeats, dev) / steps
    eval_s = _median_pass(eval_pass("warm"), eval_pass("timed"), repeats, dev) / steps
    peak, where = peak_memory_mb(dev)
    if dev.type == "cuda":
        peak += _whole_split_mb(w, n_images)
    del model, optimizer, loaders
    gc.collect()
    if dev.type == "cuda":
        torch.cuda.empty_cache()  # the next experiment's peak starts from nothing
    return StepTiming(train_s, eval_s, round(peak, 1), where, str(dev), precision.dtype,
                      precision.channels_last, source, time.perf_counter() - started)
