"""`make gpu-check`: the CUDA paths in one script (at most about 8 minutes on one GPU).

    uv run python bench/gpu_check.py [--params params.yaml] [--out bench/results/gpu_check.json]

Parts, each a function returning plain values (a part that needs CUDA says "skipped"
on a machine without it; the others run on the CPU at a small batch instead):

- cuda_tests: the tests marked "needs CUDA" (pytest subprocess).
- data_share: at the full profile's batch and input size, the model-only training step
  (the batches already transformed, on the device) and the full step (the recipe's
  DeviceLoader: resize, augmentation, normalisation), for cnn4, resnet_20, wrn_16_8,
  efficientnet_b2 (64 px) and resnet50_imagenet (224 px); the data path's share of the
  step, goal under 10%.
- amp: resnet_20, 20 steps from one initialisation over the same 20 batches, autocast
  against float32: seconds per step and the loss after 20 steps on a held batch.
- channels_last: the model-only step's time without / with channels_last.
- planner: `cifarlab plan`'s seconds per epoch for resnet_20 (full profile) against one
  real epoch (training split after the validation cut, synthetic images when the split is
  absent) and its validation pass; goal within +-25%. CUDA only (minutes on a CPU).
- gradcam: pytorch-grad-cam through the explain step's function, on the device.
- slots: the allocator's GPU list and lock keys from the real `nvidia-smi -L`.

Writes the JSON and prints a table. Exits 0 on a machine without a GPU, saying so.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import torch

from cifarlab.config import load_config
from cifarlab.plan.cli import planned_epochs
from cifarlab.plan.measure import _build, input_images, step_seconds
from cifarlab.plan.workload import build_workload, predict
from cifarlab.steps.train import loader_over
from cifarlab.train.loop import evaluate, progress_bar, train_one_epoch

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("cnn4", "resnet_20", "wrn_16_8", "efficientnet_b2", "resnet50_imagenet")
CPU_BATCH = 8  # images per step when the CPU stands in (the parts' code is the same)
CUDA_TESTS = ["tests/train/test_fit.py", "tests/data/test_loader.py", "-k", "cuda"]


def _setup(cfg, name: str, dev: torch.device, batch_cap: int | None, steps: int, **precision):
    """(exp, workload, model, optimizer, precision, settings, transformed batches, loader)."""
    exp = cfg.experiments[name]
    w = build_workload(cfg, exp, planned_epochs(exp, cfg.profile), None)
    if batch_cap:
        w = dataclasses.replace(w, batch_size=min(w.batch_size, batch_cap))
    profile = dataclasses.replace(cfg.profile, **precision) if precision else cfg.profile
    model, opt, prec, settings = _build(exp, w, profile, dev)
    x, y, _ = input_images(w, steps * w.batch_size, None)
    resize = w.input_size if w.input_size != w.image_size else None
    loader = loader_over(exp, x, y, str(dev), train=True, seed=0, num_classes=w.num_classes,
                         resize=resize, batch_size=w.batch_size)
    return exp, w, model, opt, prec, settings, list(loader), loader


def _stepper(model, opt, prec, settings, dev) -> Callable[[Any], Callable[[], object]]:
    bar = progress_bar(1, "check", False)
    return lambda batches: (lambda: train_one_epoch(
        model, batches, opt, prec, epoch=1, label_smoothing=settings.label_smoothing,
        grad_clip=settings.grad_clip, device=dev, bar=bar, micro_batch=settings.micro_batch))


def data_share(cfg, dev, cap, steps) -> dict[str, Any]:
    out = {}
    for name in MODELS:
        _, w, model, opt, prec, settings, cached, loader = _setup(cfg, name, dev, cap, steps)
        step = _stepper(model, opt, prec, settings, dev)
        timing = dict(max_steps=steps, repeats=2, target_s=1.0)
        model_s = step_seconds(lambda n: step(cached[:n]), dev, **timing)
        full_s = step_seconds(lambda n: step(_Take(loader, n)), dev, **timing)
        out[name] = {"batch": w.batch_size, "input_px": w.input_size, "model_step_s": model_s,
                     "full_step_s": full_s, "data_share": max(0.0, 1 - model_s / full_s),
                     "precision": prec.dtype, "channels_last": prec.channels_last}
    return out


class _Take:
    """The first n batches of a loader, with len()."""

    def __init__(self, loader, n: int):
        self.loader, self.n = loader, n

    def __len__(self) -> int:
        return min(self.n, len(self.loader))

    def __iter__(self):
        for i, batch in enumerate(self.loader):
            if i == len(self):
                return
            yield batch


def amp_vs_fp32(cfg, dev, cap, steps=20) -> dict[str, Any]:
    out = {}
    for amp in (False, True):
        torch.manual_seed(0)
        _, w, model, opt, prec, settings, cached, _ = _setup(
            cfg, "resnet_20", dev, cap, steps + 1, amp=amp, channels_last=False)
        # _build uses lr 0 (timing only): here the loss must move, at the recipe's lr scaled
        # linearly to the batch timed (the CPU's batch of 8 would diverge at 0.1).
        for group in opt.param_groups:
            group["lr"] = settings.lr * w.batch_size / cfg.experiments["resnet_20"].recipe.batch_size
        step = _stepper(model, opt, prec, settings, dev)
        start = time.perf_counter()
        step(cached[:steps])()
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        seconds = (time.perf_counter() - start) / steps
        held = evaluate(model, cached[steps:], prec, label_smoothing=0.0, device=dev)
        out["amp" if amp else "fp32"] = {"s_per_step": seconds, "loss_after": held.loss,
                                         "precision": prec.dtype}
    out["speedup"] = out["fp32"]["s_per_step"] / out["amp"]["s_per_step"]
    return out


def channels_last_ratio(cfg, dev, cap, steps) -> dict[str, Any]:
    name = "resnet50_imagenet" if dev.type == "cuda" else "resnet_20"
    times = {}
    for cl in (False, True):
        _, w, model, opt, prec, settings, cached, _ = _setup(cfg, name, dev, cap, steps, channels_last=cl)
        step = _stepper(model, opt, prec, settings, dev)
        times[cl] = step_seconds(lambda n: step(cached[:n]), dev, max_steps=steps, repeats=2, target_s=1.0)
    return {"model": name, "batch": w.batch_size, "s_contiguous": times[False],
            "s_channels_last": times[True], "speedup": times[False] / times[True]}


def planner_vs_epoch(cfg, dev) -> dict[str, Any]:
    from cifarlab.plan.measure import measure

    exp = cfg.experiments["resnet_20"]
    w = build_workload(cfg, exp, planned_epochs(exp, cfg.profile), None)
    predicted = predict(w, measure(exp, w, cfg.profile, str(dev)), cfg.profile.name)["s_per_epoch"]
    _, w, model, opt, prec, settings, _, _ = _setup(cfg, "resnet_20", dev, None, 1)
    x, y, _ = input_images(w, w.train_images + w.val_images, None)
    train = loader_over(exp, x[:w.train_images], y[:w.train_images], str(dev), train=True, seed=0,
                        num_classes=w.num_classes)
    val = loader_over(exp, x[w.train_images:], y[w.train_images:], str(dev), train=False, seed=0,
                      num_classes=w.num_classes)
    torch.cuda.synchronize(dev)
    start = time.perf_counter()
    _stepper(model, opt, prec, settings, dev)(train)()
    evaluate(model, val, prec, label_smoothing=0.0, device=dev)
    torch.cuda.synchronize(dev)
    real = time.perf_counter() - start
    return {"predicted_s_per_epoch": predicted, "real_s_per_epoch": real,
            "ratio": predicted / real, "within_25pct": abs(predicted / real - 1) <= 0.25}


def gradcam(cfg, dev) -> dict[str, Any]:
    from cifarlab.steps.explain import gradcam_maps

    _, w, model, _, _, _, cached, _ = _setup(cfg, "resnet_20", dev, 4, 1)
    model.eval()
    maps = gradcam_maps(model, cached[0][0][:4], [0, 1, 2, 3], w.image_size)
    return {"device": str(dev), "shape": list(maps.shape), "finite": bool((maps == maps).all())}


def slots() -> dict[str, Any]:
    code = ("from cifarlab.device import gpu_ids, device_keys, _smi_listing, slot_key\n"
            "k = device_keys(_smi_listing()); print({g: slot_key(g, k) for g in gpu_ids()})")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    return {"gpus_to_keys": done.stdout.strip(), "rc": done.returncode}


def cuda_tests() -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *CUDA_TESTS],
                          capture_output=True, text=True, cwd=ROOT)
    return {"rc": done.returncode, "summary": done.stdout.strip().splitlines()[-1:]}


def _run(parts: dict[str, Callable[[], Any]], skipped: dict[str, str]) -> dict[str, Any]:
    results = {}
    for name, part in parts.items():
        start = time.perf_counter()
        try:
            results[name] = part()
        except Exception as exc:  # a failed part is a result, and the others still run
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
        print(f"gpu-check: {name}: {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    results.update({name: {"skipped": why} for name, why in skipped.items()})
    return results


def table(results: dict[str, Any]) -> str:
    lines = ["| part | result |", "|---|---|"]
    for name, res in results.items():
        if name == "data_share" and "error" not in res:
            for m, r in res.items():
                lines.append(f"| data path {m} (batch {r['batch']}, {r['input_px']} px) | model "
                             f"{r['model_step_s'] * 1e3:.1f} ms, full {r['full_step_s'] * 1e3:.1f} ms, "
                             f"data {100 * r['data_share']:.1f}% |")
        else:
            lines.append(f"| {name} | {json.dumps(res, default=float)[:200]} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--params", default=str(ROOT / "params.yaml"))
    p.add_argument("--out", type=Path, default=ROOT / "bench/results/gpu_check.json")
    args = p.parse_args(argv)
    cuda = torch.cuda.is_available()
    dev = torch.device("cuda" if cuda else "cpu")
    cfg = load_config(args.params, "full")
    if not cuda:
        cfg = dataclasses.replace(cfg, profile=dataclasses.replace(cfg.profile, device="cpu"))
        print(f"gpu-check: no CUDA GPU here: the GPU parts are skipped; the others run on the "
              f"CPU at batch {CPU_BATCH}", file=sys.stderr)
    cap, steps = (None, 10) if cuda else (CPU_BATCH, 2)
    parts = {"data_share": lambda: data_share(cfg, dev, cap, steps),
             "amp": lambda: amp_vs_fp32(cfg, dev, cap),
             "channels_last": lambda: channels_last_ratio(cfg, dev, cap, steps),
             "gradcam": lambda: gradcam(cfg, dev), "slots": slots}
    gpu_only = {"cuda_tests": cuda_tests, "planner": lambda: planner_vs_epoch(cfg, dev)}
    skipped = {} if cuda else {n: "no CUDA GPU on this machine" for n in gpu_only}
    results = _run({**parts, **(gpu_only if cuda else {})}, skipped)
    record = {"device": torch.cuda.get_device_name(0) if cuda else f"cpu ({platform.processor() or platform.machine()})",
              "torch": torch.__version__, "cuda": torch.version.cuda, "host": platform.node(),
              "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "batch_cap": cap,
              "results": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1, default=float) + "\n")
    print(table(results))
    print(f"gpu-check: wrote {args.out}" + ("" if cuda else f"; skipped (no GPU): {', '.join(skipped)}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
