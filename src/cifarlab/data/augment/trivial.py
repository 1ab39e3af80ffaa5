"""TrivialAugment Wide with one op and one magnitude drawn per sample.

torchvision.v2's ``TrivialAugmentWide`` draws ONE op and magnitude per call, i.e. per
batch when given a batched tensor. Here each sample draws its own, uniformly from the
same 14 ops and ``num_magnitude_bins`` magnitudes (signed ops negated with probability
1/2), and samples that drew the same kind of op are processed together: all geometric
ops as one affine warp, the colour ops with per-sample factors (``color.py``),
autocontrast / equalize through torchvision.v2's batched kernels.
"""

from __future__ import annotations

import torch
from torch import Tensor

from cifarlab.data.tv_functional import TF

from . import color
from ._base import Op, check_choice, check_fill, check_int, rand, randint, register_op
from .geometry import affine_batch, inverse_affine

# name, magnitudes(num_bins) or None, signed -- torchvision 0.2x's _AUGMENTATION_SPACE.
# Units: shear = tan(shear angle); translate = pixels (absolute, as torchvision's "wide"
# space); rotate = degrees; colour ops = factor - 1; posterize = bits kept; solarize =
# threshold as a fraction of full scale.
SPACE: list[tuple[str, object, bool]] = [
    ("identity", None, False),
    ("shear_x", lambda b: torch.linspace(0.0, 0.99, b), True),
    ("shear_y", lambda b: torch.linspace(0.0, 0.99, b), True),
    ("translate_x", lambda b: torch.linspace(0.0, 32.0, b), True),
    ("translate_y", lambda b: torch.linspace(0.0, 32.0, b), True),
    ("rotate", lambda b: torch.linspace(0.0, 135.0, b), True),
    ("brightness", lambda b: torch.linspace(0.0, 0.99, b), True),
    ("color", lambda b: torch.linspace(0.0, 0.99, b), True),
    ("contrast", lambda b: torch.linspace(0.0, 0.99, b), True),
    ("sharpness", lambda b: torch.linspace(0.0, 0.99, b), True),
    ("posterize", lambda b: (8 - (torch.arange(b) / ((b - 1) / 6))).round(), False),
    ("solarize", lambda b: torch.linspace(1.0, 0.0, b), False),
    ("autocontrast", None, False),
    ("equalize", None, False),
]
NAMES = [s[0] for s in SPACE]
GEOMETRIC = [NAMES.index(n) for n in ("shear_x", "shear_y", "translate_x", "translate_y", "rotate")]


def _geometric_theta(op: Tensor, mag: Tensor, h: int, w: int) -> Tensor:
    """Inverse affine matrices for the geometric ops (float64, (N, 2, 3)), with torchvision's
    arguments: shears about the top-left corner, integer translations, rotation by -angle."""
    m = mag.double()
    z = torch.zeros_like(m)
    is_ = {name: op == NAMES.index(name) for name in NAMES}
    shear_deg = torch.rad2deg(torch.atan(m))
    shear_x = torch.where(is_["shear_x"], shear_deg, z)
    shear_y = torch.where(is_["shear_y"], shear_deg, z)
    tx = torch.where(is_["translate_x"], torch.trunc(m), z)
    ty = torch.where(is_["translate_y"], torch.trunc(m), z)
    angle = torch.where(is_["rotate"], -m, z)
    shear = is_["shear_x"] | is_["shear_y"]
    cx = torch.where(shear, torch.full_like(m, -0.5 * w), z)
    cy = torch.where(shear, torch.full_like(m, -0.5 * h), z)
    return inverse_affine(angle, tx, ty, shear_x, shear_y, cx, cy)


_COLOR = {
    "brightness": lambda x, m: color.adjust_brightness(x, 1.0 + m),
    "color": lambda x, m: color.adjust_saturation(x, 1.0 + m),
    "contrast": lambda x, m: color.adjust_contrast(x, 1.0 + m),
    "sharpness": lambda x, m: color.adjust_sharpness(x, 1.0 + m),
    "posterize": lambda x, m: color.posterize(x, m),
    "solarize": lambda x, m: color.solarize(x, m),
    "autocontrast": lambda x, m: TF.autocontrast(x),
    "equalize": lambda x, m: TF.equalize(x),
}


@register_op("trivial_augment_wide")
class TrivialAugmentWide(Op):
    """torchvision ``TrivialAugmentWide(num_magnitude_bins, interpolation, fill)`` with the
    op and magnitude drawn per sample (see the module docstring for the units)."""

    def __init__(self, num_magnitude_bins: int = 31, interpolation: str = "nearest",
                 fill: float | list[float] = 0.0):
        self.num_magnitude_bins = check_int("trivial_augment_wide", "num_magnitude_bins", num_magnitude_bins, low=2)
        self.interpolation = check_choice("trivial_augment_wide", "interpolation", interpolation,
                                          ["nearest", "bilinear"])
        self.fill = check_fill("trivial_augment_wide", "fill", fill)
        bins = self.num_magnitude_bins
        self._table = torch.stack([fn(bins).float() if fn else torch.zeros(bins) for _, fn, _ in SPACE])
        self._signed = torch.tensor([s for _, _, s in SPACE])

    def sample(self, gen: torch.Generator, n: int, device: torch.device) -> tuple[Tensor, Tensor]:
        """Per-sample op index (into ``NAMES``) and signed magnitude."""
        op = randint(gen, len(SPACE), n, device)
        bin_ = randint(gen, self.num_magnitude_bins, n, device)
        negate = (rand(gen, (n,), device) <= 0.5) & self._signed.to(device)[op]
        mag = self._table.to(device)[op, bin_]
        return op, torch.where(negate, -mag, mag)

    def __call__(self, x: Tensor, gen: torch.Generator) -> Tensor:
        n, _, h, w = x.shape
        op, mag = self.sample(gen, n, x.device)
        out = x.clone()
        geo = torch.isin(op, torch.tensor(GEOMETRIC, device=x.device)).nonzero().squeeze(1)
        if geo.numel():
            theta = _geometric_theta(op[geo], mag[geo], h, w)
            out[geo] = affine_batch(x[geo], theta, self.interpolation, self.fill)
        for name, fn in _COLOR.items():
            idx = (op == NAMES.index(name)).nonzero().squeeze(1)
            if idx.numel():
                out[idx] = fn(x[idx], mag[idx])
        return out
