"""Official train set -> train/validation, optional quick-profile subsets, written atomically.

The split reproduces s000 exactly: ``torch.utils.data.random_split(range(n), [n - n_val,
n_val], generator=torch.Generator().manual_seed(seed))`` is what ``split_indices`` calls,
so for n=50000, val_fraction=0.1, seed=8102240106 the indices are s000's. The official
test set is kept apart, in its official order.

Subsets (the ``quick`` profile) are "stratified first-k": walk the indices in split order
(a seeded random permutation for train/val, the official order for test) and take the
first samples of each class round-robin, so the per-class counts differ by at most one
(when every class has enough samples) and the result is a deterministic function of the
split. Subset indices keep their split order.

On disk (docs/contracts.md): ``out_dir/{train,val,test}.npz`` with ``images`` uint8
(N, 3, H, W), ``labels`` int64 (N,), ``indices`` int64 (N,) into the official train (or
test) set, and ``out_dir/meta.json``. The npz files are uncompressed: they load at disk
speed, and DVC deduplicates them anyway.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import torch
from torch.utils.data import random_split

from cifarlab.io import atomic_path, write_json

if TYPE_CHECKING:  # torchvision's datasets: only the split step reads them (train/evaluate read npz)
    from cifarlab.data.official import OfficialData

PARTS = ("train", "val", "test")
SUBSET_RULE = "stratified-first-k"


def split_indices(n: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train/validation split of ``range(n)``; returns int64 (train_idx, val_idx).

    ``n_val = round(n * val_fraction)``; the rest is train. Exactly torch's
    ``random_split`` with a fresh ``torch.Generator().manual_seed(seed)`` (no global RNG).
    """
    n_val = int(round(n * val_fraction))
    if not 0 < n_val < n:
        raise ValueError(f"val_fraction={val_fraction} gives {n_val} of {n} samples for validation")
    train, val = random_split(range(n), [n - n_val, n_val], generator=torch.Generator().manual_seed(seed))
    return np.asarray(train.indices, dtype=np.int64), np.asarray(val.indices, dtype=np.int64)


def subset_indices(indices: np.ndarray, labels: np.ndarray, size: int | None) -> np.ndarray:
    """Stratified first-k of ``indices`` (in their order) by ``labels[indices]``; None = all."""
    indices = np.asarray(indices, dtype=np.int64)
    if size is None:
        return indices
    if not 0 < size <= len(indices):
        raise ValueError(f"subset size {size} is not in 1..{len(indices)}")
    y = np.asarray(labels)[indices]
    by_class = np.argsort(y, kind="stable")  # positions grouped by class, split order kept within
    sorted_y = y[by_class]
    rank = np.empty(len(y), dtype=np.int64)  # how many of the same class come earlier
    rank[by_class] = np.arange(len(y)) - np.searchsorted(sorted_y, sorted_y, side="left")
    picked = np.lexsort((np.arange(len(y)), rank))[:size]  # round-robin over classes
    return indices[np.sort(picked)]


def _subset_sizes(subset: Mapping[str, int | None] | None) -> dict[str, int | None]:
    subset = dict(subset or {})
    unknown = sorted(set(subset) - set(PARTS))
    if unknown:
        raise ValueError(f"subset: unknown part(s) {', '.join(unknown)}; known: {', '.join(PARTS)}")
    return {part: subset.get(part) for part in PARTS}


def write_split(out_dir: str | Path, data: OfficialData, train_idx: np.ndarray, val_idx: np.ndarray, *,
                dataset: str, seed: int, val_fraction: float,
                subset: Mapping[str, int | None] | None = None) -> dict[str, Any]:
    """Write ``{train,val,test}.npz`` + ``meta.json`` into ``out_dir``; return the meta.

    ``train_idx``/``val_idx`` index the official train set (from `split_indices`);
    ``subset`` maps ``train``/``val``/``test`` to a size (None or missing = all), taken with
    `subset_indices`. The whole ``out_dir`` appears at once (temporary sibling + rename).
    """
    sizes_wanted = _subset_sizes(subset)
    if np.intersect1d(train_idx, val_idx).size:
        raise ValueError("train and validation indices overlap")
    sources = {
        "train": (data.train_images, data.train_labels, train_idx),
        "val": (data.train_images, data.train_labels, val_idx),
        "test": (data.test_images, data.test_labels, np.arange(len(data.test_labels))),
    }
    meta: dict[str, Any] = {
        "dataset": dataset, "classes": list(data.classes), "num_classes": data.num_classes,
        "image_size": data.image_size, "image_size_original": data.image_size_original,
        "channels_original": data.channels_original,
        "official_sizes": {"train": len(data.train_labels), "test": len(data.test_labels)},
        "sizes": {}, "class_counts": {}, "seed": seed, "val_fraction": val_fraction,
        "subset": sizes_wanted, "subset_rule": SUBSET_RULE,
    }
    with atomic_path(out_dir) as tmp:
        tmp.mkdir()
        for part, (images, labels, idx) in sources.items():
            idx = subset_indices(idx, labels, sizes_wanted[part])
            part_labels = np.asarray(labels, dtype=np.int64)[idx]
            np.savez(tmp / f"{part}.npz", images=np.ascontiguousarray(images[idx], dtype=np.uint8),
                     labels=part_labels, indices=idx)
            meta["sizes"][part] = int(len(idx))
            meta["class_counts"][part] = np.bincount(part_labels, minlength=data.num_classes).tolist()
        write_json(tmp / "meta.json", meta)
    return meta


def split_dataset(out_dir: str | Path, data: OfficialData, *, dataset: str, val_fraction: float,
                  seed: int, subset: Mapping[str, int | None] | None = None) -> dict[str, Any]:
    """`split_indices` on the official train set, then `write_split`; returns the meta."""
    train_idx, val_idx = split_indices(len(data.train_labels), val_fraction, seed)
    return write_split(out_dir, data, train_idx, val_idx, dataset=dataset, seed=seed,
                       val_fraction=val_fraction, subset=subset)


def read_split(split_dir: str | Path, part: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(images uint8 NCHW, labels int64, indices int64) of ``part`` in a split folder."""
    if part not in PARTS:
        raise ValueError(f"unknown split part {part!r}; known: {', '.join(PARTS)}")
    with np.load(Path(split_dir) / f"{part}.npz") as npz:
        return npz["images"], npz["labels"], npz["indices"]
