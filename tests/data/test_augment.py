"""build_augment / build_mix: spec validation, determinism, identities, op placement."""

from pathlib import Path

import pytest
import torch

from cifarlab.config import explicit_augment_ops, load_config
from cifarlab.data.augment import OPS, build_augment, build_mix

# The seeds' stacks exactly as params.yaml configures them.
_CFG = load_config(Path(__file__).resolve().parents[2] / "params.yaml", profile="full")
S000 = explicit_augment_ops(_CFG, "s000_adamw", "cifar10")
S002 = explicit_augment_ops(_CFG, "s002_sgd", "cifar100")
# One representative random spec per op (all random ops must appear here).
RANDOM_SPECS = {
    "hflip": {"op": "hflip", "p": 0.5},
    "random_crop": {"op": "random_crop", "padding": 4},
    "rotate": {"op": "rotate", "degrees": 30},
    "random_resized_crop": {"op": "random_resized_crop", "size": 32, "scale": [0.5, 1.0]},
    "color_jitter": {"op": "color_jitter", "brightness": 0.4, "contrast": 0.4, "saturation": 0.4, "hue": 0.1},
    "random_erasing": {"op": "random_erasing", "p": 0.5, "value": "random"},
    "cutout": {"op": "cutout", "length": 12},
    "trivial_augment_wide": {"op": "trivial_augment_wide"},
}
# p = 0 (or zero magnitude) makes each random op the identity.
IDENTITY_SPECS = [
    {"op": "hflip", "p": 0.0},
    {"op": "random_crop", "padding": 0},
    {"op": "rotate", "degrees": 0},
    {"op": "color_jitter"},
    {"op": "random_erasing", "p": 0.0},
    {"op": "cutout", "length": 12, "p": 0.0},
    {"op": "random_resized_crop", "size": 32, "scale": [1.0, 1.0], "ratio": [1.0, 1.0]},
]


def batch(n=16, seed=0, size=32):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 3, size, size), generator=g).float() / 255


def gen(seed):
    return torch.Generator().manual_seed(seed)


def test_every_registered_op_is_covered():
    assert set(RANDOM_SPECS) | {"resize", "normalize"} == set(OPS)


@pytest.mark.parametrize("spec, words", [
    ({"op": "sharpen"}, ["sharpen"]),
    ({"op": "hflip", "prob": 0.5}, ["hflip", "prob"]),
    ({"op": "hflip", "p": 1.5}, ["hflip", "p"]),
    ({"op": "rotate"}, ["rotate"]),
    ({"op": "rotate", "degrees": [10, -10]}, ["rotate", "degrees"]),
    ({"op": "random_crop", "padding": -1}, ["random_crop", "padding"]),
    ({"op": "random_resized_crop", "size": 32, "scale": [0.5, 1.5]}, ["random_resized_crop", "scale"]),
    ({"op": "color_jitter", "hue": 0.7}, ["color_jitter", "hue"]),
    ({"op": "random_erasing", "value": "noise"}, ["random_erasing", "value"]),
    ({"op": "cutout", "length": 2.5}, ["cutout", "length"]),
    ({"op": "normalize", "stats": "mnist"}, ["normalize", "mnist"]),
    ({"op": "normalize", "mean": 0.5}, ["normalize", "std"]),
    ({"op": "trivial_augment_wide", "interpolation": "cubic"}, ["trivial_augment_wide", "interpolation"]),
    ({"p": 0.5}, ["op"]),
])
def test_bad_specs_raise_naming_op_and_key(spec, words):
    with pytest.raises(ValueError) as err:
        build_augment([spec])
    for word in words:
        assert word in str(err.value)


def test_bad_mix_specs():
    with pytest.raises(ValueError, match="mixup.*beta"):
        build_mix({"op": "mixup", "beta": 1.0})
    with pytest.raises(ValueError, match="mosaic"):
        build_mix({"op": "mosaic"})
    assert build_mix(None) is None and build_mix([]) is None


@pytest.mark.parametrize("name", sorted(RANDOM_SPECS))
def test_random_op_shape_range_and_seeding(name):
    op = build_augment([RANDOM_SPECS[name]])
    x = batch()
    a, b, c = op(x, gen(1)), op(x, gen(1)), op(x, gen(2))
    assert a.shape == x.shape and a.dtype == torch.float32
    assert torch.equal(a, b), "same seed -> same batch"
    assert not torch.equal(a, c), "different seeds -> different batches"
    assert not torch.equal(a, x)
    if name != "random_erasing":  # 'random' fills standard-normal noise
        assert a.min() >= 0.0 and a.max() <= 1.0
    assert torch.equal(x, batch()), "input left untouched"


