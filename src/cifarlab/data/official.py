"""Read the official dataset formats (torchvision's on-disk layout) into uint8 NCHW arrays.

The readers are torchvision's own dataset classes with ``download=False``. Integrity is
the download step's job (`cifarlab.data.download` checks the archive or per-file md5s and
records them in ``download.json``), so the CIFAR readers here only require the files to
exist: torchvision's per-member md5s would reject the tiny archives the tests write.

Grey images (Fashion-MNIST, 1x28x28) are zero-padded by 2 pixels on each side to 32x32
and repeated to 3 channels, so every dataset has the (N, 3, 32, 32) shape the CIFAR
models expect; ``channels_original`` and ``image_size_original`` keep the truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from torchvision import datasets as tvd

GREY_PAD = 2  # pixels added on each side: 28 + 2 * 2 = 32


@dataclass(frozen=True)
class OfficialData:
    """The official train and test sets of one dataset, as loaded from disk."""

    train_images: np.ndarray  # uint8 (N, 3, H, W)
    train_labels: np.ndarray  # int64 (N,)
    test_images: np.ndarray  # uint8 (M, 3, H, W)
    test_labels: np.ndarray  # int64 (M,)
    classes: tuple[str, ...]
    channels_original: int  # 1 for grey datasets that were repeated to 3 channels
    image_size_original: int  # side in pixels before any padding

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def image_size(self) -> int:
        return int(self.train_images.shape[-1])


class _CIFAR10(tvd.CIFAR10):
    """torchvision's CIFAR-10 reader, file presence only (md5s are checked at download)."""

    train_list = [[name, None] for name, _ in tvd.CIFAR10.train_list]
    test_list = [[name, None] for name, _ in tvd.CIFAR10.test_list]
    meta = {**tvd.CIFAR10.meta, "md5": None}


class _CIFAR100(tvd.CIFAR100):
    """torchvision's CIFAR-100 reader (fine labels), file presence only."""

    train_list = [[name, None] for name, _ in tvd.CIFAR100.train_list]
    test_list = [[name, None] for name, _ in tvd.CIFAR100.test_list]
    meta = {**tvd.CIFAR100.meta, "md5": None}


def _cifar_part(cls: type, raw_dir: Path, train: bool) -> tuple[np.ndarray, np.ndarray, list[str]]:
    ds = cls(str(raw_dir), train=train, download=False)
    images = np.ascontiguousarray(np.asarray(ds.data, dtype=np.uint8).transpose(0, 3, 1, 2))  # NHWC -> NCHW
    return images, np.asarray(ds.targets, dtype=np.int64), list(ds.classes)


def _grey_to_rgb32(images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) uint8 -> (N, 3, 32, 32) uint8: zero-pad 2 px per side, repeat channels."""
    padded = np.pad(images, ((0, 0), (GREY_PAD, GREY_PAD), (GREY_PAD, GREY_PAD)))
    return np.ascontiguousarray(np.repeat(padded[:, None], 3, axis=1))


def _load_cifar(cls: type) -> Callable[[Path], OfficialData]:
    def load(raw_dir: Path) -> OfficialData:
        train_x, train_y, classes = _cifar_part(cls, raw_dir, train=True)
        test_x, test_y, _ = _cifar_part(cls, raw_dir, train=False)
        return OfficialData(train_x, train_y, test_x, test_y, tuple(classes), 3, 32)

    return load


def _load_fashion_mnist(raw_dir: Path) -> OfficialData:
    parts = []
    for train in (True, False):
        ds = tvd.FashionMNIST(str(raw_dir), train=train, download=False)  # reads FashionMNIST/raw/*-ubyte
        parts.append((ds.data.numpy(), ds.targets.numpy().astype(np.int64)))
    (train_x, train_y), (test_x, test_y) = parts
    return OfficialData(
        _grey_to_rgb32(train_x), train_y, _grey_to_rgb32(test_x), test_y,
        tuple(tvd.FashionMNIST.classes), channels_original=1, image_size_original=int(train_x.shape[-1]),
    )


def _load_imagefolder(raw_dir: Path) -> OfficialData:
    from cifarlab.data.imagefolder import load_imagefolder

    return load_imagefolder(raw_dir)


LOADERS: dict[str, Callable[[Path], OfficialData]] = {
    "cifar10": _load_cifar(_CIFAR10),
    "cifar100": _load_cifar(_CIFAR100),
    "fashion_mnist": _load_fashion_mnist,
    "imagefolder": _load_imagefolder,
}


def load_official(kind: str, raw_dir: str | Path) -> OfficialData:
    """Load the official train and test sets of ``kind`` from ``raw_dir``.

    ``raw_dir`` is the folder `fetch_dataset` filled (``data/raw/<dataset>``), holding
    torchvision's layout. Raises ValueError for an unknown kind and FileNotFoundError
    (naming the folder) when the files are missing.
    """
    if kind not in LOADERS:
        raise ValueError(f"unknown dataset kind {kind!r}; known: {', '.join(LOADERS)}")
    raw_dir = Path(raw_dir)
    try:
        return LOADERS[kind](raw_dir)
    except RuntimeError as exc:  # torchvision: "Dataset not found or corrupted ..."
        raise FileNotFoundError(f"{kind}: no readable dataset under {raw_dir}: {exc}") from exc
