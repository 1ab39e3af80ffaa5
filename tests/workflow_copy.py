"""Helpers to run the workflow's front ends in a scratch copy of the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WORKFLOW_FILES = ("Snakefile", "dvc.yaml", "params.yaml", "workflow", "src")


def copy_workflow(dest: Path, params: dict | None = None) -> Path:
    """Copy what the front ends need into ``dest``; optionally replace params.yaml."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in WORKFLOW_FILES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    if params is not None:
        (dest / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return dest


def tool_env() -> dict[str, str]:
    """The environment with this venv's tools first on PATH (rules call `python`)."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_tool(args: list[str], cwd: Path, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(BIN / args[0]), *args[1:]], cwd=cwd, env=tool_env(), capture_output=True, text=True,
        timeout=timeout,
    )
    if check and done.returncode != 0:
        tail = (done.stdout + done.stderr)[-4000:]
        raise AssertionError(f"{' '.join(args)} exited {done.returncode}:\n{tail}")
    return done
