"""Parameter counts reproduce the seeds' claims: exact where the seed gives units,
within 1% where it gives millions (s002 Tables 1 and 3, s001's ablation print-out).
Where no architecture matching a seed's description can meet its claim, the registry
carries a ``fidelity_note`` and the measured count is pinned here instead."""

from __future__ import annotations

import pytest
import torch

from cifarlab.models import get_model, get_model_info, list_models
from cifarlab.models.complexity import count_params

EXACT, REL1 = 0.0, 0.01
# (name, cfg overrides, num_classes, expected params, relative tolerance)
CLAIMS: list[tuple[str, dict, int, float, float]] = [
    ("efficientnet_b2", {}, 10, 7_715_084, EXACT),  # s001 ablation print-out
    ("resnet_20", {}, 100, 278_324, EXACT),  # s002 Table 3
    ("ecanet20_adaptive", {}, 100, 278_351, EXACT),
    ("ecanet20_fixed_k3", {}, 100, 278_351, EXACT),
    ("ecanet20_fixed_k3", {"k_size": 5}, 100, 278_369, EXACT),
    ("ecanet20_fixed_k3", {"k_size": 7}, 100, 278_387, EXACT),
    ("ecanet20_fixed_k3", {"k_size": 9}, 100, 278_405, EXACT),
    ("eca_resnet_20", {}, 100, 278_351, EXACT),
    ("eca_resnet_32", {}, 100, 0.47e6, REL1),  # s002 Table 1 from here on
    ("resnet_32", {}, 100, 0.47e6, REL1),
    ("resnet_56", {}, 100, 0.86e6, REL1),
    ("improved_resnet20_convnext", {}, 100, 0.175e6, REL1),
    ("ghostnet_100", {}, 100, 4.03e6, REL1),
    ("convnext_tiny", {}, 100, 27.90e6, REL1),
    ("cspresnet50", {}, 100, 20.69e6, REL1),
    ("resnest50d", {}, 100, 25.64e6, REL1),
    ("hornet_tiny", {}, 100, 4.63e6, REL1),
    ("mlp_mixer_tiny", {}, 100, 3.64e6, REL1),
    ("mlp_mixer_b16", {}, 100, 59.19e6, REL1),
    ("segnext_mscan_tiny", {}, 100, 0.85e6, REL1),
]
# Claims no faithful architecture meets (see fidelity_note / docs/models.md): measured
# counts pinned so a change to the architecture is noticed.
PINNED: list[tuple[str, dict, int, float, float]] = [
    ("ghost_resnet_20", {}, 100, 147_716, EXACT),  # claim 0.15M
    ("ghost_resnet_20", {"ratio": 4}, 100, 82_412, EXACT),  # claim 0.08M
    ("ghost_resnet_32", {}, 100, 247_396, EXACT),  # claim 0.24M
    ("coatnet_0", {}, 100, 24_293_456, EXACT),  # claim 20.04M
    ("coatnet_cifar_opt", {}, 100, 24_034_953, EXACT),  # claim 27.01M
    ("coatnet_cifar_opt_large_stem", {}, 100, 24_038_025, EXACT),  # claim 27.01M
    # no claim in the seeds; well-known reference counts
    ("wrn_28_10", {}, 10, 36_479_194, EXACT),  # WRN paper: 36.5M
    ("wrn_16_8", {}, 10, 10_961_370, EXACT),  # WRN paper: 11.0M
    ("resnet18", {}, 10, 11_173_962, EXACT),  # pytorch-cifar ResNet18
]


def _case(name: str, cfg: dict, classes: int, expected: float, tol: float):
    cid = f"{name}@{classes}" + "".join(f"-{k}={v}" for k, v in cfg.items())
    return pytest.param(name, cfg, classes, expected, tol, id=cid)


@pytest.mark.parametrize("name,cfg,classes,expected,tol", [_case(*r) for r in CLAIMS + PINNED])
def test_param_count(name: str, cfg: dict, classes: int, expected: float, tol: float) -> None:
    with torch.device("meta"):  # no weights allocated: counting only
        n = count_params(get_model(name, classes, **cfg))
    if tol == EXACT:
        assert n == expected
    else:
        assert abs(n - expected) / expected <= tol, f"{name}: {n} vs claimed {expected}"


def test_every_claim_is_checked_or_explained() -> None:
    checked = {r[0]: r for r in CLAIMS if not r[1]}
    for name in list_models():
        info = get_model_info(name)
        if info.claimed_params is None:
            continue
        if name in checked:
            _, _, classes, expected, _ = checked[name]
            assert (expected, classes) == (info.claimed_params, info.claimed_num_classes), name
        else:
            assert info.fidelity_note, f"{name}: claimed count neither met nor explained"
            assert name in {r[0] for r in PINNED}, f"{name}: measured count not pinned"
