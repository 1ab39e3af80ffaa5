"""Random erasing and Cutout: per-sample rectangles, built as masks over the whole batch."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ._base import Op, check_fill, check_int, check_prob, check_range, rand, randint, register_op, uniform


def box_mask(top: Tensor, left: Tensor, bh: Tensor, bw: Tensor, h: int, w: int) -> Tensor:
    """(N, 1, h, w) bool mask of the boxes rows [top, top+bh) x cols [left, left+bw)."""
    rows = torch.arange(h, device=top.device)[None]
    cols = torch.arange(w, device=top.device)[None]
    in_r = (rows >= top[:, None]) & (rows < (top + bh)[:, None])
    in_c = (cols >= left[:, None]) & (cols < (left + bw)[:, None])
    return (in_r[:, :, None] & in_c[:, None, :])[:, None]


def erasing_params(gen: torch.Generator, n: int, h: int, w: int, scale: tuple[float, float],
                   ratio: tuple[float, float], device: torch.device, attempts: int = 10) -> Tensor:
    """torchvision ``RandomErasing.get_params`` for n samples: up to 10 tries of area
    ~ U(scale) * h * w and log-aspect (height / width) ~ U(log ratio); the first box with
    height < h and width < w wins, else nothing is erased (box of size 0).
    Returns (N, 4) int64 (top, left, bh, bw)."""
    area = uniform(gen, n * attempts, *scale, device).view(n, attempts) * (h * w)
    aspect = torch.exp(uniform(gen, n * attempts, math.log(ratio[0]), math.log(ratio[1]), device)).view(n, attempts)
    bh = torch.round(torch.sqrt(area * aspect)).long()
    bw = torch.round(torch.sqrt(area / aspect)).long()
    ok = (bh < h) & (bw < w)
    first = ok.int().argmax(1, keepdim=True)
    found = ok.any(1)
    bh = torch.where(found, bh.gather(1, first)[:, 0], torch.zeros_like(found, dtype=torch.long))
    bw = torch.where(found, bw.gather(1, first)[:, 0], torch.zeros_like(found, dtype=torch.long))
    top = randint(gen, h - bh + 1, n, device)
    left = randint(gen, w - bw + 1, n, device)
    return torch.stack([top, left, bh, bw], 1)


@register_op("random_erasing")
class RandomErasing(Op):
    """torchvision ``RandomErasing(p, scale, ratio, value)`` per sample.

    With probability ``p`` a rectangle covering a fraction ``scale`` of the image area
    with height/width ratio in ``ratio`` (log-uniform) is replaced by ``value``: a number
    or one per channel, in the units of the tensor at that point of the op list (0 after
    ``normalize`` is the dataset mean, as in s002), or ``"random"``: standard-normal noise
    per pixel and channel (as torchvision; s000 erases before normalizing).
    """

    def __init__(self, p: float = 0.5, scale: list[float] = (0.02, 0.33), ratio: list[float] = (0.3, 3.3),
                 value: float | list[float] | str = 0.0):
        self.p = check_prob("random_erasing", "p", p)
        self.scale = check_range("random_erasing", "scale", list(scale), low=0.0, high=1.0)
        self.ratio = check_range("random_erasing", "ratio", list(ratio), low=1e-6)
        self.value = value if value == "random" else check_fill("random_erasing", "value", value)

    def sample(self, gen: torch.Generator, n: int, h: int, w: int, device: torch.device) -> Tensor:
        """(N, 4) int64 boxes (top, left, height, width); height = width = 0: not erased."""
        apply = rand(gen, (n,), device) < self.p
        box = erasing_params(gen, n, h, w, self.scale, self.ratio, device)
        return box * torch.stack([torch.ones_like(apply), torch.ones_like(apply), apply, apply], 1).long()

    def __call__(self, x: Tensor, gen: torch.Generator) -> Tensor:
        n, c, h, w = x.shape
        if self.p == 0.0:
            return x
        mask = box_mask(*self.sample(gen, n, h, w, x.device).unbind(1), h, w)
        if self.value == "random":
            # Draw exactly one normal per erased pixel and channel (a few % of the batch).
            mask = mask.expand(n, c, h, w)
            count = int(mask.sum())
            noise = torch.randn(count, generator=gen, device=gen.device, dtype=x.dtype).to(x.device)
            return x.masked_scatter(mask, noise)
        fill = torch.tensor(self.value, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
        return torch.where(mask, fill, x)


@register_op("cutout")
class Cutout(Op):
    """Cutout as in s004: with probability ``p`` a ``length`` x ``length`` pixel square centred
    on a uniformly drawn pixel (clipped at the border, so edge boxes are smaller) is set to
    ``value`` (0 in s004, which multiplies by a mask)."""

    def __init__(self, length: int = 16, p: float = 1.0, value: float | list[float] = 0.0):
        self.length = check_int("cutout", "length", length, low=0)
        self.p = check_prob("cutout", "p", p)
        self.value = check_fill("cutout", "value", value)

    def __call__(self, x: Tensor, gen: torch.Generator) -> Tensor:
        n, _, h, w = x.shape
        if self.p == 0.0 or self.length == 0:
            return x
        apply = rand(gen, (n,), x.device) < self.p
        cy, cx = randint(gen, h, n, x.device), randint(gen, w, n, x.device)
        half = self.length // 2
        y1, y2 = (cy - half).clamp(0, h), (cy + half).clamp(0, h)
        x1, x2 = (cx - half).clamp(0, w), (cx + half).clamp(0, w)
        mask = box_mask(y1, x1, (y2 - y1) * apply, x2 - x1, h, w)
        fill = torch.tensor(self.value, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
        return torch.where(mask, fill, x)
