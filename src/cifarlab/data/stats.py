"""Normalization statistics presets (per-channel mean and std of pixel values in [0, 1]).

``resolve_stats`` turns what params.yaml may hold into a plain ``(mean, std)`` pair of
3-element lists: a preset name (``"cifar10"``, ``"imagenet"``, ...), a mapping with
``mean``/``std`` (scalars are repeated over the channels, e.g. s000's 0.5 / 0.25), or an
already resolved pair.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

Stats = tuple[list[float], list[float]]

#: name -> (mean, std); values are fractions of full scale (pixels in [0, 1]).
PRESETS: dict[str, Stats] = {
    # Training-set statistics as commonly published (also in params.yaml).
    "cifar10": ([0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616]),
    # s002's CIFAR-100 values.
    "cifar100": ([0.5071, 0.4867, 0.4408], [0.2675, 0.2565, 0.2761]),
    # Grey images repeated to 3 channels at split time.
    "fashion_mnist": ([0.2860, 0.2860, 0.2860], [0.3530, 0.3530, 0.3530]),
    # torchvision's ImageNet weights (s001's EfficientNet-B2, s003's ResNet-50).
    "imagenet": ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    # s000: Normalize(0.5, 0.25) -> pixel values in [-2, 2].
    "s000": ([0.5, 0.5, 0.5], [0.25, 0.25, 0.25]),
    # Maps [0, 1] to [-1, 1].
    "half": ([0.5, 0.5, 0.5], [0.5, 0.5, 0.5]),
}


def _channels(value: float | Sequence[float], what: str, channels: int) -> list[float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [float(value)] * channels
    if isinstance(value, Sequence) and not isinstance(value, str):
        vals = [float(v) for v in value]
        if len(vals) == 1:
            return vals * channels
        if len(vals) == channels:
            return vals
    raise ValueError(f"normalize: {what} must be a number or {channels} numbers, got {value!r}")


def resolve_stats(spec: object, channels: int = 3) -> Stats:
    """Return ``(mean, std)`` lists for a preset name, a ``{mean, std}`` mapping or a pair.

    Raises ValueError naming the preset or key when the spec cannot be understood, and
    when any std is not positive.
    """
    if isinstance(spec, str):
        if spec not in PRESETS:
            raise ValueError(f"normalize: unknown statistics preset {spec!r}; known: {sorted(PRESETS)}")
        mean, std = PRESETS[spec]
    elif isinstance(spec, Mapping):
        unknown = set(spec) - {"mean", "std"}
        if unknown or not {"mean", "std"} <= set(spec):
            raise ValueError(f"normalize: expected keys mean and std, got {sorted(spec)}")
        mean, std = spec["mean"], spec["std"]
    elif isinstance(spec, Sequence) and len(spec) == 2:
        mean, std = spec
    else:
        raise ValueError(f"normalize: cannot read statistics from {spec!r}")
    mean_l, std_l = _channels(mean, "mean", channels), _channels(std, "std", channels)
    if any(s <= 0 for s in std_l):
        raise ValueError(f"normalize: std must be positive, got {std_l}")
    return mean_l, std_l
