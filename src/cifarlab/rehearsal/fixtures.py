"""Stand-in data and weights for the rehearsal, in the formats the real ones come in.

- CIFAR-10 and CIFAR-100: the official ``*.tar.gz`` archives (pickled batches), written by
  the test fixtures (``tests/data/archives.py``) with random images, served on loopback
  and fetched by the download step through torchvision's ``download_url``;
- ImageNet-100: an ImageFolder tree of JPEGs (100 classes) that the split step reads with
  torchvision's ``ImageFolder`` and resizes to 224 px;
- pretrained weights: each torchvision file the catalogue asks for, under torchvision's
  file name in ``<torch home>/hub/checkpoints/``, holding a randomly initialised
  torchvision model's state dict, so ``pretrained: true`` loads it through the weights
  API (``cifarlab.models.pretrained``) exactly as it would the real file.

Sizes: enough images that every recipe fills its 2 training batches (s002's 1024) and,
for CIFAR, 2 evaluation batches of 256 for validation and test.
"""

from __future__ import annotations

import hashlib
import importlib
import sys
from pathlib import Path

import numpy as np

from cifarlab.config import REPO_ROOT

CIFAR_TRAIN = 5_200  # 4,680 after the 10% validation cut: 2 batches of s002's 1024
CIFAR_TEST = 600  # 2 evaluation batches of 256
IMAGENET_CLASSES = 100
IMAGENET_TRAIN_PER_CLASS = 6
IMAGENET_VAL_PER_CLASS = 6  # the test set: 600 images, 2 evaluation batches of 256
ARCHIVES = {"cifar10": "cifar-10-python.tar.gz", "cifar100": "cifar-100-python.tar.gz"}


def _archives_module():
    """The test fixtures' writer of official-format archives (run from a checkout)."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    return importlib.import_module("tests.data.archives")


def md5(path: Path) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def write_cifar_archives(folder: Path, kinds=("cifar10", "cifar100")) -> dict[str, str]:
    """The official archives of ``kinds`` in ``folder``; returns {kind: md5}."""
    import shutil

    archives = _archives_module()
    shutil.rmtree(folder, ignore_errors=True)  # the writer refuses to overwrite
    folder.mkdir(parents=True)
    out = {}
    for seed, kind in enumerate(kinds):
        path = folder / ARCHIVES[kind]
        archives.write_cifar_archive(kind, path, n_train=CIFAR_TRAIN, n_test=CIFAR_TEST, seed=seed)
        out[kind] = md5(path)
    return out


def write_imagefolder(root: Path, *, classes: int = IMAGENET_CLASSES, train: int = IMAGENET_TRAIN_PER_CLASS,
                      val: int = IMAGENET_VAL_PER_CLASS, seed: int = 0) -> Path:
    """``root/{train,val}/<wnid>/*.JPEG``: random RGB images of assorted small sizes (the
    split step resizes them to the dataset's image_size)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    for part, per_class in (("train", train), ("val", val)):
        for c in range(classes):
            folder = root / part / f"n{c:08d}"
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(per_class):
                h, w = (int(v) for v in rng.integers(40, 80, 2))
                pixels = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(folder / f"{part}_{c}_{i}.JPEG", quality=90)
    return root


def pretrained_weights() -> dict:
    """torchvision weights enum -> builder of that architecture, for each file the model
    families load (``cifarlab.models.families``: ResNet-18/50 and EfficientNet-B2)."""
    from torchvision import models as tvm

    return {tvm.ResNet18_Weights.IMAGENET1K_V1: tvm.resnet18,
            tvm.ResNet50_Weights.IMAGENET1K_V1: tvm.resnet50,
            tvm.EfficientNet_B2_Weights.IMAGENET1K_V1: tvm.efficientnet_b2}


def write_hub_weights(torch_home: Path) -> list[Path]:
    """Each weights file under torchvision's name in ``torch_home/hub/checkpoints``."""
    import torch

    folder = torch_home / "hub" / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for weights, build in pretrained_weights().items():
        path = folder / weights.url.rsplit("/", 1)[-1]
        if not path.is_file():
            torch.manual_seed(0)
            torch.save(build().state_dict(), path)
        written.append(path)
    return written
