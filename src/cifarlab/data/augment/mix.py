"""MixUp and CutMix on a batch: ``(x, y, gen) -> (x, soft_targets)``.

torchvision.v2's ``MixUp`` / ``CutMix`` draw one lambda per batch from the global RNG;
these draw lambda ~ Beta(alpha, alpha) per sample from the given generator and pair each
sample with its neighbour in the (already shuffled) batch, as v2 does (``roll(1)``).
Targets become ``lam * onehot(y) + (1 - lam) * onehot(y_partner)``; float targets (N, K)
are mixed as they are, so mixes can be chained.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as nnf
from torch import Tensor

from ._base import bcast, build_op, check_int, check_prob, is_number, rand, randint
from .erase import box_mask


def _beta(gen: torch.Generator, alpha: float, n: int, device: torch.device) -> Tensor:
    conc = torch.full((n, 2), float(alpha), device=gen.device)
    return torch._sample_dirichlet(conc, generator=gen)[:, 0].to(device)


def _targets(y: Tensor, num_classes: int | None) -> Tensor:
    if y.is_floating_point():
        return y
    if num_classes is None:
        raise ValueError("mix: num_classes unknown; give it in the spec or to build_mix")
    return nnf.one_hot(y, num_classes).float()


class _Mix:
    op_name = "mix"

    def __init__(self, alpha: float = 1.0, p: float = 1.0, num_classes: int | None = None):
        if not is_number(alpha) or alpha <= 0:
            raise ValueError(f"mix op {self.op_name!r}: alpha must be > 0, got {alpha!r}")
        self.alpha = float(alpha)
        self.p = check_prob(self.op_name, "p", p)
        self.num_classes = None if num_classes is None else check_int(self.op_name, "num_classes", num_classes, low=1)

    def __repr__(self) -> str:
        return f"{self.op_name}(alpha={self.alpha}, p={self.p}, num_classes={self.num_classes})"

    def __call__(self, x: Tensor, y: Tensor, gen: torch.Generator,
                 num_classes: int | None = None) -> tuple[Tensor, Tensor]:
        n = x.shape[0]
        t = _targets(y, self.num_classes or num_classes)
        lam = _beta(gen, self.alpha, n, x.device)
        lam = torch.where(rand(gen, (n,), x.device) < self.p, lam, torch.ones_like(lam))
        x, lam = self._mix(x, x.roll(1, 0), lam, gen)
        lam = lam.to(t.dtype)[:, None]
        return x, lam * t + (1.0 - lam) * t.roll(1, 0)

    def _mix(self, x: Tensor, other: Tensor, lam: Tensor, gen: torch.Generator) -> tuple[Tensor, Tensor]:
        raise NotImplementedError


class MixUp(_Mix):
    """MixUp (Zhang et al. 2018): ``lam * x + (1 - lam) * x_partner``, lam ~ Beta(alpha, alpha)
    per sample, applied with probability ``p`` (else lam = 1)."""

    op_name = "mixup"

    def _mix(self, x, other, lam, gen):
        lam_b = bcast(lam.to(x.dtype))
        return lam_b * x + (1.0 - lam_b) * other, lam


class CutMix(_Mix):
    """CutMix (Yun et al. 2019): paste a box of the partner image covering about 1 - lam of
    the area (centre uniform, half-sides int(0.5 * sqrt(1 - lam) * size), clipped at the
    border); the target weight is the area actually kept."""

    op_name = "cutmix"

    def _mix(self, x, other, lam, gen):
        n, _, h, w = x.shape
        cy, cx = randint(gen, h, n, x.device), randint(gen, w, n, x.device)
        r = 0.5 * torch.sqrt(1.0 - lam)
        hh, hw = (r * h).long(), (r * w).long()
        y1, y2 = (cy - hh).clamp_min(0), (cy + hh).clamp_max(h)
        x1, x2 = (cx - hw).clamp_min(0), (cx + hw).clamp_max(w)
        mask = box_mask(y1, x1, y2 - y1, x2 - x1, h, w)
        kept = 1.0 - ((y2 - y1) * (x2 - x1)).to(lam.dtype) / (h * w)
        return torch.where(mask, other, x), kept


class MixChoice:
    """Each sample takes the result of one of several mixes, chosen uniformly."""

    def __init__(self, mixes: Sequence[_Mix]):
        self.mixes = list(mixes)

    def __repr__(self) -> str:
        return f"MixChoice({self.mixes!r})"

    def __call__(self, x, y, gen, num_classes=None):
        pick = randint(gen, len(self.mixes), x.shape[0], x.device)
        outs = [m(x, y, gen, num_classes) for m in self.mixes]
        xo, to = outs[0]
        for k, (xk, tk) in enumerate(outs[1:], start=1):
            sel = pick == k
            xo, to = torch.where(bcast(sel), xk, xo), torch.where(sel[:, None], tk, to)
        return xo, to


MIXES = {"mixup": MixUp, "cutmix": CutMix}


def recipe_mix_specs(mix: Mapping[str, float] | None) -> list[dict]:
    """A recipe's ``mix: {mixup_alpha, cutmix_alpha, p}`` -> :func:`build_mix` specs: an
    alpha of 0 (or absent) leaves that mix out; with both, each sample takes one of them
    (as timm's Mixup switches between the two)."""
    mix = dict(mix or {})
    p = mix.get("p", 1.0)
    return [{"op": op, "alpha": mix[key], "p": p}
            for op, key in (("mixup", "mixup_alpha"), ("cutmix", "cutmix_alpha")) if mix.get(key)]


def build_mix(spec: Mapping | Sequence[Mapping] | None, num_classes: int | None = None):
    """``{op: mixup|cutmix, alpha, p, num_classes}`` -> callable ``(x, y, gen[, num_classes])
    -> (x, soft_targets)``; a list of specs picks one per sample; None or [] -> None.
    ``num_classes`` here fills in specs that do not give it."""
    if spec is None or (isinstance(spec, Sequence) and not isinstance(spec, (str, Mapping)) and len(spec) == 0):
        return None
    specs = [spec] if isinstance(spec, Mapping) else list(spec)
    mixes = []
    for s in specs:
        if isinstance(s, Mapping) and num_classes is not None and "num_classes" not in s:
            s = {**s, "num_classes": num_classes}
        mixes.append(build_op(s, MIXES))
    return mixes[0] if len(mixes) == 1 else MixChoice(mixes)
