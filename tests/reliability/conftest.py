"""Fixtures for the reliability suite: a tiny project folder, steps run in-process.

``project`` is a fresh copy of a scratch project (tiny params.yaml, tiny Fashion-MNIST
archives beside it, download and split already done) with the current folder set to it,
so the steps' relative paths (cifarlab.dag) land inside it and nowhere else.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from cifarlab.cli import run_step
from tests.reliability.helpers import in_dir, write_params
from tests.tiny_params import tiny_params


@pytest.fixture(scope="session")
def base_project(tmp_path_factory) -> Path:
    """A scratch project with data/raw and data/split done (built once per session)."""
    root = tmp_path_factory.mktemp("base")
    proj = root / "proj"
    proj.mkdir()
    raw = tiny_params(root / "fmnist", experiments=("cnn4",), max_epochs=2)
    for profile in raw["profiles"].values():
        # One cheap experiment keeps the suite fast; per-experiment profile entries
        # (extra seeds) must then name only it.
        if isinstance(profile.get("extra_seeds"), dict):
            profile["extra_seeds"] = {k: v for k, v in profile["extra_seeds"].items() if k in raw["experiments"]}
    write_params(proj, raw)
    with in_dir(proj):
        for name in ("download", "split"):
            assert run_step(name, ["--params", "params.yaml"]) == 0, name
    return proj


@pytest.fixture
def project(base_project, tmp_path, monkeypatch) -> Path:
    """A fresh copy of ``base_project`` at ``tmp_path/proj``, the current folder.

    ``tmp_path/sibling`` is a folder beside it holding a file, for escape checks; the
    tiny data stays where the base project's params.yaml points (read-only use).
    """
    proj = tmp_path / "proj"
    shutil.copytree(base_project, proj, symlinks=True)
    sibling = tmp_path / "sibling"
    sibling.mkdir()
    (sibling / "keep.txt").write_text("precious\n")
    monkeypatch.chdir(proj)
    return proj


@pytest.fixture
def params(project) -> dict:
    """The project's params.yaml as a dict; write it back with ``write_params``."""
    return yaml.safe_load((project / "params.yaml").read_text())
