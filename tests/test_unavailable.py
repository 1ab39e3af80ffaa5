"""Data and weights that cannot be had: a local-only dataset with no path, absent
pretrained weights (full: stop before training; quick: random init, marked), and a real
ImageFolder tree end to end through download, split, train and evaluate."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from cifarlab.cli import run_step
from cifarlab.config import build_config
from cifarlab.models.pretrained import weights_path

REPO = Path(__file__).resolve().parents[1]
RAW = yaml.safe_load((REPO / "params.yaml").read_text())


def _write_params(where: Path, raw: dict) -> Path:
    path = where / "params.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def test_local_only_dataset_without_a_path_fails_its_first_step_naming_the_key(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    params = _write_params(tmp_path, copy.deepcopy(RAW))
    code = run_step("train", ["--params", str(params), "--profile", "full", "--experiment", "resnet50_imagenet"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "datasets.imagenet100.local is not set" in err and "ImageFolder layout" in err
    assert not (tmp_path / "results").exists()  # nothing trained, nothing written


def test_download_skips_it_with_a_warning_and_records_a_configured_tree(tmp_path, monkeypatch, capsys):
    from cifarlab.steps import download

    monkeypatch.chdir(tmp_path)
    raw = copy.deepcopy(RAW)
    raw["experiments"] = {"resnet50_imagenet": raw["experiments"]["resnet50_imagenet"]}
    raw["ensembles"] = {"seeds": {"study": "s003", "members": ["resnet50_imagenet"], "over": "seeds"}}
    raw["profiles"]["full"]["device"] = "cpu"
    download.run(build_config({**raw, "profile": "full"}), None, ["test"])
    out = capsys.readouterr().out
    assert "warning: imagenet100: skipped: datasets.imagenet100.local is not set" in out
    assert not (tmp_path / "data/raw/imagenet100").exists()
    raw["datasets"]["imagenet100"]["local"] = str(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="datasets.imagenet100.local: .*nowhere does not exist"):
        download.run(build_config({**raw, "profile": "full"}), None, ["test"])


def _image_folder(root: Path, classes=("cat", "dog"), per_class=(6, 3)) -> Path:
    rng = np.random.default_rng(0)
    for part, n in zip(("train", "val"), per_class):
        for c, name in enumerate(classes):
            folder = root / part / name
            folder.mkdir(parents=True)
            for i in range(n):
                pixels = rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)
                pixels[..., c] = 255  # a class cue, so the model can learn something
                Image.fromarray(pixels).save(folder / f"{i}.png")
    return root


@pytest.mark.slow
def test_an_image_folder_runs_through_download_split_train_and_evaluate(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    raw = copy.deepcopy(RAW)
    raw["datasets"]["imagenet100"].update(local=str(_image_folder(tmp_path / "in100")), image_size=48)
    raw["experiments"] = {"resnet50_imagenet": {**raw["experiments"]["resnet50_imagenet"], "model_args": {}}}
    raw["ensembles"] = {"seeds": {"study": "s003", "members": ["resnet50_imagenet"], "over": "seeds"}}
    raw["recipes"]["s003_finetune"].update(max_epochs=1, batch_size=4, resize=None, augment=[])
    raw["profiles"]["full"].update(device="cpu", amp=False, channels_last=False, latency_repeats=1,
                                   progress=False, seeds=1)
    params = _write_params(tmp_path, raw)
    for step in ("download", "split", "train", "evaluate"):
        args = ["--params", str(params), "--profile", "full"]
        args += ["--experiment", "resnet50_imagenet"] if step in ("train", "evaluate") else []
        assert run_step(step, args) == 0, step
    meta = json.loads((tmp_path / "data/split/imagenet100/meta.json").read_text())
    assert meta["classes"] == ["cat", "dog"] and meta["image_size"] == 48
    assert meta["sizes"]["test"] == 6
    metrics = json.loads((tmp_path / "results/runs/resnet50_imagenet/metrics.json").read_text())
    assert metrics["n_seeds"] == 1 and 0.0 <= metrics["top1"] <= 1.0


def test_absent_weights_stop_the_full_profile_naming_file_and_url(tmp_path, monkeypatch):
    from torchvision.models import WeightsEnum

    from cifarlab.steps._model import build_for_training

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    tried = []

    def offline(self, *args, **kwargs):
        tried.append(self.url)
        raise OSError("network unreachable")

    monkeypatch.setattr(WeightsEnum, "get_state_dict", offline)
    full = build_config({**RAW, "profile": "full"})
    exp = full.experiments["efficientnet_b2"]
    with pytest.raises(FileNotFoundError) as err:
        build_for_training(exp, 10, 64, full.profile)
    message = str(err.value)
    assert "efficientnet_b2_rwightman-c35c1473.pth" in message and "downloading failed" in message
    assert "https://download.pytorch.org/models/efficientnet_b2_rwightman-c35c1473.pth" in message
    assert tried == ["https://download.pytorch.org/models/efficientnet_b2_rwightman-c35c1473.pth"]


def test_absent_weights_in_the_quick_profile_start_from_random_and_say_so(tmp_path, monkeypatch):
    from torchvision.models import WeightsEnum

    from cifarlab.steps._model import build_for_training

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    monkeypatch.setattr(WeightsEnum, "get_state_dict", lambda *a, **k: pytest.fail("quick must not download"))
    quick = build_config(RAW)
    model, facts = build_for_training(quick.experiments["efficientnet_b2"], 10, 32, quick.profile)
    assert facts["pretrained"] is False and facts["pretrained_requested"] is True
    assert facts["pretrained_note"].startswith("not pretrained: pretrained weights not found")
    assert sum(p.numel() for p in model.parameters()) == 7_715_084


def test_a_cached_file_is_used_offline(tmp_path, monkeypatch):
    import torchvision

    from cifarlab.steps._model import build_for_training

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    from torchvision.models import EfficientNet_B2_Weights

    path = weights_path(False, EfficientNet_B2_Weights.IMAGENET1K_V1)
    assert path is None
    cached = tmp_path / "checkpoints" / "efficientnet_b2_rwightman-c35c1473.pth"
    cached.parent.mkdir()
    torch.save(torchvision.models.efficientnet_b2().state_dict(), cached)
    quick = build_config(RAW)
    _, facts = build_for_training(quick.experiments["efficientnet_b2"], 10, 64, quick.profile)
    assert facts["pretrained"] is True and "pretrained_note" not in facts
    assert os.path.getsize(cached) > 0
