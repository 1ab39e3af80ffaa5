"""Each batched op against torchvision's reference kernels and its parameter distribution.

Per-sample parameters come from the ops' ``sample`` methods; applying torchvision's
functional kernel to each sample with the same parameters must give the same image.
"""

import math

import pytest
import torch
import torch.nn.functional as nnf
import torchvision.transforms.v2 as v2
import torchvision.transforms.v2.functional as TF

from cifarlab.data.augment import build_augment, color, trivial
from cifarlab.data.augment.basic import crop_batch

DEV = torch.device("cpu")


def batch(n=16, seed=0, size=32):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 3, size, size), generator=g).float() / 255


def gen(seed):
    return torch.Generator().manual_seed(seed)


def op_of(spec):
    return build_augment([spec]).ops[0]


def test_hflip_rate_near_p():
    x = batch(2000, size=4)
    out = op_of({"op": "hflip", "p": 0.3})(x, gen(0))
    flipped = (out == x.flip(-1)).flatten(1).all(1)
    same = (out == x).flatten(1).all(1)
    assert (flipped | same).all()
    assert abs(flipped.float().mean().item() - 0.3) < 0.035  # ~3.5 sigma for n = 2000


def test_random_crop_offsets_uniform_and_zero_padded():
    op = op_of({"op": "random_crop", "size": 32, "padding": 4})
    x = batch(4)
    offsets = op.sample(gen(0), 9000, 32, 32, DEV)
    assert offsets.min() == 0 and offsets.max() == 8
    for k in range(2):
        freq = torch.bincount(offsets[:, k], minlength=9).float() / len(offsets)
        assert (freq - 1 / 9).abs().max() < 0.02
    # Output = torchvision's zero-padded crop at the sampled offsets.
    out = op(x, gen(1))
    top, left = op.sample(gen(1), 4, 32, 32, DEV).unbind(1)
    for i in range(4):
        ref = TF.crop(nnf.pad(x[i], (4, 4, 4, 4)), int(top[i]), int(left[i]), 32, 32)
        assert torch.equal(out[i], ref)
    assert (out == 0).any()  # zero fill (torchvision's default), not reflection


def test_random_crop_reflect_and_smaller_size():
    x = batch(4)
    out = op_of({"op": "random_crop", "size": 24, "padding": 2, "padding_mode": "reflect"})(x, gen(0))
    assert out.shape == (4, 3, 24, 24)
    top, left = torch.tensor([0, 1, 2, 3]), torch.tensor([3, 2, 1, 0])
    ref = crop_batch(nnf.pad(x, (2, 2, 2, 2), mode="reflect"), top, left, 24, 24)
    assert torch.equal(ref[1], TF.crop(nnf.pad(x[1:2], (2, 2, 2, 2), mode="reflect")[0], 1, 2, 24, 24))


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_rotate_matches_torchvision_per_sample(interpolation):
    op = op_of({"op": "rotate", "degrees": 30, "interpolation": interpolation})
    x = batch(8)
    angles = op.sample(gen(0), 8, DEV)
    out = op(x, gen(0))
    mode = TF.InterpolationMode(interpolation)
    for i in range(8):
        ref = TF.rotate(x[i], float(angles[i]), interpolation=mode)
        if interpolation == "nearest":  # float ties may pick the neighbouring pixel
            assert (out[i] != ref).float().mean() < 0.01
        else:
            torch.testing.assert_close(out[i], ref, atol=1e-4, rtol=0)


def test_rotate_angles_inside_range_and_fill():
    op = op_of({"op": "rotate", "degrees": [-10, 30], "fill": 0.5})
    a = op.sample(gen(0), 5000, DEV)
    assert a.min() >= -10 and a.max() <= 30 and abs(a.mean().item() - 10) < 0.5
    out = op(torch.ones(4, 3, 32, 32), gen(2))
    corners = out[:, :, [0, 0, -1, -1], [0, -1, 0, -1]]
    assert ((corners == 0.5) | (corners == 1.0)).all() and (corners == 0.5).any()


def test_random_resized_crop_matches_torchvision_and_params():
    op = op_of({"op": "random_resized_crop", "size": 32, "scale": [0.8, 1.0], "ratio": [0.9, 1.1]})
    x = batch(8)
    box = op.sample(gen(0), 8, 32, 32, DEV)
    out = op(x, gen(0))
    for i in range(8):
        t, l, h, w = (int(v) for v in box[i])
        ref = TF.resized_crop(x[i], t, l, h, w, [32, 32], antialias=True)
        torch.testing.assert_close(out[i], ref, atol=1e-4, rtol=0)
    boxes = op.sample(gen(1), 4000, 32, 32, DEV).float()
    top, left, h, w = boxes.unbind(1)
    area = h * w / 1024
    # Rounding h and w to whole pixels moves the area by up to ~ (h + w) / 2 pixels.
    assert area.min() >= 0.8 - 32 / 1024 and area.max() <= 1.0
    assert ((w / h) >= 0.9 - 0.04).all() and ((w / h) <= 1.1 + 0.04).all()
    assert (top + h <= 32).all() and (left + w <= 32).all() and (top >= 0).all()


def test_random_resized_crop_downscale_shape():
    out = op_of({"op": "random_resized_crop", "size": [16, 24]})(batch(4), gen(0))
    assert out.shape == (4, 3, 16, 24) and out.min() >= 0 and out.max() <= 1


