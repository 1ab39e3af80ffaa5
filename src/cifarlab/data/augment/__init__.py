"""Batched, seeded data augmentation on the training device.

``build_augment(specs)`` turns params.yaml op lists (``[{op: hflip, p: 0.5}, ...]``) into
a pure callable ``(x, gen) -> x`` on float batches (N, C, H, W) in [0, 1]; every op draws
its random parameters per sample from the ``torch.Generator`` it is given (never the
global RNG). ``build_mix(spec)`` builds MixUp / CutMix ``(x, y, gen) -> (x, soft_targets)``.

=====================  ==========================================  ======================
op                     torchvision reference                       implementation
=====================  ==========================================  ======================
hflip                  RandomHorizontalFlip(p)                     where(flip, x.flip(-1))
random_crop            RandomCrop(size, padding) (zero fill)       pad + one gather
rotate                 RandomRotation(degrees) (nearest)           one affine grid_sample
random_resized_crop    RandomResizedCrop(size, scale, ratio)       one grid_sample
color_jitter           ColorJitter(b, c, s, h), random order       per-sample blends
random_erasing         RandomErasing(p, scale, ratio, value)       box masks
cutout                 s004's Cutout(length)                       box masks
trivial_augment_wide   TrivialAugmentWide()                        grouped per op; v2
                                                                   autocontrast/equalize/
                                                                   sharpness kernels
resize                 Resize(size)                                v2 resize (deterministic)
normalize              Normalize(mean, std)                        v2 normalize
mixup / cutmix         v2.MixUp / v2.CutMix                        build_mix, per-sample lam
=====================  ==========================================  ======================

torchvision.v2's random transforms draw ONE parameter set per call (so a batched tensor
shares it) from the global RNG; the random ops are therefore written here, reproducing
torchvision's kernels per sample (checked in tests/data/test_augment_ops.py), while
torchvision.v2's deterministic batched kernels are used where they serve.
"""

from . import basic, color, erase, geometry, trivial  # noqa: F401  (register the ops)
from ._base import OPS, register_op
from .mix import MIXES, build_mix, recipe_mix_specs
from .pipeline import Augment, build_augment

__all__ = ["OPS", "MIXES", "Augment", "build_augment", "build_mix", "recipe_mix_specs", "register_op"]
