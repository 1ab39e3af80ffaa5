"""Will a training step at the recipe's batch fit on this device? (imports torch)

Before it times a step, the planner estimates the step's memory from one forward pass
at ``PROBE`` images: the bytes autograd saves for the backward pass (each storage once),
per image, times the batch, plus the parameters four times over (weights, gradients and
two optimizer moments). When that exceeds ``HEADROOM`` of the memory free here
(CUDA: ``mem_get_info``; CPU: MemAvailable, as the kernel's OOM killer would decide
before any Python error could), the step is timed at the largest batch that fits and
scaled per image, and the row says so; when not even ``PROBE`` images fit, the
experiment cannot be planned here and is named.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
from torch import nn

PROBE = 2  # images: BatchNorm in training mode needs more than one value per channel
HEADROOM = 0.7  # of the free memory: the allocator, the data and the eval pass need the rest


class TooLarge(RuntimeError):
    """Not even PROBE images of a training step fit here; the message says how much."""


@dataclass(frozen=True)
class MemoryEstimate:
    per_image_mb: float  # saved activations of one training image
    fixed_mb: float  # parameters x 4 (weights, gradients, two optimizer moments)
    free_mb: float  # free on the device now

    def step_mb(self, batch: int) -> float:
        return self.fixed_mb + self.per_image_mb * batch

    def largest_batch(self, batch: int, micro_batch: int | None = None) -> int:
        """``batch``, else the largest power of two under it whose step fits (0: none).
        With a ``micro_batch`` a step holds the activations of one micro-batch at a time."""
        budget = HEADROOM * self.free_mb
        if self.step_mb(min(batch, micro_batch or batch)) <= budget:
            return batch
        b = 1 << (max(1, batch).bit_length() - 1)
        while b >= PROBE and self.step_mb(b) > budget:
            b //= 2
        return b if b >= PROBE else 0


def free_mb(device: torch.device) -> float:
    """MiB free for a new allocation: CUDA's free memory, else the kernel's MemAvailable."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0] / 2**20
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**20


def estimate(model: nn.Module, x: torch.Tensor, autocast) -> MemoryEstimate:
    """Memory of a training step, from one forward of ``x`` (PROBE images, prepared as the
    step prepares them) under ``autocast`` (the step's autocast context factory)."""
    weights = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        s = t.untyped_storage()
        if s.data_ptr() not in weights:  # a layer saves its weight too: counted in fixed_mb
            seen[s.data_ptr()] = s.nbytes()
        return t

    model.train()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), autocast():
        out = model(x)
    del out
    params = sum(p.numel() * p.element_size() for p in model.parameters())
    return MemoryEstimate(sum(seen.values()) / x.shape[0] / 2**20, 4 * params / 2**20,
                          free_mb(x.device))
