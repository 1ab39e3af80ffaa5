"""The planner's peak-memory prediction for a batch too large to try (imports torch).

``measure`` reads peak memory by running the recipe's batch, which a batch that does not
fit cannot tell. ``predict_memory`` runs the experiment's own training step (the
registry's model at the run's input size, the recipe's optimizer and input pipeline,
``train_one_epoch``) at growing batches 2, 4, 8, ... and reads each step's peak resident
size: the high-water mark is reset before every step (``/proc/self/clear_refs``, after
``malloc_trim`` hands freed memory back), so each reading is that step's own. Doubling
stops at the recipe's batch (then the reading is the prediction), or once one doubling
adds ``enough_mb`` (activations grow linearly with the batch, so the last two readings
give the slope), or before a step the slope says would pass ``cap_mb``. The evaluation
step at ``eval_batch_size`` is probed the same way, up to batches of ``EVAL_PROBE_MAX``.
The train process's predicted peak is the larger of a training step and a validation
step (at the validation images' batch), plus the uint8 split the train step holds; the
evaluate step's is a test batch's (an upper bound: the probe holds optimizer state).

Linux only (``/proc``); one experiment per process, so imports and caches of another
model do not count (``python -m cifarlab.plan.memory --experiment E``: one JSON line).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

START_BATCH = 2  # BatchNorm needs more than one image per batch in training
EVAL_PROBE_MAX = 32  # evaluation batches probed at most this large, then extrapolated


@dataclass(frozen=True)
class MemoryPrediction:
    experiment: str
    predicted_mb: float  # the train process's peak resident size, MiB
    evaluate_mb: float  # the evaluate step's (test batches), an upper bound
    train_mb: float  # extrapolated peak of one training step at batch_size
    eval_mb: float  # extrapolated peak of one validation step (eval_batch_size, or fewer images)
    split_mb: float  # the uint8 images the train step holds
    batch_size: int
    eval_batch_size: int
    input_size: int
    train_points: tuple[tuple[int, float], ...]  # (batch, measured peak MiB)
    eval_points: tuple[tuple[int, float], ...]


def _hwm_mb() -> float:
    """This process's peak resident size since the last reset, MiB (Linux VmHWM)."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)\s+kB", status).group(1)) / 1024


def _reset_hwm() -> None:
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)  # glibc keeps freed arenas otherwise
    except (OSError, AttributeError):
        pass
    Path("/proc/self/clear_refs").write_text("5")  # "5": reset the peak RSS to the current


def peak_of(step: Callable[[], object]) -> float:
    """Peak resident MiB while ``step`` runs."""
    _reset_hwm()
    step()
    return _hwm_mb()


def probe(make_step: Callable[[int], Callable[[], object]], batch: int, *, enough_mb: float,
          cap_mb: float, max_batch: int | None = None) -> tuple[tuple[int, float], ...]:
    """(batch, peak MiB) readings at batches 2, 4, ... up to ``batch`` (see the module),
    and not past ``max_batch``."""
    b = min(START_BATCH, batch)
    make_step(b)()  # warm-up: lazily built state (optimizer moments, kernels) stays
    points = [(b, peak_of(make_step(b)))]
    top = min(batch, max_batch or batch)
    while b < top:
        nxt = min(2 * b, top)
        if len(points) >= 2:
            (b1, p1), (b2, p2) = points[-2:]
            if p2 - p1 >= enough_mb or p2 + (p2 - p1) / (b2 - b1) * (nxt - b2) > cap_mb:
                break
        b = nxt
        points.append((b, peak_of(make_step(b))))
    return tuple(points)


def extrapolate(points: Sequence[tuple[int, float]], batch: int) -> float:
    """Peak MiB at ``batch``, linear through the last two readings (not decreasing)."""
    b2, p2 = points[-1]
    if b2 >= batch or len(points) < 2:
        return p2
    b1, p1 = points[-2]
    return p2 + max(0.0, (p2 - p1) / (b2 - b1)) * (batch - b2)


