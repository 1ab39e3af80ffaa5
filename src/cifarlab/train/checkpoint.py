"""Model checkpoints (best.pt / last.pt) and the resume state, all written atomically.

Checkpoint format (``best.pt``, ``last.pt``): a dict with ``state_dict`` (the plain
module's, on CPU-loadable tensors), ``epoch`` (1-based), ``monitor``, ``metric`` (the
monitored value at that epoch) and ``settings`` (TrainSettings.to_dict()). Loadable with
``torch.load(path, weights_only=True)``.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Mapping

import numpy as np
import torch
from torch import nn

from cifarlab.errors import disk_error
from cifarlab.io import atomic_path
from cifarlab.train.settings import TrainSettings
from cifarlab.train.trainable import unwrap

STATE_FILE = "state.pt"  # the resume state, rewritten after every epoch
STATE_FORMAT = 1


class _WriteRecorder:
    """A file wrapper that remembers the OSError of a failed write: torch.save turns it
    into ``RuntimeError: unexpected pos 383808 vs 383704``, naming neither path nor cause."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh, self.error = fh, None

    def write(self, data: bytes) -> int:
        try:
            return self.fh.write(data)
        except OSError as exc:
            self.error = exc
            raise

    def flush(self) -> None:
        try:
            self.fh.flush()
        except OSError as exc:
            self.error = exc
            raise


def save_torch(path: Path, obj: Any) -> None:
    """``torch.save`` through a temporary sibling, so a kill never leaves half a file.

    A failed write (full disk, quota) raises DiskError naming ``path`` and the cause;
    the previous ``path`` stays as it was.
    """
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            recorder = _WriteRecorder(fh)
            try:
                torch.save(obj, recorder)
            except RuntimeError as exc:
                if recorder.error is None:
                    raise
                raise disk_error(recorder.error, path) from exc
            except OSError as exc:
                raise disk_error(exc, path) from exc
            try:
                fh.flush()
                os.fsync(fh.fileno())  # the state must be on disk before the rename
            except OSError as exc:
                raise disk_error(exc, path) from exc


def load_torch(path: Path, device: torch.device | str = "cpu") -> Any:
    return torch.load(path, map_location=device, weights_only=True)


def link_or_copy(src: str | Path, dst: str | Path) -> None:
    """``dst`` as a hard link to ``src`` (a checkpoint is hundreds of MB and written once,
    never modified in place), or a copy where links cannot be made (another file system).
    Atomic: ``dst`` appears whole or not at all."""
    with atomic_path(Path(dst)) as tmp:
        try:
            os.link(src, tmp)
        except OSError:
            shutil.copy2(src, tmp)


def checkpoint(model: nn.Module, epoch: int, monitor: str, metric: float,
               settings: TrainSettings) -> dict[str, Any]:
    """The checkpoint payload for ``model`` as it is now."""
    return {"state_dict": unwrap(model).state_dict(), "epoch": epoch, "monitor": monitor,
            "metric": metric, "settings": settings.to_dict()}


def run_fingerprint(settings: TrainSettings, model: nn.Module, loader_sizes: Iterable[int],
                    extra: Mapping[str, Any] | None) -> str:
    """What must match for a saved state to be continued: the settings, the model's
    parameter/buffer names, shapes and dtypes, the loaders' batch counts and ``extra``
    (the caller's own identity of data and model config)."""
    model = unwrap(model)
    signature = [(k, list(v.shape), str(v.dtype)) for k, v in model.state_dict().items()]
    blob = json.dumps({"settings": settings.to_dict(), "model": type(model).__qualname__,
                       "tensors": signature, "batches": list(loader_sizes),
                       "extra": extra or {}}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def capture_rng() -> dict[str, Any]:
    """Every global RNG a training step might draw from (torch CPU/CUDA, random, numpy)."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state(legacy=True)
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "python": random.getstate(),
        "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": pos,
                  "has_gauss": has_gauss, "gauss": gauss},
    }


def restore_rng(state: Mapping[str, Any]) -> None:
    torch.set_rng_state(state["torch"].cpu())
    cuda = state["cuda"]
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([s.cpu() for s in cuda])
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    n = state["numpy"]
    keys = n["keys"].numpy().astype(np.uint32)
    np.random.set_state((n["kind"], keys, n["pos"], n["has_gauss"], n["gauss"]))


def best_file_name(epoch: int) -> str:
    return f"best-epoch{epoch:04d}.pt"


def tidy_state_dir(state_dir: Path, keep: str | None) -> None:
    """Drop best-epoch files other than ``keep`` and temporaries a kill left behind."""
    for path in [*state_dir.glob("best-epoch*.pt"), *state_dir.glob(".*.tmp")]:
        if path.name != keep:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def clear_state_dir(state_dir: Path) -> None:
    """Remove this module's files from ``state_dir`` (and the folder when left empty)."""
    tidy_state_dir(state_dir, keep=None)
    (state_dir / STATE_FILE).unlink(missing_ok=True)
    if state_dir.is_dir() and not any(state_dir.iterdir()):
        state_dir.rmdir()
