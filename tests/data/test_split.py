"""Split determinism (s000's random_split), stratified subsets, the files and meta.json."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from cifarlab.data import split as split_mod
from cifarlab.data.official import OfficialData
from cifarlab.data.split import read_split, split_dataset, split_indices, subset_indices, write_split

S000_SEED = 8102240106


def fake_data(n_train: int = 600, n_test: int = 200, num_classes: int = 10, seed: int = 0) -> OfficialData:
    rng = np.random.default_rng(seed)

    def part(n):  # each image carries its own index in pixel (0, 0, 0..1) to trace it back
        images = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
        images[:, 0, 0, 0], images[:, 0, 0, 1] = np.arange(n) % 256, np.arange(n) // 256
        return images, rng.integers(0, num_classes, n).astype(np.int64)

    (tx, ty), (vx, vy) = part(n_train), part(n_test)
    return OfficialData(tx, ty, vx, vy, tuple(f"c{i}" for i in range(num_classes)), 3, 32)


def test_split_equals_s000_random_split():
    train_idx, val_idx = split_indices(50000, 0.1, S000_SEED)
    # s000, verbatim
    train_set, val_set = torch.utils.data.random_split(
        range(50000), [45000, 5000], generator=torch.Generator().manual_seed(S000_SEED))
    assert train_idx.tolist() == list(train_set.indices) and val_idx.tolist() == list(val_set.indices)
    assert train_idx.dtype == val_idx.dtype == np.int64


def test_split_is_deterministic_disjoint_and_complete():
    a, b = split_indices(1000, 0.2, 7), split_indices(1000, 0.2, 7)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert len(a[0]) == 800 and len(a[1]) == 200
    assert sorted(np.concatenate(a).tolist()) == list(range(1000))
    assert not np.array_equal(a[1], split_indices(1000, 0.2, 8)[1])
    torch.manual_seed(0)  # the global RNG plays no part
    c = split_indices(1000, 0.2, 7)
    torch.manual_seed(1)
    assert np.array_equal(c[1], split_indices(1000, 0.2, 7)[1])


@pytest.mark.parametrize("fraction", [0.0, 1.0, 0.0001])
def test_split_rejects_empty_parts(fraction):
    with pytest.raises(ValueError, match="val_fraction"):
        split_indices(100, fraction, 0)


def test_subset_is_stratified_first_k():
    labels = np.repeat(np.arange(4), [50, 30, 10, 3])  # class 3 has only 3 samples
    order = np.random.default_rng(0).permutation(len(labels))
    sub = subset_indices(order, labels, 22)
    counts = np.bincount(labels[sub], minlength=4)
    assert counts[3] == 3 and sorted(counts[:3]) == [6, 6, 7]  # the short class is used up, others fill in
    assert counts.sum() == 22 and len(set(sub.tolist())) == 22
    positions = [order.tolist().index(i) for i in sub]
    assert positions == sorted(positions)  # split order kept
    for c in range(4):  # within a class: the first ones in split order
        in_class = [i for i in order if labels[i] == c]
        assert [i for i in sub if labels[i] == c] == in_class[: counts[c]]
    assert np.array_equal(sub, subset_indices(order, labels, 22))
    assert np.array_equal(subset_indices(order, labels, None), order)


def test_subset_balanced_when_classes_allow():
    labels = np.random.default_rng(1).integers(0, 10, 5000)
    sub = subset_indices(np.arange(5000), labels, 1005)
    counts = np.bincount(labels[sub], minlength=10)
    assert counts.max() - counts.min() <= 1 and counts.sum() == 1005


@pytest.mark.parametrize("size", [0, 11])
def test_subset_rejects_bad_sizes(size):
    with pytest.raises(ValueError, match="subset size"):
        subset_indices(np.arange(10), np.zeros(10, dtype=np.int64), size)


def test_write_split_files_and_meta(tmp_path):
    data = fake_data()
    train_idx, val_idx = split_indices(600, 0.1, 3)
    out = tmp_path / "split" / "tiny"
    meta = write_split(out, data, train_idx, val_idx, dataset="tiny", seed=3, val_fraction=0.1)
    assert sorted(p.name for p in out.iterdir()) == ["meta.json", "test.npz", "train.npz", "val.npz"]
    assert json.loads((out / "meta.json").read_text()) == meta
    assert meta["sizes"] == {"train": 540, "val": 60, "test": 200}
    assert meta["subset"] == {"train": None, "val": None, "test": None}
    assert (meta["num_classes"], meta["image_size"], meta["channels_original"]) == (10, 32, 3)
    assert meta["classes"] == list(data.classes) and meta["seed"] == 3 and meta["val_fraction"] == 0.1
    for part, (images_all, labels_all) in {"train": (data.train_images, data.train_labels),
                                           "val": (data.train_images, data.train_labels),
                                           "test": (data.test_images, data.test_labels)}.items():
        images, labels, indices = read_split(out, part)
        assert images.dtype == np.uint8 and labels.dtype == np.int64 and indices.dtype == np.int64
        assert images.shape == (meta["sizes"][part], 3, 32, 32)
        np.testing.assert_array_equal(images, images_all[indices])
        np.testing.assert_array_equal(labels, labels_all[indices])
        assert meta["class_counts"][part] == np.bincount(labels, minlength=10).tolist()
        assert sum(meta["class_counts"][part]) == meta["sizes"][part]
    np.testing.assert_array_equal(read_split(out, "val")[2], val_idx)
    np.testing.assert_array_equal(read_split(out, "test")[2], np.arange(200))


def test_split_dataset_with_subsets_is_deterministic(tmp_path):
    data = fake_data()
    subset = {"train": 100, "val": 20, "test": 50}
    meta = split_dataset(tmp_path / "a", data, dataset="tiny", val_fraction=0.1, seed=5, subset=subset)
    split_dataset(tmp_path / "b", data, dataset="tiny", val_fraction=0.1, seed=5, subset=subset)
    assert meta["sizes"] == subset and meta["subset"] == subset
    assert all(max(c) - min(c) <= 1 for c in meta["class_counts"].values())
    train_idx, val_idx = split_indices(600, 0.1, 5)
    for part in ("train", "val", "test"):
        a, b = read_split(tmp_path / "a", part), read_split(tmp_path / "b", part)
        assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert set(read_split(tmp_path / "a", "train")[2]) <= set(train_idx.tolist())
    assert set(read_split(tmp_path / "a", "val")[2]) <= set(val_idx.tolist())


def test_write_split_rejects_bad_input(tmp_path):
    data = fake_data()
    with pytest.raises(ValueError, match="overlap"):
        write_split(tmp_path / "x", data, np.arange(10), np.arange(5, 15), dataset="t", seed=0, val_fraction=0.1)
    with pytest.raises(ValueError, match="tets"):
        write_split(tmp_path / "x", data, np.arange(10), np.arange(10, 20), dataset="t", seed=0,
                    val_fraction=0.1, subset={"tets": 5})
    assert not (tmp_path / "x").exists()


def test_write_split_is_all_or_nothing(tmp_path, monkeypatch):
    data = fake_data()
    calls = []
    real_savez = np.savez

    def failing_savez(path, **arrays):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        real_savez(path, **arrays)

    monkeypatch.setattr(split_mod.np, "savez", failing_savez)
    out = tmp_path / "split" / "tiny"
    with pytest.raises(OSError, match="disk full"):
        split_dataset(out, data, dataset="tiny", val_fraction=0.1, seed=0)
    assert not out.exists() and list(out.parent.iterdir()) == []
