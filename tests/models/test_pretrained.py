"""Pretrained weights load offline from a file or the hub cache, or fail naming the file."""

from __future__ import annotations

import pytest
import torch
import torchvision

from cifarlab.models import get_model


@pytest.fixture(scope="module")
def resnet18_file(tmp_path_factory) -> "torch.Path":
    """A stand-in for torchvision's resnet18 ImageNet file (random weights, right keys)."""
    path = tmp_path_factory.mktemp("hub") / "checkpoints" / "resnet18-f37072fd.pth"
    path.parent.mkdir()
    torch.manual_seed(1)
    torch.save(torchvision.models.resnet18().state_dict(), path)
    return path


def test_missing_weights_name_the_file(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    with pytest.raises(FileNotFoundError, match="efficientnet_b2_rwightman-c35c1473.pth") as e:
        get_model("efficientnet_b2", 10, pretrained=True)
    assert str(tmp_path / "checkpoints") in str(e.value)
    with pytest.raises(FileNotFoundError, match="nowhere.pth"):
        get_model("resnet50_imagenet", 100, pretrained=tmp_path / "nowhere.pth")


def test_load_from_path_keeps_new_modules_random(resnet18_file) -> None:
    state = torch.load(resnet18_file, weights_only=True)
    model = get_model("se_resnet18", 10, pretrained=resnet18_file)
    torch.testing.assert_close(model.layer3[1].conv2.weight, state["layer3.1.conv2.weight"])
    torch.testing.assert_close(model.conv1.weight, state["conv1.weight"])
    assert model.get_classifier().out_features == 10  # head is new


def test_load_from_hub_cache_with_cifar_stem(monkeypatch, resnet18_file) -> None:
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(resnet18_file.parent.parent))
    state = torch.load(resnet18_file, weights_only=True)
    model = get_model("resnet18", 10, pretrained=True)
    torch.testing.assert_close(model.layer1[0].conv1.weight, state["layer1.0.conv1.weight"])
    assert model.conv1.weight.shape[-1] == 3  # the CIFAR stem stays new


def test_wrong_file_is_rejected(tmp_path) -> None:
    path = tmp_path / "resnet18-f37072fd.pth"
    torch.save({"not_a_key": torch.zeros(1)}, path)
    with pytest.raises(RuntimeError, match="does not fit"):
        get_model("resnet18", 10, pretrained=path)
