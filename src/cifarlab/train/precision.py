"""Mixed precision and memory format, on CUDA and on the CPU through one code path.

The training step always goes through :class:`Precision`: ``autocast()`` around the
forward pass, ``scaler.scale(loss).backward()``, ``scaler.step``/``update``. CUDA takes
bfloat16 where the GPU supports it (no scaler needed), else float16 with a GradScaler.
The CPU takes bfloat16 (torch's CPU autocast; a float16 GradScaler path exists on the CPU
too, ``amp_dtype="float16"``, so the scaler's code runs without a GPU), and
channels_last works on either device. With ``amp`` off a run is plain float32, which is
what makes CPU runs bit-reproducible.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable, ContextManager

import torch

AMP_DTYPES = ("auto", "bfloat16", "float16")


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


def _amp_dtype(device: torch.device, amp_dtype: str) -> torch.dtype:
    if amp_dtype not in AMP_DTYPES:
        raise ValueError(f"amp_dtype must be one of {', '.join(AMP_DTYPES)}, got {amp_dtype!r}")
    if amp_dtype != "auto":
        return getattr(torch, amp_dtype)
    if device.type == "cuda" and not torch.cuda.is_bf16_supported():
        return torch.float16
    return torch.bfloat16


def make_precision(device: torch.device, amp: bool, channels_last: bool,
                   amp_dtype: str = "auto") -> Precision:
    """The step's precision on ``device`` ("cuda" or "cpu"; elsewhere, MPS, plain float32).

    ``amp``: autocast in ``amp_dtype`` ("auto": bfloat16, or float16 on a GPU without
    bfloat16), with a GradScaler exactly when the dtype is float16.
    """
    device = torch.device(device)
    kind = device.type if device.type in ("cuda", "cpu") else None
    channels_last = bool(channels_last and kind)
    if not (amp and kind):
        return Precision(contextlib.nullcontext, torch.amp.GradScaler(kind or "cpu", enabled=False),
                         channels_last, "float32")
    dtype = _amp_dtype(device, amp_dtype)
    return Precision(
        lambda: torch.autocast(kind, dtype=dtype),
        torch.amp.GradScaler(kind, enabled=dtype == torch.float16),
        channels_last,
        str(dtype).removeprefix("torch."),
    )
