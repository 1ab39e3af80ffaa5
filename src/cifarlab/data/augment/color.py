"""Colour ops with a per-sample factor, on float batches in [0, 1].

torchvision.v2's ``adjust_*`` kernels take one scalar factor for the whole batch; these
take one factor per sample (``(N,)`` tensors) and follow torchvision's float formulas:
blend with black (brightness), with the mean grey level (contrast), with the greyscale
image (saturation), with a 3x3-smoothed image (sharpness, its degenerate image computed
by torchvision.v2), and a hue rotation in HSV space. Results are clamped to [0, 1].
"""

from __future__ import annotations

import torch
from torch import Tensor

from cifarlab.data.tv_functional import TF

from ._base import Op, bcast, check_range, rand, register_op, uniform


def grayscale(x: Tensor) -> Tensor:
    """ITU-R 601-2 luma (torchvision's weights), (N, 1, H, W)."""
    if x.shape[1] == 1:
        return x
    r, g, b = x.unbind(1)
    return (0.2989 * r + 0.587 * g + 0.114 * b).unsqueeze(1)


def blend(a: Tensor, b: Tensor | float, factor: Tensor) -> Tensor:
    """``factor * a + (1 - factor) * b`` per sample, clamped to [0, 1]."""
    f = bcast(factor.to(a.dtype))
    if isinstance(b, float) and b == 0.0:
        return (a * f).clamp_(0.0, 1.0)
    # b is a grey level or a grey image (N, 1, H, W): one fused pass over a.
    return torch.addcmul((1.0 - f) * b, a, f).clamp_(0.0, 1.0)


def adjust_brightness(x: Tensor, factor: Tensor) -> Tensor:
    return blend(x, 0.0, factor)


def adjust_contrast(x: Tensor, factor: Tensor) -> Tensor:
    mean = grayscale(x).mean(dim=(-3, -2, -1), keepdim=True)
    return blend(x, mean, factor)


def adjust_saturation(x: Tensor, factor: Tensor) -> Tensor:
    if x.shape[1] == 1:
        return x
    return blend(x, grayscale(x), factor)


def adjust_sharpness(x: Tensor, factor: Tensor) -> Tensor:
    degenerate = TF.adjust_sharpness(x, 0.0)  # smoothed image, borders kept
    return blend(x, degenerate, factor)


def posterize(x: Tensor, bits: Tensor) -> Tensor:
    """Keep the top ``bits`` (1..8) bits of each 8-bit pixel value, as PIL / uint8 tensors."""
    q = torch.round(x * 255.0)
    step = bcast(torch.pow(2.0, 8 - bits.to(x.dtype)))
    return torch.floor(q / step) * step / 255.0


def solarize(x: Tensor, threshold: Tensor) -> Tensor:
    """Invert pixels ``>= threshold`` (in [0, 1])."""
    return torch.where(x >= bcast(threshold.to(x.dtype)), 1.0 - x, x)


def _rgb_to_hsv(x: Tensor) -> Tensor:
    r, g, b = x.unbind(1)
    maxc, minc = x.max(1).values, x.min(1).values
    eqc = maxc == minc
    cr = maxc - minc
    ones = torch.ones_like(maxc)
    s = cr / torch.where(eqc, ones, maxc)
    div = torch.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / div, (maxc - g) / div, (maxc - b) / div
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = torch.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return torch.stack([h, s, maxc], 1)


def _hsv_to_rgb(x: Tensor) -> Tensor:
    h, s, v = x.unbind(1)
    i = torch.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.long() % 6
    p = (v * (1.0 - s)).clamp(0.0, 1.0)
    q = (v * (1.0 - s * f)).clamp(0.0, 1.0)
    t = (v * (1.0 - s * (1.0 - f))).clamp(0.0, 1.0)
    table = torch.stack([torch.stack(c, 1) for c in
                         [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]], 1)
    return table.gather(1, i[:, None, None].expand(-1, 1, 3, -1, -1)).squeeze(1)