def test_random_erasing_area_rate_and_values():
    op = op_of({"op": "random_erasing", "p": 0.6, "scale": [0.02, 0.1], "ratio": [0.3, 3.3], "value": 0.25})
    box = op.sample(gen(0), 4000, 32, 32, DEV).float()
    erased = box[:, 2] * box[:, 3] > 0
    assert abs(erased.float().mean().item() - 0.6) < 0.04
    area = (box[erased, 2] * box[erased, 3]) / 1024
    assert area.min() >= 0.02 - 0.01 and area.max() <= 0.1 + 0.02  # whole-pixel rounding
    aspect = box[erased, 2] / box[erased, 3]  # height / width, as torchvision
    assert aspect.min() >= 0.3 * 0.7 and aspect.max() <= 3.3 / 0.7
    x = torch.full((64, 3, 32, 32), 0.9)
    out = op(x, gen(1))
    frac = (out == 0.25).all(1).float().mean((1, 2))
    assert ((frac == 0) | ((frac >= 0.01) & (frac <= 0.12))).all()
    # 'random' fills standard normal noise, as torchvision
    noisy = op_of({"op": "random_erasing", "p": 1.0, "scale": [0.3, 0.3], "value": "random"})(x, gen(2))
    vals = noisy[noisy != 0.9]
    assert abs(vals.mean().item()) < 0.1 and abs(vals.std().item() - 1) < 0.1


def test_cutout_square_clipped():
    op = op_of({"op": "cutout", "length": 12})
    out = op(torch.ones(500, 1, 32, 32), gen(0))
    zero = (out == 0).float().sum((1, 2, 3))
    assert zero.max() == 144 and zero.min() >= 36 and (zero > 0).all()
    rows = (out == 0).any(-1).sum(-1).flatten()  # height of each box
    assert rows.max() == 12


def test_color_ops_match_torchvision_kernels():
    x = batch(6)
    f = torch.tensor([0.0, 0.5, 0.8, 1.0, 1.3, 1.9])
    for ours, ref in [(color.adjust_brightness, TF.adjust_brightness), (color.adjust_contrast, TF.adjust_contrast),
                      (color.adjust_saturation, TF.adjust_saturation), (color.adjust_sharpness, TF.adjust_sharpness)]:
        out = ours(x, f)
        for i in range(6):
            torch.testing.assert_close(out[i], ref(x[i], float(f[i])), atol=1e-5, rtol=0)
    shift = torch.tensor([-0.5, -0.2, 0.0, 0.1, 0.3, 0.5])
    out = color.adjust_hue(x, shift)
    for i in range(6):
        torch.testing.assert_close(out[i], TF.adjust_hue(x[i], float(shift[i])), atol=1e-4, rtol=0)


def test_color_jitter_factors_and_order():
    op = op_of({"op": "color_jitter", "brightness": 0.2, "contrast": 0.2, "saturation": 0.2})
    factors, order = op.sample(gen(0), 6000, DEV)
    for name in ("brightness", "contrast", "saturation"):
        v = factors[name]
        assert v.min() >= 0.8 and v.max() <= 1.2 and abs(v.mean().item() - 1.0) < 0.01
    perms = torch.unique(order, dim=0, return_counts=True)[1]
    assert len(perms) == 6 and perms.min() > 850  # all 3! orders, about equally often
    # One sample = torchvision's kernels in that sample's order.
    x = batch(4)
    out = op(x, gen(1))
    factors, order = op.sample(gen(1), 4, DEV)
    kernels = {"brightness": TF.adjust_brightness, "contrast": TF.adjust_contrast,
               "saturation": TF.adjust_saturation}
    for i in range(4):
        ref = x[i]
        for j in order[i].tolist():
            name = op._active[j]
            ref = kernels[name](ref, float(factors[name][i]))
        torch.testing.assert_close(out[i], ref, atol=1e-5, rtol=0)


TV_NAMES = {"identity": "Identity", "shear_x": "ShearX", "shear_y": "ShearY", "translate_x": "TranslateX",
            "translate_y": "TranslateY", "rotate": "Rotate", "brightness": "Brightness", "color": "Color",
            "contrast": "Contrast", "sharpness": "Sharpness", "posterize": "Posterize", "solarize": "Solarize",
            "autocontrast": "AutoContrast", "equalize": "Equalize"}


def test_trivial_augment_matches_torchvision_per_sample():
    op = op_of({"op": "trivial_augment_wide"})
    x8 = torch.randint(0, 256, (96, 3, 32, 32), generator=gen(5), dtype=torch.uint8)
    out = op(x8.float() / 255, gen(0))
    ops, mags = op.sample(gen(0), 96, DEV)
    assert len(torch.unique(ops)) == 14
    ta = v2.TrivialAugmentWide()
    for i in range(96):
        name = TV_NAMES[trivial.NAMES[int(ops[i])]]
        ref = ta._apply_image_or_video_transform(x8[i], name, float(mags[i]), interpolation=ta.interpolation,
                                                 fill=ta._fill)
        diff = (out[i] * 255 - ref.float()).abs().max()
        if int(ops[i]) in trivial.GEOMETRIC or name in ("Identity", "Posterize"):
            assert diff < 1e-3, name  # same grid, same pixels
        else:  # torchvision's uint8 kernels round grey levels and truncate blends
            assert diff <= 2.01, name


def test_trivial_augment_magnitude_distribution():
    op = op_of({"op": "trivial_augment_wide"})
    ops, mags = op.sample(gen(0), 14000, DEV)
    counts = torch.bincount(ops, minlength=14).float()
    assert (counts / 1000 - 1).abs().max() < 0.12
    rot = mags[ops == trivial.NAMES.index("rotate")]
    assert rot.abs().max() <= 135 and (rot < 0).float().mean().sub(0.5).abs() < 0.05
    bits = mags[ops == trivial.NAMES.index("posterize")]
    assert set(bits.unique().tolist()) <= set(range(2, 9))
    assert (mags[ops == 0] == 0).all()
    assert math.isclose(float(mags[ops == trivial.NAMES.index("solarize")].max()), 1.0)
