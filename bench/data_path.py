"""Benchmark (not a test): seed-style PIL data path vs cifarlab's batched device data path.

For s000's and s002's augmentation stacks it measures, over random uint8 CIFAR-shaped
images (labels random, 10 classes):

1. the data path alone, in images/s:
   (a) seed style: a torchvision ``Dataset`` of HWC uint8 arrays -> PIL -> per-image
       ``torchvision.transforms`` (v1, as the seeds) -> ``DataLoader(num_workers=2)``;
   (b) ours: ``DeviceLoader`` (uint8 on the device, ``build_augment`` batch ops).
2. a full training step (forward, backward, SGD step) at batch 128 for cnn4 and
   resnet_20, images/s, (a) vs (b).

Each timing is one whole epoch of the loader started after a warm-up epoch (persistent
workers), so worker start-up is excluded and prefetching cannot inflate the result.
On CUDA it uses AMP (bf16 where supported), channels_last, optional ``--compile``, and
reports the data path's share of step time. Ratios are printed last.

    .venv/bin/python bench/data_path.py                 # ~3-5 min on a 2-core CPU
    .venv/bin/python bench/data_path.py --data-batches 10 --step-batches 3 --models cnn4
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from pathlib import Path

import numpy as np
import torch
import torchvision.transforms as T
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from cifarlab.config import explicit_augment_ops, load_config
from cifarlab.data.augment import build_augment
from cifarlab.data.loader import DeviceLoader


CFG = load_config(Path(__file__).resolve().parents[1] / "params.yaml", profile="full")
CIFAR100 = (list(CFG.datasets["cifar100"].mean), list(CFG.datasets["cifar100"].std))
STACKS = {
    "s000": {
        "ours": explicit_augment_ops(CFG, "s000_adamw", "cifar10"),
        "seed": lambda: T.Compose([
            T.RandomHorizontalFlip(0.5), T.RandomRotation(30),
            T.RandomResizedCrop(32, scale=(0.8, 1.0), ratio=(0.9, 1.1)), T.ColorJitter(0.2, 0.2, 0.2),
            T.ToTensor(), T.RandomErasing(p=0.6, scale=(0.02, 0.1), value="random"),
            T.Normalize([0.5] * 3, [0.25] * 3)]),
    },
    "s002": {
        "ours": explicit_augment_ops(CFG, "s002_sgd", "cifar100"),
        "seed": lambda: T.Compose([
            T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.TrivialAugmentWide(), T.ToTensor(),
            T.Normalize(*CIFAR100), T.RandomErasing(p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0)]),
    },
}


class SeedStyleDataset(Dataset):
    """What the seeds do: HWC uint8 arrays, ``Image.fromarray`` and a per-image transform."""

    def __init__(self, images_hwc: np.ndarray, labels: np.ndarray, transform):
        self.images, self.labels, self.transform = images_hwc, labels, transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        return self.transform(Image.fromarray(self.images[i])), int(self.labels[i])


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_epoch(loader, device: torch.device, consume) -> float:
    """Seconds for one full pass over ``loader`` (after one warm-up pass)."""
    for batch in loader:  # warm-up: workers started, kernels compiled, caches hot
        consume(*batch)
    sync(device)
    start = time.perf_counter()
    for batch in loader:
        consume(*batch)
    sync(device)
    return time.perf_counter() - start


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, n).astype(np.int64)


def loaders(stack: str, images: np.ndarray, labels: np.ndarray, args, device: torch.device):
    seed_loader = DataLoader(SeedStyleDataset(images, labels, STACKS[stack]["seed"]()), batch_size=args.batch_size,
                             shuffle=True, num_workers=args.workers, persistent_workers=args.workers > 0,
                             pin_memory=device.type == "cuda", drop_last=True)
    ours = DeviceLoader(torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(labels),
                        args.batch_size, train=True, augment=build_augment(STACKS[stack]["ours"]), seed=0,
                        device=device, drop_last=True, channels_last=device.type == "cuda")
    return seed_loader, ours


def data_path(stack: str, args, device: torch.device) -> dict[str, float]:
    n = args.data_batches * args.batch_size
    images, labels = make_data(n)
    seed_loader, ours = loaders(stack, images, labels, args, device)
    # (a) moves each batch to the device, as a training loop would.
    t_a = time_epoch(seed_loader, device, lambda x, y: (x.to(device, non_blocking=True), y.to(device)))
    t_b = time_epoch(ours, device, lambda x, y: None)
    return {"a": n / t_a, "b": n / t_b}


def train_step_fn(model_name: str, device: torch.device, args):
    from cifarlab.models import get_model

    model = get_model(model_name, num_classes=10).to(device)
    cuda = device.type == "cuda"
    if cuda:
        model = model.to(memory_format=torch.channels_last)
    step_model = torch.compile(model) if args.compile else model
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    amp_dtype = torch.bfloat16 if cuda and torch.cuda.is_bf16_supported() else None
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(x: torch.Tensor, y: torch.Tensor) -> None:
        x = x.to(device, non_blocking=True)
        if cuda:
            x = x.contiguous(memory_format=torch.channels_last)
        y = y.to(device, non_blocking=True)
        ctx = torch.autocast("cuda", dtype=amp_dtype) if amp_dtype else contextlib.nullcontext()
        with ctx:
            loss = loss_fn(step_model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def train_steps(stack: str, model_name: str, args, device: torch.device) -> dict[str, float]:
    n = args.step_batches * args.batch_size
    images, labels = make_data(n, seed=1)
    seed_loader, ours = loaders(stack, images, labels, args, device)
    step = train_step_fn(model_name, device, args)
    t_a = time_epoch(seed_loader, device, step)
    t_b = time_epoch(ours, device, step)
    out = {"a": n / t_a, "b": n / t_b}
    if device.type == "cuda":  # the same steps on one fixed, already prepared batch
        x, y = next(iter(ours))
        t_model = time_epoch([(x, y)] * args.step_batches, device, step)
        out["model_only"] = n / t_model
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--data-batches", type=int, default=30, help="batches per timed data-path epoch")
    p.add_argument("--step-batches", type=int, default=6, help="batches per timed training epoch")
    p.add_argument("--workers", type=int, default=2, help="DataLoader workers of the seed-style path")
    p.add_argument("--stacks", default="s000,s002")
    p.add_argument("--models", default="cnn4,resnet_20", help="comma list; empty to skip training steps")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--compile", action="store_true", help="torch.compile the model (CUDA runs)")
    args = p.parse_args()
    device = torch.device(args.device)
    stacks = [s for s in args.stacks.split(",") if s]
    models = [m for m in args.models.split(",") if m]
    print(f"device {device} | cpus {os.cpu_count()} | torch threads {torch.get_num_threads()} | "
          f"batch {args.batch_size} | seed-style workers {args.workers} | torch {torch.__version__}")

    ratios = []
    print("\n== data path alone (images/s) ==")
    print(f"{'stack':6} {'(a) PIL+DataLoader':>20} {'(b) DeviceLoader':>18} {'b/a':>7}")
    for stack in stacks:
        r = data_path(stack, args, device)
        print(f"{stack:6} {r['a']:20.0f} {r['b']:18.0f} {r['b'] / r['a']:7.2f}", flush=True)
        ratios.append((f"data path {stack}", r["b"] / r["a"]))

    if models:
        print("\n== full training step (images/s) ==")
        extra = f" {'model only':>11} {'data share':>10}" if device.type == "cuda" else ""
        print(f"{'model':10} {'stack':6} {'(a) PIL+DataLoader':>20} {'(b) DeviceLoader':>18} {'b/a':>7}{extra}")
        for model_name in models:
            for stack in stacks:
                r = train_steps(stack, model_name, args, device)
                line = f"{model_name:10} {stack:6} {r['a']:20.0f} {r['b']:18.0f} {r['b'] / r['a']:7.2f}"
                if "model_only" in r:  # share of (b)'s step time spent outside the model step
                    share = max(0.0, 1.0 - r["b"] / r["model_only"])
                    line += f" {r['model_only']:11.0f} {share:10.1%}"
                print(line, flush=True)
                ratios.append((f"train step {model_name} {stack}", r["b"] / r["a"]))

    print("\n== ratios (b) DeviceLoader / (a) PIL+DataLoader ==")
    for name, ratio in ratios:
        print(f"{name:32} {ratio:6.2f}x")


if __name__ == "__main__":
    main()
