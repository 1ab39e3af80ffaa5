"""Tiny datasets in the official formats, and a loopback HTTP server to serve them.

CIFAR-10: ``cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}``; CIFAR-100:
``cifar-100-python/{train, test, meta}``: pickled dicts with ``data`` uint8 (N, 3072) rows
(R, G, B planes of 32x32), labels under ``labels`` / ``fine_labels``, as the real ones.
Fashion-MNIST: idx files (big-endian header, uint8 payload), gzipped.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.server
import pickle
import struct
import sys
import tarfile
import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Iterator

import numpy as np

CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck"]
CIFAR100_CLASSES = [f"fine_{i:02d}" for i in range(100)]
FASHION_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


@dataclass(frozen=True)
class Tiny:
    """What a tiny dataset holds; images as written (CIFAR NCHW, MNIST NHW)."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    classes: list[str]


def md5(path: Path) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def _arrays(rng: np.random.Generator, n: int, shape: tuple[int, ...], num_classes: int):
    return rng.integers(0, 256, (n, *shape), dtype=np.uint8), rng.integers(0, num_classes, n).astype(np.int64)


def _pickle(path: Path, obj: dict) -> None:
    path.write_bytes(pickle.dumps(obj, protocol=2))


def write_cifar_tree(kind: str, root: Path, *, n_train: int = 50, n_test: int = 10, seed: int = 0) -> Tiny:
    """Write ``root/<batches folder>/...`` for kind ``cifar10`` or ``cifar100``."""
    rng = np.random.default_rng(seed)
    c10 = kind == "cifar10"
    classes = CIFAR10_CLASSES if c10 else CIFAR100_CLASSES
    tx, ty = _arrays(rng, n_train, (3, 32, 32), len(classes))
    vx, vy = _arrays(rng, n_test, (3, 32, 32), len(classes))
    folder = root / ("cifar-10-batches-py" if c10 else "cifar-100-python")
    folder.mkdir(parents=True)
    key = "labels" if c10 else "fine_labels"

    def batch(x, y, label):
        return {"batch_label": label, key: y.tolist(), "data": x.reshape(len(x), -1),
                "filenames": [f"img_{i}.png" for i in range(len(x))],
                **({} if c10 else {"coarse_labels": (y // 5).tolist()})}

    if c10:
        for i, part in enumerate(np.array_split(np.arange(n_train), 5), start=1):
            _pickle(folder / f"data_batch_{i}", batch(tx[part], ty[part], f"training batch {i} of 5"))
        _pickle(folder / "test_batch", batch(vx, vy, "testing batch 1 of 1"))
        _pickle(folder / "batches.meta", {"label_names": classes, "num_cases_per_batch": 10000, "num_vis": 3072})
    else:
        _pickle(folder / "train", batch(tx, ty, "training batch 1 of 1"))
        _pickle(folder / "test", batch(vx, vy, "testing batch 1 of 1"))
        _pickle(folder / "meta", {"fine_label_names": classes,
                                  "coarse_label_names": [f"coarse_{i:02d}" for i in range(20)]})
    return Tiny(tx, ty, vx, vy, classes)


def write_cifar_archive(kind: str, path: Path, **kw) -> Tiny:
    """Write the official ``*.tar.gz`` (one top folder) at ``path``."""
    src = path.parent / f".{path.name}.src"
    tiny = write_cifar_tree(kind, src, **kw)
    with tarfile.open(path, "w:gz") as tar:
        for folder in src.iterdir():
            tar.add(folder, arcname=folder.name)
    return tiny


def _idx(array: np.ndarray) -> bytes:
    """idx format: magic 0x0000 08 <ndim>, big-endian int32 dims, then uint8 data."""
    return struct.pack(f">I{array.ndim}I", 0x0800 | array.ndim, *array.shape) + array.tobytes()


def write_fashion_gz(folder: Path, *, n_train: int = 40, n_test: int = 20, seed: int = 0,
                     gz: bool = True) -> tuple[Tiny, dict[str, dict[str, str]]]:
    """Write the four Fashion-MNIST files (.gz, or plain when ``gz=False``) into ``folder``.

    Returns the data and ``files`` as params.yaml spells it: ``{name.gz: {md5, raw_md5}}``
    (``md5`` is of the .gz written here).
    """
    rng = np.random.default_rng(seed)
    tx, ty = _arrays(rng, n_train, (28, 28), 10)
    vx, vy = _arrays(rng, n_test, (28, 28), 10)
    payloads = dict(zip(FASHION_FILES, (tx, ty.astype(np.uint8), vx, vy.astype(np.uint8))))
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, array in payloads.items():
        raw = _idx(array)
        packed = gzip.compress(raw, mtime=0)
        (folder / (name if gz else name.removesuffix(".gz"))).write_bytes(packed if gz else raw)
        files[name] = {"md5": hashlib.md5(packed).hexdigest(), "raw_md5": hashlib.md5(raw).hexdigest()}
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    return Tiny(tx, ty, vx, vy, classes), files


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest output clean
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        # torchvision's redirect probe is a GET it closes unread: the server's broken pipe
        # is expected, anything else is reported as usual.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (free port) in a thread; yields the base URL."""
    server = _Server(("127.0.0.1", 0), partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
