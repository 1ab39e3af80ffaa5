"""The explain step: Grad-CAM through pytorch-grad-cam, first-layer maps, the picks; and the
tiny workflow from split to the report folder with the model-drawn figures in it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from cifarlab import dag
from cifarlab.cli import run_step
from cifarlab.models import get_model
from cifarlab.steps import explain
from tests.tiny_params import tiny_params

FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot"]
CIFAR10 = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return get_model("cnn4", num_classes=3).eval()


def test_gradcam_maps_come_from_pytorch_grad_cam(model):
    x = torch.randn(4, 3, 32, 32)
    maps = explain.gradcam_maps(model, x, [0, 1, 2, 0], 32)
    assert maps.shape == (4, 32, 32) and maps.min() >= 0 and maps.max() <= 1
    other = explain.gradcam_maps(model, x, [1, 2, 0, 1], 32)
    assert not np.allclose(maps, other)  # the map depends on the target class
    big = explain.gradcam_maps(model, torch.randn(2, 3, 64, 64), [0, 1], 32)  # s001's 64 px input
    assert big.shape == (2, 32, 32)


def test_gradcam_layer_keeps_some_resolution():
    torch.manual_seed(0)
    net = get_model("resnet50_imagenet", num_classes=3).eval()  # ImageNet stem: 1x1 at the end on 32 px
    layer = explain.target_layer(net, torch.randn(1, 3, 32, 32))
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert layer is not convs[-1]
    maps = explain.gradcam_maps(net, torch.randn(2, 3, 32, 32), [0, 1], 32)
    assert maps.shape == (2, 32, 32) and maps.std() > 0  # not a flat map


def test_first_layer_maps(model):
    maps = explain.first_layer_maps(model, torch.randn(2, 3, 32, 32))
    first = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))
    assert maps.shape == (first.out_channels, 32, 32)


def test_picks():
    labels = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2])
    preds = labels.copy()
    preds[[1, 4, 7, 10]] = 0  # four errors
    idx = explain.pick_gradcam(labels, preds, seed=0)
    ok = preds[idx] == labels[idx]
    assert len(idx) == 9 and ok[:6].all() and not ok[6:].any()  # correct first, then 3 errors
    cifar_labels = np.array([2, 0, 0, 3])
    cifar_preds = np.array([2, 8, 0, 5])
    picked, note = explain.pick_pair("cifar10", CIFAR10, cifar_labels, cifar_preds)
    assert picked == [0, 1] and "bird (correct) and airplane -> ship" in note
    f_labels, f_preds = np.array([0, 6, 6, 6, 2, 2]), np.array([0, 0, 0, 2, 2, 2])
    picked, note = explain.pick_pair("fashion_mnist", FASHION, f_labels, f_preds)
    assert picked == [4, 1] and "Pullover (correct) and Shirt -> T-shirt/top" in note


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """The tiny workflow run step by step in-process; cnn4 gets every explain figure."""
    root = tmp_path_factory.mktemp("explain")
    raw = tiny_params(root / "fmnist", experiments=("cnn4",), n_train=200, n_test=60, train_subset=96,
                      max_epochs=1)
    extra = raw["profiles"]["quick"].get("extra_seeds")
    if isinstance(extra, dict):  # only the experiments of this workspace
        raw["profiles"]["quick"]["extra_seeds"] = {k: v for k, v in extra.items() if k in raw["experiments"]}
    (root / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    old_cwd, old_table = Path.cwd(), dict(dag.EXPLAIN)
    os.chdir(root)
    dag.EXPLAIN.clear()
    dag.EXPLAIN["cnn4"] = ("gradcam", "misclassified", "feature_maps", "gradcam_pair")
    try:
        for step in ("download", "split", "preview"):
            assert run_step(step, ["--params", "params.yaml"]) == 0, step
        for exp in ("cnn4",):
            for step in ("train", "evaluate"):
                assert run_step(step, ["--params", "params.yaml", "--experiment", exp]) == 0, (step, exp)
        for step in ("aggregate", "figures", "explain", "report"):
            assert run_step(step, ["--params", "params.yaml"]) == 0, step
        yield root
    finally:
        dag.EXPLAIN.clear()
        dag.EXPLAIN.update(old_table)
        os.chdir(old_cwd)


@pytest.mark.slow
def test_explain_figures_are_traced_to_the_checkpoint(workspace):
    out = workspace / dag.EXPLAIN_DIR
    names = sorted(p.name for p in out.glob("*.png"))
    assert names == ["feature_maps__cnn4.png", "gradcam__cnn4.png", "gradcam_pair__cnn4.png",
                     "misclassified__cnn4.png"]
    prov = json.loads((out / "gradcam_pair__cnn4.prov.json").read_text())
    assert prov["step"] == "explain" and any(p.endswith("best.pt") for p in prov["inputs"])
    assert any(p.endswith("predictions.npz") for p in prov["inputs"])
    assert "on fashion_mnist" in prov["extra"]["caption"]  # says which classes stood in for bird / plane->ship


@pytest.mark.slow
def test_the_report_folder_shows_them(workspace):
    report = workspace / dag.REPORT_DIR
    page = (report / "experiments" / "cnn4.html").read_text()
    for kind in ("gradcam", "misclassified", "feature_maps", "gradcam_pair", "curves", "confusion_counts"):
        assert f'figures/' in page and f"{kind}__cnn4.png" in page, kind
    assert (report / "figures" / "explain" / "gradcam__cnn4.png").is_file()
    s000 = (report / "studies" / "s000.html").read_text()
    assert "s000 Figure 3.5" in s000 and "s000 Figure 2.2" in s000
    assert "data:image" not in (report / "index.html").read_text()
