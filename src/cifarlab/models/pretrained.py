"""Offline loading of ImageNet-pretrained torchvision weights.

``pretrained`` is ``False`` (random init), ``True`` (the file torchvision would download,
looked up in the torch hub cache ``torch.hub.get_dir()/checkpoints/``) or a path to a
state-dict file. Inside ``allow_download(True)`` a missing cache file is fetched through
torchvision's own path (``WeightsEnum.get_state_dict``: hash-checked, into the hub
cache); otherwise nothing is downloaded. A file that cannot be had raises
``FileNotFoundError`` naming the exact file, its URL and where to put it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import torch
from torch import nn
from torchvision.models import WeightsEnum

Pretrained = bool | str | os.PathLike
_DOWNLOAD = [False]  # set by allow_download(); a list so the context manager can flip it


@contextlib.contextmanager
def allow_download(flag: bool) -> Iterator[None]:
    """Within the block, ``pretrained=True`` may download a missing file (or not)."""
    before = _DOWNLOAD[0]
    _DOWNLOAD[0] = bool(flag)
    try:
        yield
    finally:
        _DOWNLOAD[0] = before


def _download(weights: WeightsEnum, path: Path) -> str | None:
    """Fetch ``weights`` into the hub cache as torchvision does; the failure, or None."""
    try:
        weights.get_state_dict(progress=False, check_hash=True)
    except Exception as exc:  # offline, refused, hash mismatch: all end in the same advice
        return f"{type(exc).__name__}: {exc}"
    return None if path.is_file() else "the download left no file"


def weights_path(pretrained: Pretrained, weights: WeightsEnum) -> Path | None:
    """Resolve ``pretrained`` to an existing file, or None when it is False."""
    if pretrained is False or pretrained is None:
        return None
    filename = weights.url.rsplit("/", 1)[-1]
    if pretrained is True:
        path = Path(torch.hub.get_dir()) / "checkpoints" / filename
    else:
        path = Path(pretrained)
    why = None
    if not path.is_file() and pretrained is True and _DOWNLOAD[0]:
        why = _download(weights, path)
    if not path.is_file():
        tried = f"downloading failed ({why}); " if why else "No network is used: "
        raise FileNotFoundError(
            f"pretrained weights not found: {path}. {tried}download "
            f"{weights.url} elsewhere and copy it to {path} "
            f"(or pass pretrained=<path to {filename}>)."
        )
    return path


def load_pretrained(
    model: nn.Module,
    pretrained: Pretrained,
    weights: WeightsEnum,
    *,
    skip: Iterable[str] = (),
    new: Iterable[str] = (),
) -> nn.Module:
    """Load torchvision ``weights`` into ``model`` from the local file ``pretrained`` names.

    Keys starting with a prefix in ``skip`` (the replaced classifier) are not loaded;
    parameters whose name contains a marker in ``new`` (e.g. ``".se."``, modules the
    torchvision architecture does not have) stay randomly initialised. Any other missing
    or unexpected key is an error, so a mismatched file cannot load silently.
    """
    path = weights_path(pretrained, weights)
    if path is None:
        return model
    skip, new = tuple(skip), tuple(new)
    state = torch.load(path, map_location="cpu", weights_only=True)
    state = {k: v for k, v in state.items() if not k.startswith(skip)}
    result = model.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if not (k.startswith(skip) or any(m in k for m in new))]
    if missing or result.unexpected_keys:
        raise RuntimeError(
            f"{path} does not fit the model: missing {missing[:5]}, "
            f"unexpected {result.unexpected_keys[:5]}"
        )
    return model
