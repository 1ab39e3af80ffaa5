"""Ablation knobs are model parameters (s002 §5): ECA kernel size and position, Ghost
ratio, drop_path; invalid values fail with a clear message."""

from __future__ import annotations

import pytest
import torch

from cifarlab.models import get_model
from cifarlab.models.families.cifar_resnet import ATTN_POSITIONS
from cifarlab.models.layers import ECA, eca_kernel_size


@pytest.mark.parametrize("pos", ATTN_POSITIONS)
def test_eca_positions_run_and_share_the_count(pos: str) -> None:
    model = get_model("ecanet20_fixed_k3", 100, attn_pos=pos)
    assert sum(p.numel() for p in model.parameters()) == 278_351
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 100)


def test_eca_positions_differ() -> None:
    x = torch.randn(2, 3, 32, 32)
    outs = []
    for pos in ATTN_POSITIONS:
        torch.manual_seed(0)
        outs.append(get_model("ecanet20_fixed_k3", 10, attn_pos=pos).eval()(x))
    assert not torch.allclose(outs[0], outs[1]) and not torch.allclose(outs[1], outs[2])


def test_adaptive_kernel_is_3_at_resnet20_widths() -> None:
    assert [eca_kernel_size(c) for c in (16, 32, 64)] == [3, 3, 3]
    assert eca_kernel_size(256) == 5
    ks = {m.k for m in get_model("ecanet20_adaptive", 10).modules() if isinstance(m, ECA)}
    assert ks == {3}


def test_bad_values_raise() -> None:
    with pytest.raises(ValueError, match="attn_pos"):
        get_model("eca_resnet_20", 10, attn_pos="before_conv1")
    with pytest.raises(ValueError, match="k_size"):
        get_model("eca_resnet_20", 10, k_size=4)
    with pytest.raises(ValueError, match="ratio"):
        get_model("ghost_resnet_20", 10, ratio=1)


def test_drop_path_is_active_in_training_only() -> None:
    torch.manual_seed(0)
    model = get_model("improved_resnet20_convnext", 10, drop_path=0.5)
    x = torch.randn(4, 3, 32, 32)
    model.eval()
    with torch.no_grad():
        a, b = model(x), model(x)
    torch.testing.assert_close(a, b)
    model.train()
    with torch.no_grad():
        torch.manual_seed(1)
        c = model(x)
        torch.manual_seed(2)
        d = model(x)
    assert not torch.allclose(c, d)
