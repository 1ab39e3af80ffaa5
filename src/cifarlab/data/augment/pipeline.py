"""The op list as one callable."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import Tensor

from cifarlab.data.stats import Stats

from ._base import build_op
from .basic import Normalize


class Augment:
    """Ops applied in order: ``augment(x, gen, normalize=None) -> x``.

    ``normalizes`` tells a loader that the list places ``{op: normalize}`` itself (so the
    loader must not normalize again); a ``normalize`` op without its own statistics uses
    the ``normalize=(mean, std)`` passed at call time.
    """

    def __init__(self, ops: Sequence[object], specs: Sequence[Mapping] = ()):
        self.ops = list(ops)
        self.specs = [dict(s) for s in specs]

    @property
    def normalizes(self) -> bool:
        return any(isinstance(op, Normalize) for op in self.ops)

    def __len__(self) -> int:
        return len(self.ops)

    def __repr__(self) -> str:
        return f"Augment({self.ops!r})"

    def __call__(self, x: Tensor, gen: torch.Generator, normalize: Stats | None = None) -> Tensor:
        for op in self.ops:
            x = op(x, gen, stats=normalize) if isinstance(op, Normalize) else op(x, gen)
        return x


def build_augment(specs: Sequence[Mapping] | None) -> Augment:
    """Build the pipeline for a list of ``{op: name, **kwargs}`` specs (None/[]: identity).

    Raises ValueError naming the op and the key for an unknown op, an unknown key or a
    bad value.
    """
    if specs is None:
        specs = []
    if isinstance(specs, Mapping) or isinstance(specs, str):
        raise ValueError(f"augment: expected a list of op specs, got {specs!r}")
    return Augment([build_op(s) for s in specs], specs)
