"""FLOP counts kept across jobs (results/state/flops/), keyed by what they depend on.

A FLOP count depends on the architecture (model name, its args, classes, input size) and
on the code that builds and counts it: the key also holds the sha256 of the model's family
module, of models/layers.py and models/complexity.py, and the torch and timm versions, so
an edit to a model or an upgrade counts afresh. One small JSON file per key, written
atomically (two concurrent jobs may both count; the second rename wins with the same
value). The state folder is outside every declared output, like the resume state.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Mapping

from cifarlab import dag

CACHE_DIR = Path(dag.STATE_DIR) / "flops"


def _file_sha(module: str) -> str:
    spec = importlib.util.find_spec(module)
    origin = spec.origin if spec else None
    return hashlib.sha256(Path(origin).read_bytes()).hexdigest() if origin else "?"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


def cache_key(model: str, args: Mapping[str, Any], num_classes: int, input_px: int) -> str:
    from cifarlab.models.index import FAMILY_MODULES

    family = FAMILY_MODULES.get(model)
    code = [_file_sha(f"cifarlab.models.families.{family}") if family else "?",
            _file_sha("cifarlab.models.layers"), _file_sha("cifarlab.models.complexity")]
    what = {"model": model, "args": dict(args), "classes": num_classes, "px": input_px, "code": code,
            "torch": _version("torch"), "timm": _version("timm")}
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()[:32]


def cached_gflops(model: str, args: Mapping[str, Any], num_classes: int, input_px: int,
                  count: Callable[[], float], cache_dir: Path = CACHE_DIR) -> float:
    """``count()`` once per key; later calls read the recorded value."""
    path = cache_dir / f"{cache_key(model, args, num_classes, input_px)}.json"
    try:
        return float(json.loads(path.read_text())["gflops"])
    except (OSError, ValueError, KeyError):
        pass
    gflops = count()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"model": model, "px": input_px, "classes": num_classes, "gflops": gflops}))
        os.replace(tmp, path)
    except OSError:  # a read-only checkout still trains; it just counts again next time
        pass
    return gflops
