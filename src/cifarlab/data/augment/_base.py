"""Op registry, argument checks and seeded random helpers shared by the augment ops.

Every op is a small class registered under its params.yaml name. Instances are pure
callables ``(x, gen) -> x`` on float batches ``(N, C, H, W)`` with values in [0, 1]
(before ``normalize``); every random number comes from the ``torch.Generator`` passed
in (never the global RNG) and is drawn per sample.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping, Sequence

import torch
from torch import Tensor

OPS: dict[str, type] = {}


def register_op(name: str) -> Callable[[type], type]:
    """Class decorator: make an op available to ``build_augment`` as ``{op: name}``."""

    def deco(cls: type) -> type:
        if name in OPS:
            raise ValueError(f"augment op {name!r} registered twice")
        cls.op_name = name
        OPS[name] = cls
        return cls

    return deco


def build_op(spec: Mapping, table: Mapping[str, type] | None = None) -> object:
    """Instantiate one op from ``{op: name, **kwargs}``; ValueError names a bad op or key."""
    table = OPS if table is None else table
    if not isinstance(spec, Mapping) or "op" not in spec:
        raise ValueError(f"augment spec must be a mapping with an 'op' key, got {spec!r}")
    name = spec["op"]
    if name not in table:
        raise ValueError(f"unknown augment op {name!r}; known ops: {sorted(table)}")
    kwargs = {k: v for k, v in spec.items() if k != "op"}
    params = inspect.signature(table[name]).parameters
    accepted = [p for p in params if p != "self"]
    for key in kwargs:
        if key not in accepted:
            raise ValueError(f"augment op {name!r}: unknown key {key!r}; accepted keys: {accepted}")
    for key in accepted:
        if params[key].default is inspect.Parameter.empty and key not in kwargs:
            raise ValueError(f"augment op {name!r}: required key {key!r} missing")
    return table[name](**kwargs)


# ----------------------------------------------------------------------------- checks
def is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def check_prob(op: str, key: str, v: object) -> float:
    if not is_number(v) or not 0.0 <= v <= 1.0:
        raise ValueError(f"augment op {op!r}: {key} must be a probability in [0, 1], got {v!r}")
    return float(v)


def check_range(op: str, key: str, v: object, *, symmetric: bool = False, center: float = 0.0,
                low: float = -math.inf, high: float = math.inf) -> tuple[float, float]:
    """A ``[lo, hi]`` pair inside ``[low, high]``; with ``symmetric`` a number d means
    ``[center - d, center + d]`` (clipped at ``low``), as torchvision reads its arguments."""
    if symmetric and is_number(v):
        if v < 0:
            raise ValueError(f"augment op {op!r}: {key} must be non-negative, got {v!r}")
        lo, hi = max(center - float(v), low), center + float(v)
    elif isinstance(v, Sequence) and not isinstance(v, str) and len(v) == 2 and all(map(is_number, v)):
        lo, hi = float(v[0]), float(v[1])
    else:
        raise ValueError(f"augment op {op!r}: {key} must be {'a number or ' if symmetric else ''}"
                         f"a [min, max] pair, got {v!r}")
    if not low <= lo <= hi <= high:
        raise ValueError(f"augment op {op!r}: {key} must satisfy {low} <= min <= max <= {high}, got {v!r}")
    return lo, hi


def check_int(op: str, key: str, v: object, *, low: int = 0) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or v < low:
        raise ValueError(f"augment op {op!r}: {key} must be an integer >= {low}, got {v!r}")
    return v


def check_size(op: str, key: str, v: object) -> tuple[int, int] | None:
    """``None``, an int (square) or ``[height, width]`` in pixels."""
    if v is None:
        return None
    if isinstance(v, int) and not isinstance(v, bool) and v > 0:
        return v, v
    if isinstance(v, Sequence) and len(v) == 2 and all(isinstance(s, int) and s > 0 for s in v):
        return int(v[0]), int(v[1])
    raise ValueError(f"augment op {op!r}: {key} must be a positive int or [height, width], got {v!r}")


def check_choice(op: str, key: str, v: object, choices: Sequence[str]) -> str:
    if v not in choices:
        raise ValueError(f"augment op {op!r}: {key} must be one of {list(choices)}, got {v!r}")
    return str(v)


def check_fill(op: str, key: str, v: object) -> list[float]:
    """A fill colour: a number or one number per channel, in the [0, 1] pixel scale."""
    if is_number(v):
        return [float(v)]
    if isinstance(v, Sequence) and not isinstance(v, str) and len(v) > 0 and all(map(is_number, v)):
        return [float(c) for c in v]
    raise ValueError(f"augment op {op!r}: {key} must be a number or a list of numbers, got {v!r}")


# ----------------------------------------------------------------------------- random
def rand(gen: torch.Generator, shape: Sequence[int], device: torch.device) -> Tensor:
    """U[0, 1) of ``shape`` drawn from ``gen`` (on the generator's device), moved to ``device``."""
    return torch.rand(tuple(shape), generator=gen, device=gen.device).to(device)


def uniform(gen: torch.Generator, n: int, lo: float | Tensor, hi: float | Tensor,
            device: torch.device) -> Tensor:
    """``n`` samples of U[lo, hi) (float32)."""
    return lo + (hi - lo) * rand(gen, (n,), device)


def randint(gen: torch.Generator, high: int | Tensor, n: int, device: torch.device) -> Tensor:
    """``n`` integers uniform on ``{0, ..., high - 1}``; ``high`` may differ per sample."""
    r = torch.floor(rand(gen, (n,), device) * high)
    high_t = torch.as_tensor(high, device=device)
    return torch.minimum(r, high_t - 1).clamp_min(0).long()


def bcast(v: Tensor) -> Tensor:
    """(N,) -> (N, 1, 1, 1) to broadcast a per-sample value over an image batch."""
    return v.view(-1, 1, 1, 1)


def fill_tensor(fill: Sequence[float], like: Tensor) -> Tensor:
    return torch.tensor(list(fill), dtype=like.dtype, device=like.device).view(1, -1, 1, 1)


class Op:
    """Base class: ``__call__(x, gen) -> x``; ``repr`` shows the spec it came from."""

    op_name = "op"

    def _spec(self) -> dict:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._spec().items())
        return f"{self.op_name}({args})"

    def __call__(self, x: Tensor, gen: torch.Generator) -> Tensor:  # pragma: no cover
        raise NotImplementedError
