"""Where every output came from: step, command, params (+ hash), commit, inputs, versions.

Each step writes one record next to its outputs (``<output>.prov.json`` sidecars for figures,
``<step>.prov.json`` in a run folder); the report shows them beside every table and figure.
Torch-free on purpose: the aggregate, figures and report steps must not pay for importing it,
so package versions are read from installed metadata, never by importing the packages.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import shlex
import socket
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from cifarlab.io import read_json, write_json

SCHEMA_VERSION = 1
# Distribution names (as pip knows them) whose versions every record carries.
PACKAGES = (
    "cifarlab", "torch", "torchvision", "timm", "numpy", "pandas", "scikit-learn",
    "matplotlib", "seaborn", "jinja2", "snakemake", "dvc",
)
_CHUNK = 1 << 20  # bytes read per md5 update
_MAX_CHANGED = 20  # changed paths listed in a dirty record
# Where a job ran and on what: the GPUs it holds slots on, its SLURM job, its DDP size.
ENVIRONMENT = (
    "CUDA_VISIBLE_DEVICES", "CIFARLAB_GPU_SLOTS_HELD", "SLURM_JOB_ID", "SLURM_JOB_NODELIST",
    "SLURM_RESTART_COUNT", "WORLD_SIZE",
)


def canonical_json(values: Any) -> str:
    """The canonical text that params hashes are taken over (same as ``dag.params_hash``)."""
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)


def params_sha256(values: Any) -> str:
    """Full sha256 hex digest of ``values``' canonical JSON; ``[:16]`` equals ``dag.params_hash``."""
    return hashlib.sha256(canonical_json(values).encode()).hexdigest()


def _md5_file(path: Path, digest: "hashlib._Hash") -> None:
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)


def md5_path(path: str | os.PathLike) -> str:
    """md5 hex digest of a file's bytes, or of a folder's sorted relative paths + contents.

    For a folder every regular file below it counts (hidden ones included), in sorted
    POSIX relative-path order, each contributing ``path\\0`` then its bytes then ``\\0``: a
    rename, an added file or a changed byte all change the digest.
    Raises FileNotFoundError when ``path`` does not exist.
    """
    p = Path(path)
    if p.is_file():
        digest = hashlib.md5()
        _md5_file(p, digest)
        return digest.hexdigest()
    if not p.is_dir():
        raise FileNotFoundError(f"{p}: provenance input does not exist")
    digest = hashlib.md5()
    files = sorted((f for f in p.rglob("*") if f.is_file()), key=lambda f: f.relative_to(p).as_posix())
    for f in files:
        digest.update(f.relative_to(p).as_posix().encode() + b"\0")
        _md5_file(f, digest)
        digest.update(b"\0")
    return digest.hexdigest()


def _git(args: Sequence[str], cwd: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def git_state(repo_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """``{"commit", "dirty", "changed"}`` for the git work tree holding ``repo_dir`` (default cwd).

    ``dirty`` is True when *tracked* files differ from HEAD (staged or not); untracked files
    (generated outputs, logs) do not count. ``changed`` lists up to 20 such paths.
    Outside a git work tree, or without git, every field is None: never an exception.
    """
    cwd = Path(repo_dir or os.getcwd())
    commit = _git(["rev-parse", "--verify", "HEAD"], cwd)
    if commit is None:
        return {"commit": None, "dirty": None, "changed": None}
    status = _git(["status", "--porcelain", "--untracked-files=no"], cwd)
    changed = [line[3:] for line in (status or "").splitlines() if line.strip()]
    return {
        "commit": commit.strip(),
        "dirty": bool(changed) if status is not None else None,
        "changed": changed[:_MAX_CHANGED],
    }


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str | None]:
    """Installed versions (importlib.metadata) of ``names`` plus ``python``; None if absent."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def environment_facts(names: Iterable[str] = ENVIRONMENT) -> dict[str, str]:
    """The ``names`` environment variables that are set (GPU slots, SLURM job, DDP)."""
    return {name: os.environ[name] for name in names if name in os.environ}


def utc_now() -> str:
    """Current UTC time as ISO 8601 with seconds, e.g. ``2025-01-31T12:00:00Z``."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def collect_provenance(
    step: str,
    command: Sequence[str],
    params: Mapping[str, Any],
    inputs: Sequence[str | os.PathLike],
    device: str | None = None,
    *,
    repo_dir: str | os.PathLike | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A JSON-ready provenance record for one step's outputs.

    Args:
        step: the rule / DVC stage name (``"train"``, ``"figures"``, ...).
        command: the exact argv that ran (``sys.argv`` with the interpreter first).
        params: the params.yaml subset the step read, keyed by dotted key.
        inputs: files or folders the outputs were derived from; each is md5-hashed now.
        device: the compute device used (``"cuda:0"``, ``"cpu"``), None for pure steps.
        repo_dir: where to ask git (default: the current directory).
        extra: free-form JSON-able facts (e.g. ``{"caption": ...}``) kept under ``"extra"``.

    Returns a dict with keys: schema, step, command, command_line, params, params_sha256,
    params_hash (first 16 hex = Snakemake's ``params:`` hash), git {commit, dirty, changed},
    inputs {path: md5}, packages {name: version}, hostname, platform, device,
    environment {GPU slots held, SLURM job id, DDP world size: those set},
    timestamp_utc, extra. Raises FileNotFoundError when an input is missing.
    """
    canonical = json.loads(canonical_json(dict(params)))  # plain JSON types, stable order
    digest = params_sha256(canonical)
    return {
        "schema": SCHEMA_VERSION,
        "step": step,
        "command": [str(c) for c in command],
        "command_line": shlex.join(str(c) for c in command),
        "params": canonical,
        "params_sha256": digest,
        "params_hash": digest[:16],
        "git": git_state(repo_dir),
        "inputs": {str(p): md5_path(p) for p in inputs},
        "packages": package_versions(),
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "device": device,
        "environment": environment_facts(),
        "timestamp_utc": utc_now(),
        "extra": dict(extra or {}),
    }


def sidecar_path(output: str | os.PathLike) -> Path:
    """The provenance sidecar of an output file: ``fig.png`` -> ``fig.prov.json``."""
    p = Path(output)
    return p.with_name(f"{p.stem}.prov.json")


def write_provenance(path: str | os.PathLike, record: Mapping[str, Any]) -> None:
    """Atomically write ``record`` as JSON to ``path``."""
    write_json(path, dict(record))


def read_provenance(path: str | os.PathLike) -> dict[str, Any]:
    """Read a record written by :func:`write_provenance` (FileNotFoundError if absent)."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{p}: provenance record missing")
    record = read_json(p)
    if not isinstance(record, dict) or "step" not in record:
        raise ValueError(f"{p}: not a provenance record (no 'step' key)")
    return record