def predict_memory(cfg, name: str, *, enough_mb: float = 32.0, cap_mb: float = 4096.0) -> MemoryPrediction:
    """Predict the train process's peak resident MiB for experiment ``name`` on the CPU."""
    import torch

    from cifarlab import dag
    from cifarlab.io import read_json
    from cifarlab.plan.budgeted import apply_budget
    from cifarlab.plan.cli import planned_epochs
    from cifarlab.plan.measure import _build, _whole_split_mb, input_images
    from cifarlab.plan.workload import build_workload
    from cifarlab.steps._model import gflops_at
    from cifarlab.steps.train import loader_over
    from cifarlab.train.loop import evaluate, progress_bar, train_one_epoch

    exp = cfg.experiment(name)
    split = Path(dag.SPLIT_DIR) / exp.dataset.name
    meta = read_json(split / "meta.json") if (split / "meta.json").is_file() else None
    w = apply_budget(cfg, exp, build_workload(cfg, exp, planned_epochs(exp, cfg.profile), meta))
    dev = torch.device("cpu")
    gflops_at(exp, w.num_classes, w.input_size)  # the train step counts FLOPs first, as here
    model, optimizer, precision, settings = _build(exp, w, cfg.profile, dev)
    x, y, _ = input_images(w, max(w.batch_size, w.eval_batch_size), split if meta else None)
    resize = w.input_size if w.input_size != w.image_size else None
    bar = progress_bar(1, "memory", False)

    def loader(b: int, train: bool):
        return loader_over(exp, x[:b], y[:b], "cpu", train=train, seed=0, num_classes=w.num_classes,
                           resize=resize, batch_size=b)

    def train_step(b: int):
        data = loader(b, True)
        return lambda: train_one_epoch(model, data, optimizer, precision, epoch=1,
                                       label_smoothing=settings.label_smoothing,
                                       grad_clip=settings.grad_clip, device=dev, bar=bar)

    def eval_step(b: int):
        data = loader(b, False)  # b <= eval_batch_size: one batch
        return lambda: evaluate(model, data, precision, label_smoothing=settings.label_smoothing, device=dev)

    train_points = probe(train_step, w.batch_size, enough_mb=enough_mb, cap_mb=cap_mb)
    # Inference keeps no activations for a backward pass: a few small batches give its slope.
    eval_points = probe(eval_step, w.eval_batch_size, enough_mb=enough_mb, cap_mb=cap_mb,
                        max_batch=EVAL_PROBE_MAX)
    # A validation or test set smaller than eval_batch_size is one smaller batch.
    train_mb = extrapolate(train_points, w.batch_size)
    eval_mb = extrapolate(eval_points, min(w.eval_batch_size, w.val_images))
    test_mb = extrapolate(eval_points, min(w.eval_batch_size, w.test_images))
    split_mb = _whole_split_mb(w)
    return MemoryPrediction(name, round(max(train_mb, eval_mb) + split_mb, 1), round(test_mb + split_mb, 1),
                            round(train_mb, 1), round(eval_mb, 1), round(split_mb, 1), w.batch_size,
                            w.eval_batch_size, w.input_size, train_points, eval_points)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m cifarlab.plan.memory --experiment E``: one JSON line on stdout."""
    from cifarlab.config import load_config
    from cifarlab.errors import CifarlabError

    p = argparse.ArgumentParser(prog="cifarlab.plan.memory", description=__doc__.splitlines()[0])
    p.add_argument("--params", default="params.yaml", type=Path)
    p.add_argument("--profile", default=None)
    p.add_argument("--experiment", required=True)
    p.add_argument("--cap-mb", type=float, default=4096.0, help="never probe a step predicted above this")
    args = p.parse_args(argv)
    try:
        cfg = load_config(args.params, args.profile)
        if cfg.profile.device != "cpu":
            raise CifarlabError(f"profiles.{cfg.profile.name}.device: the memory probe reads the "
                                f"CPU's resident size; {cfg.profile.device!r} is not measured here")
        prediction = predict_memory(cfg, args.experiment, cap_mb=args.cap_mb)
    except (CifarlabError, OSError, ValueError) as exc:
        print(f"cifarlab.plan.memory: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(asdict(prediction)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
