"""The torch side of evaluation: predictions, latency and peak memory."""

from __future__ import annotations

import contextlib
import resource
import statistics
import sys
import time
from typing import Iterable

import numpy as np
import torch
from torch import nn


def _device(device: str | torch.device) -> torch.device:
    return device if isinstance(device, torch.device) else torch.device(device)


def _autocast(device: torch.device, amp: bool | None):
    """fp16 autocast on CUDA (default on there), nothing elsewhere."""
    if device.type == "cuda" and amp is not False:
        return torch.autocast("cuda", dtype=torch.float16)
    return contextlib.nullcontext()


@contextlib.contextmanager
def _eval_mode(model: nn.Module):
    """Put ``model`` in eval mode for the block and restore its previous mode after."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def predict(
    model: nn.Module, loader: Iterable, device: str | torch.device, *, amp: bool | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Class probabilities and labels for every batch of ``loader``.

    ``loader`` yields ``(x, y)`` already on ``device`` (a ``DeviceLoader`` with
    ``train=False``, which keeps order and every sample, so row i matches the split's
    ``indices[i]``). The model runs in eval mode under ``torch.inference_mode``, with fp16
    autocast on CUDA unless ``amp=False``; softmax is taken in float32.
    Returns ``(probs float32 (N, K), labels int64 (N,))`` as numpy arrays on the host.
    """
    dev = _device(device)
    probs, labels = [], []
    with _eval_mode(model), torch.inference_mode():
        for x, y in loader:
            with _autocast(dev, amp):
                logits = model(x)
            probs.append(logits.float().softmax(dim=1).cpu())
            labels.append(y.cpu())
    if not probs:
        raise ValueError("the loader yielded no batches")
    return torch.cat(probs).numpy().astype(np.float32), torch.cat(labels).numpy().astype(np.int64)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _median_ms_per_image(model: nn.Module, x: torch.Tensor, device: torch.device,
                         amp: bool | None, warmup: int, repeats: int) -> float:
    times = []
    for i in range(warmup + repeats):
        _sync(device)
        start = time.perf_counter()
        with _autocast(device, amp):
            model(x)
        _sync(device)  # CUDA kernels are asynchronous: wait before reading the clock
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000.0 / x.shape[0]


def measure_latency(
    model: nn.Module,
    input_shape: tuple[int, int, int],
    device: str | torch.device,
    batch_sizes: tuple[int, int] = (256, 1),
    warmup: int = 3,
    repeats: int = 10,
    *,
    amp: bool | None = None,
    seed: int = 0,
) -> dict[str, float | int]:
    """Inference latency in milliseconds per image, median over ``repeats`` timed forwards.

    ``input_shape`` is one image (C, H, W) as the model sees it (after any resize).
    ``batch_sizes = (B, b)``: B gives ``latency_ms_per_image_batched`` (throughput-like,
    the batch time / B) and b (normally 1) gives ``latency_ms_per_image_b1``. Inputs are
    random normal tensors; each size gets ``warmup`` untimed forwards first. On CUDA the
    clock is read after ``torch.cuda.synchronize``; on CPU time.perf_counter alone (the
    timing then depends on torch's thread count, recorded as ``latency_threads``).
    Returns those two values plus ``latency_batch_size`` (B) and ``latency_threads``.
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f"need repeats >= 1 and warmup >= 0, got {repeats} and {warmup}")
    dev = _device(device)
    gen = torch.Generator().manual_seed(seed)
    out: dict[str, float | int] = {}
    with _eval_mode(model), torch.inference_mode():
        for key, bs in zip(("latency_ms_per_image_batched", "latency_ms_per_image_b1"), batch_sizes):
            x = torch.randn((bs, *input_shape), generator=gen).to(dev)
            out[key] = round(_median_ms_per_image(model, x, dev, amp, warmup, repeats), 4)
    out["latency_batch_size"] = int(batch_sizes[0])
    out["latency_threads"] = int(torch.get_num_threads())
    return out


def reset_peak_memory(device: str | torch.device) -> None:
    """Start a fresh CUDA peak-memory window (no-op on CPU: max RSS cannot be reset)."""
    dev = _device(device)
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)


def peak_memory_mb(device: str | torch.device) -> tuple[float, str]:
    """Peak memory in MiB and where it was read from.

    CUDA: ``torch.cuda.max_memory_allocated`` since the last :func:`reset_peak_memory`
    (tensors only, source ``"cuda_max_allocated"``). Elsewhere: this process's maximum
    resident set size over its whole life, from ``resource.getrusage`` (source
    ``"process_max_rss"``: includes the interpreter, libraries and the loaded data, so it
    is far larger than the model's own needs and not comparable with a CUDA figure).
    """
    dev = _device(device)
    if dev.type == "cuda":
        return round(torch.cuda.max_memory_allocated(dev) / 2**20, 2), "cuda_max_allocated"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_bytes = rss if sys.platform == "darwin" else rss * 1024  # Linux reports KiB
    return round(rss_bytes / 2**20, 2), "process_max_rss"
