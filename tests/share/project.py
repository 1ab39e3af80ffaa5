"""A git + DVC copy of the project that runs its own Makefile targets with this venv.

The copy holds what a `git clone` of cifarlab holds for the workflow (the front ends, the
package, .gitignore, .dvcignore, .dvc/config, Makefile), so pull/push behave as for a user.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.workflow_copy import REPO, copy_workflow, run_tool, tool_env

# Besides tests.workflow_copy.WORKFLOW_FILES: what decides how DVC and make behave.
PROJECT_FILES = (".gitignore", ".dvcignore", ".dvc/config", ".dvc/.gitignore", "Makefile")


def project_repo(dest: Path, params: dict) -> Path:
    """Copy the project into ``dest`` as a fresh git repository (nothing committed yet)."""
    copy_workflow(dest, params)
    for name in PROJECT_FILES:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, dest / name)
    git(dest, "init", "-q")
    git(dest, "config", "user.email", "ci@example.invalid")
    git(dest, "config", "user.name", "ci")
    return dest


def git(work: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=work, capture_output=True, text=True)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def clone(src: Path, dest: Path) -> Path:
    """A second clone of ``src`` at its HEAD, as a colleague would make it (git config kept)."""
    git(src.parent, "clone", "-q", str(src), str(dest))
    git(dest, "config", "user.email", "ci@example.invalid")
    git(dest, "config", "user.name", "ci")
    return dest


def uv_shim(folder: Path) -> Path:
    """A stand-in for `uv` in the Makefile: `$(UV) run X` runs X from this venv (PATH)."""
    folder.mkdir(parents=True, exist_ok=True)
    shim = folder / "uv"
    shim.write_text('#!/bin/sh\n[ "$1" = run ] && shift\nexec "$@"\n')
    shim.chmod(0o755)
    return shim


def make(work: Path, target: str, shim: Path, check: bool = True,
         **env: str) -> subprocess.CompletedProcess:
    """Run a Makefile target in ``work`` with this venv; `-o` skips the env (uv sync) step."""
    done = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.synced", target, f"UV={shim}"],
        cwd=work, env={**tool_env(), **env}, capture_output=True, text=True, timeout=900,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"make {target} exited {done.returncode}:\n{(done.stdout + done.stderr)[-4000:]}")
    return done


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def lock_outputs(work: Path) -> list[str]:
    """Every output path dvc.lock records (files and folders)."""
    lock = yaml.safe_load((work / "dvc.lock").read_text())
    return sorted(out["path"] for stage in lock["stages"].values() for out in stage.get("outs", []))


def dvc_ignored(work: Path, paths: list[str]) -> set[str]:
    """Those of ``paths`` that .dvcignore hides from DVC (DVC's own matcher decides)."""
    if not paths:
        return set()
    done = run_tool(["dvc", "check-ignore", *paths], work, check=False)
    assert done.returncode in (0, 1), done.stderr  # 1: none of them is ignored
    return set(done.stdout.split())


def output_files(work: Path) -> dict[str, str]:
    """md5 of every file under the outputs of dvc.lock, without what .dvcignore hides."""
    files: list[str] = []
    for out in lock_outputs(work):
        path = work / out
        found = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
        files += [str(p.relative_to(work)) for p in found if p.exists()]
    hidden = dvc_ignored(work, files)
    return {f: md5(work / f) for f in sorted(files) if f not in hidden}


def remote_objects(remote: Path) -> set[str]:
    """The md5s a local DVC remote holds (files/md5/ab/cdef...; folders as <md5>.dir)."""
    return {p.parent.name + p.name for p in (remote / "files" / "md5").glob("*/*") if p.is_file()}


def remote_listings(remote: Path) -> set[str]:
    """Paths (relative to their folder output) that the remote's folder listings name."""
    return {entry["relpath"] for obj in (remote / "files" / "md5").glob("*/*.dir")
            for entry in json.loads(obj.read_text())}


def tree_size(root: Path) -> tuple[int, int]:
    """(bytes, files) of everything under ``root``."""
    files = [p for p in root.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def corrupt_cache_objects(work: Path) -> list[str]:
    """Cache objects whose content no longer matches their name (a write through a link)."""
    root = work / ".dvc" / "cache" / "files" / "md5"
    bad = []
    for obj in root.glob("*/*"):
        name = obj.parent.name + obj.name.removesuffix(".dir")
        if obj.is_file() and md5(obj) != name:
            bad.append(str(obj.relative_to(root)))
    return bad


def reflink_supported(folder: Path) -> bool:
    """Whether ``folder``'s filesystem does copy-on-write copies (then DVC uses reflinks)."""
    probe = folder / ".reflink-probe"
    probe.write_bytes(b"x")
    try:
        done = subprocess.run(["cp", "--reflink=always", str(probe), f"{probe}.copy"],
                              capture_output=True)
        return done.returncode == 0
    finally:
        for p in (probe, Path(f"{probe}.copy")):
            p.unlink(missing_ok=True)
