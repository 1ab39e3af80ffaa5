"""What several steps share: locating split data, recording provenance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from cifarlab import dag
from cifarlab.config import Config
from cifarlab.provenance import collect_provenance, write_provenance


def split_dir(dataset: str) -> Path:
    return Path(dag.SPLIT_DIR) / dataset


def read_meta(dataset: str) -> dict[str, Any]:
    path = split_dir(dataset) / "meta.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing; run the split step first")
    return json.loads(path.read_text())


def record(
    cfg: Config,
    step: str,
    command: Sequence[str],
    inputs: Sequence[str | Path],
    out: str | Path,
    experiment: str | None = None,
    device: str | None = None,
) -> None:
    """Write the provenance sidecar ``out`` for a step (params read, inputs' md5, commit)."""
    params = dag.param_values(step, cfg.raw, experiment)
    prov = collect_provenance(step, list(command), params, [Path(p) for p in inputs], device=device)
    write_provenance(out, prov)
