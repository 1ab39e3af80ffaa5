"""Mixed precision and memory format: active on CUDA only, a no-op elsewhere."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable, ContextManager

import torch


@dataclass
class Precision:
    """How a step runs: the autocast context, the grad scaler, the input memory format."""

    autocast: Callable[[], ContextManager]
    scaler: torch.amp.GradScaler
    channels_last: bool
    dtype: str  # "float32" | "bfloat16" | "float16": what train.json reports

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        if self.channels_last and x.dim() == 4:
            return x.contiguous(memory_format=torch.channels_last)
        return x


def make_precision(device: torch.device, amp: bool, channels_last: bool) -> Precision:
    """bf16 autocast where the GPU supports it (no scaler needed), else fp16 + GradScaler.

    On CPU (and MPS) both switches are ignored: the run is plain float32 there, which is
    what makes CPU runs bit-reproducible.
    """
    cuda = device.type == "cuda"
    if not (cuda and amp):
        return Precision(contextlib.nullcontext, torch.amp.GradScaler("cuda", enabled=False),
                         cuda and channels_last, "float32")
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return Precision(
        lambda: torch.autocast("cuda", dtype=dtype),
        torch.amp.GradScaler("cuda", enabled=dtype == torch.float16),
        channels_last,
        str(dtype).removeprefix("torch."),
    )
