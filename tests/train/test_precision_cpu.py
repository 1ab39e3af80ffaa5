"""Issue 19, item 3: the CUDA precision paths, run on the CPU through the same code.

``make_precision`` gives the CPU what it gives CUDA: autocast (bfloat16), a GradScaler
(float16), channels_last. A tiny conv net trained with each must agree with the plain
float32 fit within what the format allows:

- bfloat16 keeps 8 significant bits: unit roundoff u = 2**-8. Autocast rounds the input
  and the weight of each of the 3 matmul-like layers (each product within 2u relative),
  so one step's loss may move by about 3 * 2u relative, and a short fit at a small lr
  does not amplify it: the per-epoch mean loss must stay within 8u relative.
- float16 (10 bits, u = 2**-11) with the GradScaler: the same bound at float16's u.
- channels_last alone only reorders the convolutions' sums in float32: the losses agree
  to n * eps(float32) relative, n the longest reduction (3*3*8 = 72 products, plus the
  batch's 256-element mean), with a factor 16 for the steps.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from cifarlab.train.loop import progress_bar, train_one_epoch
from cifarlab.train.precision import make_precision

CPU = torch.device("cpu")
EPOCHS, BATCHES, BATCH = 2, 4, 16


def _net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(8, 4))


def _batches():
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(BATCHES * BATCH, 3, 8, 8, generator=gen)
    y = (x.mean(dim=(2, 3)) @ torch.randn(3, 4, generator=gen)).argmax(1)
    return list(zip(x.split(BATCH), y.split(BATCH)))


def _fit(amp: bool, channels_last: bool, amp_dtype: str = "auto") -> tuple[list[float], str, bool]:
    """Per-epoch mean training losses, the precision's dtype, whether the scaler ran."""
    model, data = _net(), _batches()
    precision = make_precision(CPU, amp, channels_last, amp_dtype)
    if precision.channels_last:
        model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    losses = [train_one_epoch(model, data, opt, precision, epoch=e, label_smoothing=0.0,
                              grad_clip=1.0, device=CPU, bar=progress_bar(BATCHES, "", False)).loss
              for e in range(1, EPOCHS + 1)]
    return losses, precision.dtype, precision.scaler.is_enabled()


def _rel(a: list[float], b: list[float]) -> float:
    return max(abs(x - y) / abs(y) for x, y in zip(a, b))


def test_cpu_autocast_bfloat16_and_channels_last_agree_with_the_plain_fit():
    plain, dtype, _ = _fit(False, False)
    assert dtype == "float32"
    amp, dtype, scaled = _fit(True, True)
    assert (dtype, scaled) == ("bfloat16", False)
    u = 2.0 ** -8
    assert _rel(amp, plain) <= 8 * u, f"bf16 + channels_last: {amp} vs {plain}"
    assert amp != plain  # autocast really ran in bfloat16


def test_float16_with_the_grad_scaler_runs_on_the_cpu():
    plain, _, _ = _fit(False, False)
    half, dtype, scaled = _fit(True, False, "float16")
    assert (dtype, scaled) == ("float16", True)
    assert _rel(half, plain) <= 8 * 2.0 ** -11


def test_channels_last_alone_reorders_float32_sums_only():
    plain, _, _ = _fit(False, False)
    cl, dtype, _ = _fit(False, True)
    assert dtype == "float32"
    eps = torch.finfo(torch.float32).eps
    assert _rel(cl, plain) <= 16 * (72 + 256) * eps


def test_precision_refuses_an_unknown_dtype():
    with pytest.raises(ValueError, match="amp_dtype must be one of"):
        make_precision(CPU, True, False, "float8")
