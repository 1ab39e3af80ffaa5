"""DeviceLoader's DDP sharding: the ranks' parts of every global batch are exactly the
one-process batch (same samples, same augmentation draws), and evaluation shards cover
every sample once."""

from __future__ import annotations

import pytest
import torch

from cifarlab.data.loader import DeviceLoader

AUG = [{"op": "random_crop", "size": 8, "padding": 2}, {"op": "hflip", "p": 0.5}]


def _data(n=70):
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (n, 3, 8, 8), dtype=torch.uint8, generator=g), torch.arange(n)  # labels name the samples


def _loaders(world, **kw):
    images, labels = _data()
    return [DeviceLoader(images, labels, 12, rank=r, world_size=world, seed=3, **kw) for r in range(world)]


@pytest.mark.parametrize("augment", [None, AUG], ids=["plain", "augmented"])
@pytest.mark.parametrize("world", [2, 3])
def test_rank_parts_concatenate_to_the_one_process_batches(world, augment):
    (one,), parts = _loaders(1, train=True, drop_last=True, augment=augment), \
        _loaders(world, train=True, drop_last=True, augment=augment)
    for loader in (one, *parts):
        loader.set_epoch(2)
    assert all(len(p) == len(one) == 70 // 12 for p in parts)
    seen = []
    for (x, y), *shards in zip(one, *parts, strict=True):
        assert all(len(sy) == 12 // world for _, sy in shards)
        assert torch.equal(torch.cat([sy for _, sy in shards]), y)
        assert torch.equal(torch.cat([sx for sx, _ in shards]), x)
        seen.extend(y.tolist())
    assert len(seen) == len(set(seen)) == 60  # no sample twice; only the global drop_last
    assert parts[0].rank_samples * world == len(one) * 12


def test_evaluation_shards_cover_every_sample_once():
    parts = _loaders(3, train=False)
    labels = torch.cat([y for p in parts for _, y in p])
    assert torch.equal(labels, _data()[1])
    assert sum(p.rank_samples for p in parts) == 70


def test_global_batch_must_split_evenly():
    images, labels = _data()
    with pytest.raises(ValueError, match="global batch_size 12 must split evenly over 5"):
        DeviceLoader(images, labels, 12, train=True, drop_last=True, rank=0, world_size=5)
