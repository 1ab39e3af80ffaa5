"""BatchNorm statistics re-estimated before validation (budgeted runs take few steps)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from cifarlab.train.settings import TrainSettings
from cifarlab.train.trainer import recalibrate_bn


def test_recalibration_replaces_drifted_running_statistics_with_the_data_s():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
    bn = model[1]
    model.eval()
    bn.running_mean.fill_(5.0)
    bn.running_var.fill_(9.0)  # far from anything the data gives
    batches = [(torch.randn(16, 3, 4, 4) * 2 + 1, torch.zeros(16)) for _ in range(3)]
    recalibrate_bn(model, batches, batches=2)
    with torch.no_grad():
        feats = torch.cat([model[0](x) for x, _ in batches[:2]])
    torch.testing.assert_close(bn.running_mean, feats.mean(dim=(0, 2, 3)), atol=1e-4, rtol=1e-4)
    assert bn.momentum == 0.1 and not model.training  # update_bn restores momentum and mode
    plain = nn.Sequential(nn.Linear(2, 2))
    recalibrate_bn(plain, [(torch.randn(4, 2), torch.zeros(4))], 1)  # no BatchNorm: nothing to do


def test_the_setting_is_checked():
    assert TrainSettings(bn_recalibration_batches=4).bn_recalibration_batches == 4
    with pytest.raises(ValueError, match="bn_recalibration_batches"):
        TrainSettings(bn_recalibration_batches=-1)
