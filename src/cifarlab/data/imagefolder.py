"""s003's ImageNet-100: a local ImageFolder tree, never downloaded.

Layout: ``<local>/train/<class>/*`` and ``<local>/val/<class>/*`` (the val folder is the
held-out test set, as ImageNet's is; the split step cuts validation from train). The
download step only checks the layout and records where it is (``download.json``); the
split step reads it with torchvision's ``ImageFolder`` and resizes every image to
``image_size`` once, so training sees fixed uint8 arrays like every other dataset.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from cifarlab.errors import CifarlabError

LAYOUT = "train/<class>/*.JPEG and val/<class>/*.JPEG (ImageFolder layout)"
PARTS = ("train", "val")


class ImageFolderError(CifarlabError, FileNotFoundError):
    """A local ImageFolder dataset that is missing or not in the expected layout."""


def check_layout(name: str, local: str | Path) -> dict[str, int]:
    """Class counts of ``train`` and ``val`` under ``local``; an error naming the key."""
    root = Path(local).expanduser()
    counts = {}
    for part in PARTS:
        folder = root / part
        classes = [p for p in folder.iterdir() if p.is_dir()] if folder.is_dir() else []
        if not classes:
            raise ImageFolderError(f"datasets.{name}.local: {folder} has no class folders; expected {LAYOUT}")
        counts[part] = len(classes)
    if counts["train"] != counts["val"]:
        raise ImageFolderError(f"datasets.{name}.local: {root}: {counts['train']} train classes but "
                               f"{counts['val']} val classes")
    return counts


def pointer(name: str, local: str | Path, image_size: int) -> dict:
    """What the download step records for an ImageFolder dataset (download.json)."""
    counts = check_layout(name, local)
    return {"kind": "imagefolder", "local": str(Path(local).expanduser().resolve()),
            "image_size": int(image_size), "classes": counts["train"]}


def _read(folder: Path, size: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    from torchvision import datasets, transforms

    ds = datasets.ImageFolder(str(folder), transform=transforms.Resize((size, size)))
    images = np.empty((len(ds), 3, size, size), dtype=np.uint8)
    for i in range(len(ds)):
        img, _ = ds[i]
        images[i] = np.asarray(img.convert("RGB"), dtype=np.uint8).transpose(2, 0, 1)
    return images, np.asarray(ds.targets, dtype=np.int64), list(ds.classes)


def load_imagefolder(raw_dir: Path):
    """OfficialData from the tree ``raw_dir/download.json`` points at."""
    from cifarlab.data.official import OfficialData

    info = json.loads((Path(raw_dir) / "download.json").read_text())
    root, size = Path(info["local"]), int(info["image_size"])
    train_x, train_y, classes = _read(root / "train", size)
    test_x, test_y, test_classes = _read(root / "val", size)
    if test_classes != classes:
        raise ImageFolderError(f"{root}: val classes differ from train classes")
    return OfficialData(train_x, train_y, test_x, test_y, tuple(classes), 3, size)
