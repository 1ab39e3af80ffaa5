"""DeviceLoader: batches, epochs, seeding, eval behaviour, normalize placement, mixing."""

import numpy as np
import pytest
import torch
import torchvision.transforms.v2.functional as TF

from cifarlab.data.augment import build_augment, build_mix
from cifarlab.data.loader import DeviceLoader, epoch_seed, preview_batch

N = 300
CROP_FLIP = [{"op": "random_crop", "size": 32, "padding": 4}, {"op": "hflip", "p": 0.5}]
STATS = ([0.5, 0.4, 0.3], [0.2, 0.25, 0.3])


@pytest.fixture(scope="module")
def data():
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (N, 3, 32, 32), generator=g, dtype=torch.uint8)
    return images, torch.arange(N) % 10


def loader(data, batch_size=64, **kw):
    kw.setdefault("train", True)
    kw.setdefault("normalize", STATS)
    return DeviceLoader(data[0], data[1], batch_size, **kw)


def epoch(ld, e=None):
    if e is not None:
        ld.set_epoch(e)
    xs, ys = zip(*list(ld))
    return torch.cat(xs), torch.cat(ys)


def normalized(images):
    return TF.normalize(images.float() / 255, *STATS)


@pytest.mark.parametrize("drop_last, n_batches, last", [(False, 5, 44), (True, 4, 64)])
def test_len_and_batch_sizes(data, drop_last, n_batches, last):
    ld = loader(data, drop_last=drop_last, augment=build_augment(CROP_FLIP))
    batches = list(ld)
    assert len(ld) == len(batches) == n_batches and ld.dataset_size == N
    assert batches[-1][0].shape == (last, 3, 32, 32)
    x, y = batches[0]
    assert x.dtype == torch.float32 and y.dtype == torch.int64 and x.device.type == "cpu"


def test_every_sample_once_per_epoch(data):
    _, y = epoch(loader(data), 0)
    assert sorted(y.tolist()) == sorted(data[1].tolist())
    images, labels = data
    ld = DeviceLoader(images, torch.arange(N), 64, train=True, augment=None, normalize=STATS)
    x, y = epoch(ld, 3)
    assert sorted(y.tolist()) == list(range(N)) and not torch.equal(y, torch.arange(N))
    torch.testing.assert_close(x, normalized(images[y]))  # no augment: just normalized


def test_epochs_are_pure_functions_of_seed_and_epoch(data):
    ld = loader(data, augment=build_augment(CROP_FLIP), seed=7)
    a, b = epoch(ld, 2), epoch(ld, 2)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    other = loader(data, augment=build_augment(CROP_FLIP), seed=7)
    c = epoch(other, 2)
    assert torch.equal(a[0], c[0])
    assert not torch.equal(epoch(ld, 3)[1], a[1])
    assert not torch.equal(epoch(loader(data, augment=build_augment(CROP_FLIP), seed=8), 2)[1], a[1])
    # without set_epoch each pass moves on
    fresh = loader(data, augment=build_augment(CROP_FLIP), seed=7)
    p1, p2 = epoch(fresh), epoch(fresh)
    assert not torch.equal(p1[1], p2[1]) and fresh.epoch == 2
    assert epoch_seed(7, 2) != epoch_seed(2, 7)


def test_eval_loader_is_fixed_and_unaugmented(data):
    images, labels = data
    ld = loader(data, train=False, augment=build_augment(CROP_FLIP), mix=build_mix({"op": "mixup"}))
    x, y = epoch(ld)
    assert torch.equal(y, labels)
    torch.testing.assert_close(x, normalized(images))
    assert torch.equal(epoch(ld)[0], x)


def test_eval_uses_pipeline_fixed_stats(data):
    images, _ = data
    s000_norm = build_augment([{"op": "hflip"}, {"op": "normalize", "mean": 0.5, "std": 0.25}])
    x, _ = epoch(loader(data, train=False, augment=s000_norm))
    torch.testing.assert_close(x, (images.float() / 255 - 0.5) / 0.25)


def test_normalize_placed_in_op_list_is_not_repeated(data):
    images, _ = data
    ld = DeviceLoader(images, torch.arange(N), 64, train=True, normalize=STATS,
                      augment=build_augment([{"op": "normalize"}, {"op": "hflip", "p": 0.0}]))
    x, y = epoch(ld, 0)
    torch.testing.assert_close(x, normalized(images[y]))
    # value-0 erasing after normalize leaves exact zeros
    erase_after = build_augment([{"op": "normalize"},
                                 {"op": "random_erasing", "p": 1.0, "scale": [0.1, 0.1], "value": 0}])
    x, _ = next(iter(loader(data, augment=erase_after)))
    assert ((x == 0).all(1).float().mean((1, 2)) > 0.05).all()


