"""Flip, padded crop, resize and normalize on batches (N, C, H, W)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as nnf
from torch import Tensor

from cifarlab.data.stats import Stats, resolve_stats
from cifarlab.data.tv_functional import TF, normalize

from ._base import Op, bcast, check_choice, check_fill, check_prob, check_size, rand, randint, register_op


@register_op("hflip")
class HFlip(Op):
    """Mirror left-right each sample independently with probability ``p``
    (torchvision ``RandomHorizontalFlip(p)``)."""

    def __init__(self, p: float = 0.5):
        self.p = check_prob("hflip", "p", p)

    def sample(self, gen: torch.Generator, n: int, device: torch.device) -> Tensor:
        """(N,) bool: which samples are flipped."""
        return rand(gen, (n,), device) < self.p

    def __call__(self, x: Tensor, gen: torch.Generator) -> Tensor:
        if self.p == 0.0:
            return x
        return torch.where(bcast(self.sample(gen, x.shape[0], x.device)), x.flip(-1), x)


_PAD_MODES = {"constant": "constant", "edge": "replicate", "reflect": "reflect"}


def _padding(v: object) -> tuple[int, int, int, int]:
    """torchvision's padding forms -> F.pad's (left, right, top, bottom), pixels."""
    if isinstance(v, int) and not isinstance(v, bool) and v >= 0:
        return v, v, v, v
    if isinstance(v, Sequence) and all(isinstance(p, int) and p >= 0 for p in v):
        if len(v) == 2:  # (left/right, top/bottom)
            return v[0], v[0], v[1], v[1]
        if len(v) == 4:  # (left, top, right, bottom)
            return v[0], v[2], v[1], v[3]
    raise ValueError(f"augment op 'random_crop': padding must be an int >= 0 or 2 or 4 ints, got {v!r}")


def crop_batch(x: Tensor, top: Tensor, left: Tensor, h: int, w: int) -> Tensor:
    """Per-sample ``h x w`` crops at (top, left) (int64, (N,)) with one gather."""
    n, c, hp, wp = x.shape
    rows = top[:, None] + torch.arange(h, device=x.device)  # (N, h)
    cols = left[:, None] + torch.arange(w, device=x.device)  # (N, w)
    flat = (rows[:, :, None] * wp + cols[:, None, :]).view(n, 1, h * w).expand(n, c, h * w)
    return x.reshape(n, c, hp * wp).gather(2, flat).view(n, c, h, w)


@register_op("random_crop")
class RandomCrop(Op):
    """torchvision ``RandomCrop(size, padding, fill, padding_mode)`` per sample.

    The batch is padded by ``padding`` pixels (int, [left/right, top/bottom] or
    [left, top, right, bottom]) with ``fill`` (constant mode, [0, 1] scale; torchvision's
    default zero fill) or ``padding_mode`` edge / reflect; then each sample is cropped to
    ``size`` (int or [h, w]; default: the input size) at an offset uniform over all
    valid positions (0 ... 2*padding for a same-size crop).
    """

    def __init__(self, size: int | list[int] | None = None, padding: int | list[int] = 0,
                 fill: float | list[float] = 0.0, padding_mode: str = "constant"):
        self.size = check_size("random_crop", "size", size)
        self.padding = _padding(padding)
        self.fill = check_fill("random_crop", "fill", fill)
        self.padding_mode = check_choice("random_crop", "padding_mode", padding_mode, list(_PAD_MODES))

    def _pad(self, x: Tensor) -> Tensor:
        if not any(self.padding):
            return x
        if self.padding_mode != "constant":
            return nnf.pad(x, self.padding, mode=_PAD_MODES[self.padding_mode])
        if len(self.fill) == 1:
            return nnf.pad(x, self.padding, value=self.fill[0])
        out = nnf.pad(x, self.padding, value=0.0)
        fill = torch.tensor(self.fill, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
        inner = torch.zeros_like(out[:1, :1], dtype=torch.bool)
        l, r, t, b = self.padding
        inner[..., t:t + x.shape[-2], l:l + x.shape[-1]] = True
        return torch.where(inner, out, fill)

    def sample(self, gen: torch.Generator, n: int, h: int, w: int, device: torch.device) -> Tensor:
        """(N, 2) int64 (top, left) of each crop in the padded image."""
        ch, cw = self.size or (h, w)
        l, r, t, b = self.padding
        if ch > h + t + b or cw > w + l + r:
            raise ValueError(f"augment op 'random_crop': crop {ch}x{cw} larger than padded input")
        top = randint(gen, h + t + b - ch + 1, n, device)
        left = randint(gen, w + l + r - cw + 1, n, device)
        return torch.stack([top, left], 1)

    def __call__(self, x: Tensor, gen: torch.Generator) -> Tensor:
        n, _, h, w = x.shape
        ch, cw = self.size or (h, w)
        top, left = self.sample(gen, n, h, w, x.device).unbind(1)
        return crop_batch(self._pad(x), top, left, ch, cw)


@register_op("resize")
class Resize(Op):
    """Deterministic resize of the whole batch to ``size`` (int: square, or [h, w]) pixels
    with torchvision.v2's ``resize`` (bilinear, antialiased when shrinking); e.g. s001's
    32 -> 64 upsampling for EfficientNet-B2."""

    def __init__(self, size: int | list[int], interpolation: str = "bilinear", antialias: bool = True):
        self.size = check_size("resize", "size", size)
        self.interpolation = check_choice("resize", "interpolation", interpolation,
                                          ["nearest", "bilinear", "bicubic"])
        if not isinstance(antialias, bool):
            raise ValueError(f"augment op 'resize': antialias must be true or false, got {antialias!r}")
        self.antialias = antialias

    def __call__(self, x: Tensor, gen: torch.Generator | None = None) -> Tensor:
        if tuple(x.shape[-2:]) == self.size:
            return x
        mode = TF.InterpolationMode(self.interpolation)
        return TF.resize(x, list(self.size), interpolation=mode, antialias=self.antialias)


@register_op("normalize")
class Normalize(Op):
    """``(x - mean) / std`` per channel (torchvision.v2 ``normalize``).

    ``stats``: a preset from ``cifarlab.data.stats.PRESETS`` ("cifar10", "imagenet", ...);
    or ``mean`` and ``std`` (a number for all channels, or one per channel, in the [0, 1]
    pixel scale, e.g. s000's 0.5 / 0.25); or nothing, meaning "the loader's dataset
    statistics", supplied at call time. Its place in the op list is where normalization
    happens (s002 erases with value 0 after it).
    """

    def __init__(self, stats: str | None = None, mean: float | list[float] | None = None,
                 std: float | list[float] | None = None):
        if stats is not None and (mean is not None or std is not None):
            raise ValueError("augment op 'normalize': give stats or mean/std, not both")
        if (mean is None) != (std is None):
            raise ValueError(f"augment op 'normalize': key {'std' if std is None else 'mean'!r} missing")
        self.stats = stats
        self.mean, self.std = mean, std
        self._fixed: Stats | None = None
        if stats is not None:
            self._fixed = resolve_stats(stats)
        elif mean is not None:
            self._fixed = resolve_stats({"mean": mean, "std": std})

    def __call__(self, x: Tensor, gen: torch.Generator | None = None, stats: Stats | None = None) -> Tensor:
        chosen = self._fixed or stats
        if chosen is None:
            raise ValueError("augment op 'normalize': no statistics; give stats or mean/std, "
                             "or run the pipeline through DeviceLoader(normalize=...)")
        mean, std = resolve_stats(chosen, channels=x.shape[1])
        return normalize(x, mean, std)
