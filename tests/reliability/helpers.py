"""Helpers of the reliability suite: in-process steps, folder snapshots, temporaries."""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from typing import Iterator

import yaml

from cifarlab.cli import run_step


@contextlib.contextmanager
def in_dir(path: Path) -> Iterator[Path]:
    """Run the block with ``path`` as the current folder."""
    old = os.getcwd()
    os.chdir(path)
    try:
        yield path
    finally:
        os.chdir(old)


def snapshot(root: Path) -> dict[str, str]:
    """Every file and folder under ``root``: relative path -> md5 (or "dir"/"link")."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_symlink():
            out[rel] = "link"
        elif p.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = hashlib.md5(p.read_bytes()).hexdigest()
    return out


def temporaries(root: Path) -> list[str]:
    """Atomic-write temporaries (``.<name>.*.tmp``) anywhere under ``root``."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob(".*.tmp"))


def write_params(folder: Path, raw: dict) -> Path:
    path = folder / "params.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def step(capsys, name: str, *args: str) -> tuple[int, str]:
    """``run_step(name)`` in-process; (exit status, what it printed on stderr)."""
    capsys.readouterr()
    rc = run_step(name, ["--params", "params.yaml", *args])
    return rc, capsys.readouterr().err
