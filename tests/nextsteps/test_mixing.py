"""MixUp / CutMix as a recipe declares them: targets are distributions and lambda follows
Beta(alpha, alpha) for the declared alpha, from the seeded generator."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from cifarlab.data.augment import build_mix, recipe_mix_specs

N, K = 4000, 4000  # distinct labels: each sample's kept share is its own target entry


def _mixed(mix, seed):
    x = torch.rand(N, 3, 8, 8, generator=torch.Generator().manual_seed(99))
    y = torch.arange(N)
    return mix(x, y, torch.Generator().manual_seed(seed), num_classes=K)


def test_recipe_mix_keys_become_specs():
    assert recipe_mix_specs({"mixup_alpha": 0.4}) == [{"op": "mixup", "alpha": 0.4, "p": 1.0}]
    assert [s["op"] for s in recipe_mix_specs({"mixup_alpha": 1, "cutmix_alpha": 1, "p": 0.5})] == ["mixup", "cutmix"]
    assert recipe_mix_specs({"mixup_alpha": 0}) == [] and build_mix(recipe_mix_specs(None)) is None


@pytest.mark.parametrize("alpha", [0.4, 1.0])
def test_mixup_targets_sum_to_one_and_lambda_follows_beta(alpha):
    mix = build_mix(recipe_mix_specs({"mixup_alpha": alpha}), K)
    _, t = _mixed(mix, seed=0)
    assert torch.allclose(t.sum(1), torch.ones(N), atol=K * torch.finfo(torch.float32).eps)
    lam = t[torch.arange(N), torch.arange(N)].double().numpy()
    ks = stats.kstest(lam, stats.beta(alpha, alpha).cdf)
    assert ks.pvalue > 1e-3, ks
    other = 0.4 if alpha == 1.0 else 1.0  # the sample tells the declared alpha from another
    assert stats.kstest(lam, stats.beta(other, other).cdf).pvalue < 1e-6
    _, again = _mixed(mix, seed=0)
    assert torch.equal(t, again)  # seeded: the same generator seed mixes alike


def test_cutmix_targets_sum_to_one_and_keep_the_pasted_area():
    mix = build_mix(recipe_mix_specs({"cutmix_alpha": 1.0}), K)
    x = torch.rand(N, 3, 8, 8, generator=torch.Generator().manual_seed(99))
    xm, t = mix(x, torch.arange(N), torch.Generator().manual_seed(1), num_classes=K)
    assert torch.allclose(t.sum(1), torch.ones(N), atol=K * torch.finfo(torch.float32).eps)
    kept = (xm == x).all(1).float().mean((1, 2))  # share of own pixels (ties with partner ~ never)
    assert torch.allclose(t[torch.arange(N), torch.arange(N)], kept, atol=1e-6)
    # Box sides are cut to whole pixels, so the kept area only approximates 1 - lam: its mean
    # under Beta(1, 1) lies near 1/2 but above it (floors shrink the box).
    assert 0.5 <= float(kept.mean()) < 0.5 + 4 / 8


def test_quick_profile_keeps_a_mix_the_experiment_declares():
    from cifarlab.config import load_config

    from tests.workflow_copy import REPO

    cfg = load_config(REPO / "params.yaml", "quick")
    assert cfg.profile.augment is False  # the quick profile drops the recipes' random augmentation
    assert cfg.experiment("wrn_16_8_mixup").recipe.mix == {"mixup_alpha": 1.0}
    assert cfg.experiment("wrn_16_8").recipe.mix is None
