"""count_params / count_flops on a model small enough to count by hand."""

from __future__ import annotations

from torch import nn

from cifarlab.models.complexity import count_flops, count_params


def test_count_params_and_flops_by_hand() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.Flatten(), nn.Linear(4 * 8 * 8, 5))
    assert count_params(model) == 3 * 4 * 9 + 4 * 64 * 5 + 5
    # conv: 2 * (H*W*Cout) * (Cin*k*k); linear: 2 * in * out
    assert count_flops(model, 8) == 2 * 64 * 4 * 27 + 2 * 256 * 5


def test_count_flops_restores_training_mode() -> None:
    model = nn.Sequential(nn.Conv2d(3, 2, 1), nn.BatchNorm2d(2))
    model.train()
    count_flops(model, 4)
    assert model.training
