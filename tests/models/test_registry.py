"""The registry is strict: duplicates and unknown names fail loudly."""

from __future__ import annotations

import pytest
from torch import nn

from cifarlab.models import get_model, get_model_info, list_models, register_model
from cifarlab.models.registry import _REGISTRY


def test_duplicate_name_raises() -> None:
    name = list_models()[0]
    with pytest.raises(ValueError, match=name):
        register_model(name, family="x", study="s000")(lambda num_classes: nn.Identity())


def test_unknown_name_raises_naming_it() -> None:
    with pytest.raises(KeyError, match="no_such_model"):
        get_model("no_such_model", num_classes=10)
    with pytest.raises(KeyError, match="no_such_model"):
        get_model_info("no_such_model")


def test_list_models_pattern() -> None:
    assert list_models("resnet_*") == ["resnet_20", "resnet_32", "resnet_56"]
    assert "cnn4" in list_models()
    assert list_models("zzz*") == []
    assert list_models() == sorted(list_models())


def test_register_binds_defaults_and_cfg_overrides() -> None:
    name = "_test_tmp_model"
    try:
        register_model(name, family="test", study="s000", width=3)(
            lambda num_classes, width: nn.Linear(width, num_classes)
        )
        assert get_model(name, 5).in_features == 3
        assert get_model(name, 5, width=7).in_features == 7
    finally:
        _REGISTRY.pop(name, None)


def test_every_model_has_provenance() -> None:
    for name in list_models():
        info = get_model_info(name)
        assert info.study in {"s000", "s001", "s002", "s003", "s004"}, name
        assert info.source, name
        assert info.family, name


def test_family_index_matches_what_the_families_register() -> None:
    # get_model_info imports only the family models/index.py names: a model missing from
    # the index (or filed under the wrong family) would load the whole zoo or not at all.
    from cifarlab.models.index import FAMILY_MODULES

    list_models()  # every family imported
    registered = {name: info.factory.__module__.rsplit(".", 1)[1]
                  for name, info in _REGISTRY.items() if not name.startswith("_test")}
    missing = {n: m for n, m in registered.items() if FAMILY_MODULES.get(n) != m}
    assert not missing, f"add to cifarlab/models/index.py FAMILY_MODULES: {missing}"
    stale = set(FAMILY_MODULES) - set(registered)
    assert not stale, f"remove from cifarlab/models/index.py FAMILY_MODULES: {sorted(stale)}"


def test_building_a_plain_model_loads_no_other_family() -> None:
    # A fresh interpreter: in this one other tests may have imported timm already.
    import subprocess
    import sys

    code = ("import sys; from cifarlab.models import get_model; get_model('resnet_20', 10); "
            "print(sorted(m for m in ('timm', 'torchvision') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