def adjust_hue(x: Tensor, shift: Tensor) -> Tensor:
    """Rotate hue by ``shift`` turns (in [-0.5, 0.5]) per sample."""
    if x.shape[1] == 1:
        return x
    hsv = _rgb_to_hsv(x)
    h = torch.remainder(hsv[:, 0] + shift.to(x.dtype).view(-1, 1, 1), 1.0)
    return _hsv_to_rgb(torch.stack([h, hsv[:, 1], hsv[:, 2]], 1))


@register_op("color_jitter")
class ColorJitter(Op):
    """torchvision ``ColorJitter(brightness, contrast, saturation, hue)`` per sample.

    A number b means factor ~ U[max(0, 1 - b), 1 + b] (b = 0.2: +-20 %); a [min, max] pair
    is used as given. hue h: shift ~ U[-h, h] turns, h <= 0.5. Each sample applies its
    enabled adjustments in its own random order (torchvision draws a permutation per call).
    """

    def __init__(self, brightness: float | list[float] = 0.0, contrast: float | list[float] = 0.0,
                 saturation: float | list[float] = 0.0, hue: float | list[float] = 0.0):
        self.brightness = check_range("color_jitter", "brightness", brightness, symmetric=True, center=1.0, low=0.0)
        self.contrast = check_range("color_jitter", "contrast", contrast, symmetric=True, center=1.0, low=0.0)
        self.saturation = check_range("color_jitter", "saturation", saturation, symmetric=True, center=1.0, low=0.0)
        self.hue = check_range("color_jitter", "hue", hue, symmetric=True, low=-0.5, high=0.5)
        neutral = {"brightness": 1.0, "contrast": 1.0, "saturation": 1.0, "hue": 0.0}
        self._active = [k for k, v in neutral.items() if getattr(self, k) != (v, v)]

    def sample(self, gen: torch.Generator, n: int, device: torch.device) -> tuple[dict[str, Tensor], Tensor]:
        """Per-sample factors of the enabled adjustments and (N, k) their order of application
        (indices into the enabled names)."""
        factors = {name: uniform(gen, n, *getattr(self, name), device) for name in self._active}
        order = torch.argsort(rand(gen, (n, len(self._active)), device), dim=1)
        return factors, order

    def __call__(self, x: Tensor, gen: torch.Generator) -> Tensor:
        k = len(self._active)
        if k == 0:
            return x
        factors, order = self.sample(gen, x.shape[0], x.device)
        idx = {name: j for j, name in enumerate(self._active)}
        for pos in range(k):
            x = self._step(x, order[:, pos], factors, idx)
        return x

    def _step(self, x: Tensor, chosen: Tensor, factors: dict[str, Tensor], idx: dict[str, int]) -> Tensor:
        """Apply each sample's adjustment ``chosen`` (index into the enabled names).

        Brightness, contrast and saturation are all ``blend(x, base, f)`` with base black,
        the mean grey level, or the grey image, so one blend serves every sample.
        """
        f = torch.ones_like(chosen, dtype=x.dtype)
        for name in ("brightness", "contrast", "saturation"):
            if name in idx:
                f = torch.where(chosen == idx[name], factors[name], f)
        base: Tensor | float = 0.0
        if "contrast" in idx or "saturation" in idx:
            gray = grayscale(x)
            zero = torch.zeros((), dtype=x.dtype, device=x.device)
            base = torch.where(bcast(chosen == idx.get("contrast", -1)),
                               gray.mean(dim=(-3, -2, -1), keepdim=True), zero)
            if "saturation" in idx and x.shape[1] > 1:
                base = torch.where(bcast(chosen == idx["saturation"]), gray, base)
        x = blend(x, base, f)
        if "hue" in idx:
            sub = (chosen == idx["hue"]).nonzero().squeeze(1)
            x = x.index_copy(0, sub, adjust_hue(x[sub], factors["hue"][sub]))
        return x
