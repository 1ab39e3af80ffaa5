"""The catalogue's rules, torch-free: per-run recipe overrides, seeds, and subsets.

An experiment entry in params.yaml names its recipe and may change it for this run only
(``overrides``: recipe keys, a nested mapping merged key by key, ``null`` removing a key;
``drop_augment``: op names removed). Its seeds come from its study
(``studies.<id>.seeds``), cut by the active profile (``seeds``: the first n of each list,
``extra_seeds``: a count per experiment). A subset (``--config only=...``) is a list of
study ids, experiment names or shell patterns.
"""

from __future__ import annotations

import copy
import fnmatch
from typing import Any, Iterable, Mapping, Sequence

from cifarlab.errors import CifarlabError


class SelectionError(CifarlabError, ValueError):
    """An `only` selection that matches no experiment."""


def merge(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` merged in: mappings recursively, ``None`` deletes a key."""
    out = copy.deepcopy(dict(base))
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def run_recipe(recipe: Mapping[str, Any], experiment: Mapping[str, Any]) -> dict[str, Any]:
    """The raw recipe one experiment trains with: its overrides and dropped ops applied."""
    out = merge(recipe, experiment.get("overrides") or {})
    dropped = set(experiment.get("drop_augment") or ())
    if dropped:
        out["augment"] = [op for op in out.get("augment") or () if op["op"] not in dropped]
    return out


def run_seeds(experiment_name: str, study_seeds: Sequence[int], profile: Mapping[str, Any]) -> tuple[int, ...]:
    """The seeds an experiment trains under ``profile``: the study's list, cut to
    ``profile.seeds`` (None = all) unless ``profile.extra_seeds`` names the experiment."""
    count = (profile.get("extra_seeds") or {}).get(experiment_name, profile.get("seeds"))
    seeds = tuple(int(s) for s in study_seeds)
    return seeds if count is None else seeds[:count]


def select(names: Iterable[str], studies: Mapping[str, str], only: str | Sequence[str] | None) -> list[str]:
    """The experiments ``only`` picks, in catalogue order.

    ``only`` is None (all), or comma-separated / listed terms, each a study id
    (``s002``), an experiment name or a shell pattern (``dla34_*``). ``studies`` maps
    experiment -> study. A term that matches nothing is an error naming it.
    """
    names = list(names)
    if only is None or only == "" or only == []:
        return names
    terms = [t.strip() for t in (only.split(",") if isinstance(only, str) else only) if t.strip()]
    picked: set[str] = set()
    for term in terms:
        hits = {n for n in names if studies[n] == term or fnmatch.fnmatchcase(n, term)}
        if not hits:
            known = ", ".join(sorted(set(studies.values())))
            raise SelectionError(f"only: {term!r} matches no experiment (studies: {known}; "
                                 "or an experiment name / shell pattern)")
        picked |= hits
    return [n for n in names if n in picked]