def test_resize_then_augment(data):
    images, _ = data
    ld = DeviceLoader(images, torch.arange(N), 16, train=False, normalize=None, resize=64)
    x, y = next(iter(ld))
    assert x.shape == (16, 3, 64, 64)
    torch.testing.assert_close(x, TF.resize(images[:16].float() / 255, [64, 64], antialias=True))
    aug = next(iter(DeviceLoader(images, torch.arange(N), 16, train=True, resize=64,
                                 augment=build_augment([{"op": "random_crop", "padding": 4}]), normalize=STATS)))[0]
    assert aug.shape == (16, 3, 64, 64)


def test_mix_yields_soft_targets(data):
    ld = loader(data, augment=build_augment(CROP_FLIP), mix=build_mix({"op": "cutmix"}))
    x, t = next(iter(ld))
    assert t.shape == (64, 10) and t.dtype == torch.float32 and torch.allclose(t.sum(1), torch.ones(64))


def test_numpy_inputs_channels_last_and_errors(data):
    images, labels = data
    ld = DeviceLoader(images.numpy(), labels.numpy(), 32, train=True, augment=CROP_FLIP, normalize="cifar10",
                      channels_last=True)
    x, _ = next(iter(ld))
    assert x.is_contiguous(memory_format=torch.channels_last)
    with pytest.raises(ValueError, match="uint8"):
        DeviceLoader(images.float(), labels, 32, train=True)
    with pytest.raises(ValueError, match="labels"):
        DeviceLoader(images, labels[:-1], 32, train=True)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_loader_matches_shapes(data):
    ld = loader(data, device="cuda", augment=build_augment(CROP_FLIP + [{"op": "trivial_augment_wide"}]))
    x, y = next(iter(ld))
    assert x.is_cuda and y.is_cuda and x.shape == (64, 3, 32, 32)
    again = loader(data, device="cuda", augment=build_augment(CROP_FLIP + [{"op": "trivial_augment_wide"}]))
    assert torch.equal(next(iter(again))[0], x)


def test_preview_batch_and_figures(data):
    from cifarlab.analysis.figures.sample_figures import plot_augmentation_preview, plot_sample_grid

    images, labels = data
    specs = [{"op": "rotate", "degrees": 30}, {"op": "normalize", "mean": 0.5, "std": 0.25}]
    imgs, labs = preview_batch(images, labels, specs, "cifar10", n=4, seed=1)
    assert imgs.shape == (4, 32, 32, 3) and imgs.dtype == np.float32 and labs.shape == (4,)
    assert imgs.min() >= 0 and imgs.max() <= 1
    again, _ = preview_batch(images, labels, specs, "cifar10", n=4, seed=1)
    assert np.array_equal(imgs, again)
    plain, _ = preview_batch(images, labels, [], None, n=4, seed=1)
    idx = torch.randperm(N, generator=torch.Generator().manual_seed(1))[:4]
    originals = images[idx].permute(0, 2, 3, 1).numpy() / 255
    assert all(any(np.allclose(p, o) for o in originals) for p in plain)  # un-normalized exactly
    names = [f"class{i}" for i in range(10)]
    fig = plot_augmentation_preview(imgs, labs, names)
    assert len([a for a in fig.axes if a.images]) == 4
    assert fig.axes[0].get_title() == names[labs[0]]
    grid = plot_sample_grid(images[:10].numpy(), labels[:10].numpy(), names, ncols=4)
    assert len(grid.axes) == 12 and len([a for a in grid.axes if a.images]) == 10


def test_normalize_is_torchvisions():
    import torch
    import torchvision.transforms.v2.functional as TF

    from cifarlab.data.tv_functional import normalize

    x = torch.rand(4, 3, 8, 8)
    mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
    assert torch.equal(normalize(x, mean, std), TF.normalize(x, list(mean), list(std)))


@pytest.mark.parametrize("size", [16, 20, 64])
def test_resize_is_torchvisions(size):
    import torch
    import torchvision.transforms.v2.functional as TF

    from cifarlab.data.tv_functional import resize_bilinear

    x = torch.rand(4, 3, 32, 32)
    assert torch.equal(resize_bilinear(x, size), TF.resize(x, [size, size], antialias=True))
    assert resize_bilinear(x, 32) is x


def test_a_plain_run_loads_and_normalizes_without_torchvision():
    # torchvision's package import costs ~1.7 s a process; a run that only resizes and
    # normalises skips it.
    import subprocess
    import sys

    code = ("import sys, torch; from cifarlab.data.loader import DeviceLoader; "
            "x = torch.zeros(8, 3, 8, 8, dtype=torch.uint8); y = torch.zeros(8, dtype=torch.long); "
            "list(DeviceLoader(x, y, 4, train=False, normalize=((0.5,) * 3, (0.25,) * 3), resize=16)); "
            "print('torchvision' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
