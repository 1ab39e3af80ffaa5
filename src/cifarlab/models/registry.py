"""A tiny strict model registry (in the spirit of torchvision's ``models/_api.py``).

The registry name is the id used everywhere: params.yaml, result paths, plot legends.
Duplicate names raise, unknown names raise with the list of known ones, so a typo in
params.yaml fails before any job runs.
"""

from __future__ import annotations

import fnmatch
import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from torch import nn

from cifarlab.models.index import FAMILY_MODULES

ModelFactory = Callable[..., nn.Module]


@dataclass(frozen=True)
class ModelInfo:
    """What the registry knows about a model besides its factory."""

    name: str
    factory: ModelFactory
    family: str
    study: str  # seed id, e.g. "s002"
    input_size: int = 32  # pixels; the spatial size the model is trained at
    source: str = ""  # where in the seed the architecture is described
    claimed_params: float | None = None  # the seed's parameter count (absolute units), if any
    claimed_num_classes: int = 100  # the head size the seed's count was taken at
    fidelity_note: str = ""  # why a measured count or design departs from the seed, if it does
    defaults: dict[str, Any] = field(default_factory=dict)


_REGISTRY: dict[str, ModelInfo] = {}


def register_model(
    name: str | None = None,
    *,
    family: str,
    study: str,
    input_size: int = 32,
    source: str = "",
    claimed_params: float | None = None,
    claimed_num_classes: int = 100,
    fidelity_note: str = "",
    **defaults: Any,
) -> Callable[[ModelFactory], ModelFactory]:
    """Decorator registering ``factory(num_classes=..., **cfg) -> nn.Module`` under ``name``.

    Extra keyword ``defaults`` are bound into the factory call, so one factory can be
    registered several times as one-line variants (e.g. ``resnet_20``/``resnet_32``).
    """

    def wrap(factory: ModelFactory) -> ModelFactory:
        key = name or factory.__name__
        if key in _REGISTRY:
            raise ValueError(f"model {key!r} is already registered")
        _REGISTRY[key] = ModelInfo(
            name=key,
            factory=factory,
            family=family,
            study=study,
            input_size=input_size,
            source=source,
            claimed_params=claimed_params,
            claimed_num_classes=claimed_num_classes,
            fidelity_note=fidelity_note,
            defaults=dict(defaults),
        )
        return factory

    return wrap


def _ensure_loaded() -> None:
    """Import every family (each registers its models exactly once)."""
    for module in sorted(set(FAMILY_MODULES.values())):
        _load_family(module)


def _load_family(module: str) -> None:
    importlib.import_module(f"cifarlab.models.families.{module}")


def get_model_info(name: str) -> ModelInfo:
    """The registry entry for ``name``; unknown names raise ``KeyError`` naming them.

    Only ``name``'s family is imported (models/index.py): a job building one model does
    not load the whole zoo's dependencies."""
    if name not in _REGISTRY and name in FAMILY_MODULES:
        _load_family(FAMILY_MODULES[name])
    if name not in _REGISTRY:
        _ensure_loaded()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise KeyError(f"unknown model {name!r}; known models: {known}") from None


def get_model(name: str, num_classes: int, **cfg: Any) -> nn.Module:
    """Build the registered model ``name`` for ``num_classes`` classes.

    ``cfg`` overrides the variant's defaults (e.g. ``drop_path=0.05``, ``k_size=5``).
    """
    info = get_model_info(name)
    return info.factory(num_classes=num_classes, **{**info.defaults, **cfg})


def list_models(pattern: str = "*") -> list[str]:
    """Sorted registered names matching a shell-style ``pattern``."""
    _ensure_loaded()
    return sorted(n for n in _REGISTRY if fnmatch.fnmatch(n, pattern))
