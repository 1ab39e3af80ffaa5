"""download: fetch every dataset the active profile trains on into data/raw/<name>/."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from cifarlab import dag
from cifarlab.config import Config
from cifarlab.io import atomic_path, write_json
from cifarlab.steps._common import record


def run(cfg: Config, experiment: str | None, command: Sequence[str]) -> None:
    from cifarlab.data.download import fetch_dataset

    # All datasets land together or not at all: a failed md5 leaves no data/raw.
    with atomic_path(dag.RAW_DIR) as stage:
        for name in cfg.active_datasets:
            ds = cfg.datasets[name]
            print(f"download: {name} ({ds.kind}) from {ds.local or ds.url}", flush=True)
            fetched = fetch_dataset(
                ds.kind, stage / name, url=ds.url, md5=ds.md5, files=ds.files, local=_local(ds.local)
            )
            write_json(stage / name / "download.json", fetched)
        record(cfg, "download", command, [], stage / "download.prov.json")


def _local(path: str | None) -> Path | None:
    """A configured local stand-in is used only when it exists; otherwise we download."""
    return Path(path) if path and Path(path).exists() else None