@pytest.mark.parametrize("spec", IDENTITY_SPECS, ids=lambda s: s["op"])
def test_zero_probability_is_identity(spec):
    x = batch()
    torch.testing.assert_close(build_augment([spec])(x, gen(0)), x, atol=1e-6, rtol=0)


def test_per_sample_randomness_within_one_batch():
    # The same image repeated: a per-batch parameter set would give identical outputs.
    x = batch(1).expand(16, -1, -1, -1).contiguous()
    for name, spec in RANDOM_SPECS.items():
        out = build_augment([spec])(x, gen(3))
        distinct = len({tuple(o.flatten().tolist()) for o in out})
        assert distinct >= (2 if name == "hflip" else 5), name


def test_seed_pipelines_run_and_place_normalize():
    x = batch(64)
    s000, s002 = build_augment(S000), build_augment(S002)
    assert s000.normalizes and s002.normalizes
    y = s000(x, gen(0))
    assert y.shape == x.shape and y.min() < 0 and torch.isfinite(y).all()
    z = s002(x, gen(0))
    # s002 erases AFTER normalize with value 0: exact zeros only come from erasing.
    erased = (z == 0).all(dim=1)
    assert erased.any()
    no_erase = build_augment(S002[:-1])(x, gen(0))
    assert not (no_erase == 0).all(dim=1).any()


def test_bare_normalize_uses_call_time_stats():
    x = batch()
    pipe = build_augment([{"op": "normalize"}])
    out = pipe(x, gen(0), normalize=([0.5] * 3, [0.25] * 3))
    torch.testing.assert_close(out, (x - 0.5) / 0.25)
    with pytest.raises(ValueError, match="normalize"):
        pipe(x, gen(0))
    imagenet = build_augment([{"op": "normalize", "stats": "imagenet"}])(x, gen(0))
    torch.testing.assert_close(imagenet[:, 0], (x[:, 0] - 0.485) / 0.229)


def test_resize_matches_torchvision():
    import torchvision.transforms.v2.functional as TF

    x = batch(4)
    out = build_augment([{"op": "resize", "size": 64}])(x, gen(0))
    torch.testing.assert_close(out, TF.resize(x, [64, 64], antialias=True))


def one_hot_images(n=32):
    """Images whose pixels encode their own label, so mixing can be read back."""
    y = torch.arange(n) % 10
    x = (y.float() / 10).view(-1, 1, 1, 1).expand(n, 3, 32, 32).contiguous()
    return x, y


@pytest.mark.parametrize("op", ["mixup", "cutmix"])
def test_mix_targets_match_pixels(op):
    x, y = one_hot_images()
    mix = build_mix({"op": op, "alpha": 1.0}, num_classes=10)
    xm, t = mix(x, y, gen(0))
    assert t.shape == (32, 10) and torch.allclose(t.sum(1), torch.ones(32))
    own = t.gather(1, y[:, None])[:, 0]
    partner = y.roll(1)
    if op == "mixup":
        expect = own * x[:, 0, 0, 0] + (1 - own) * x.roll(1, 0)[:, 0, 0, 0]
        torch.testing.assert_close(xm[:, 0, 0, 0], expect)
    else:
        from_partner = (xm[:, 0] == (partner.float() / 10).view(-1, 1, 1)).float().mean((1, 2))
        torch.testing.assert_close(1 - from_partner, own)
    assert not torch.equal(xm, x)
    xs, ts = mix(x, y, gen(0))
    assert torch.equal(xs, xm) and torch.equal(ts, t)


def test_mix_p0_identity_and_choice():
    x, y = one_hot_images()
    xm, t = build_mix({"op": "cutmix", "p": 0.0, "num_classes": 10})(x, y, gen(0))
    assert torch.equal(xm, x) and torch.equal(t, torch.nn.functional.one_hot(y, 10).float())
    both = build_mix([{"op": "mixup"}, {"op": "cutmix"}], num_classes=10)
    xm, t = both(x, y, gen(1))
    assert xm.shape == x.shape and torch.allclose(t.sum(1), torch.ones(32))
