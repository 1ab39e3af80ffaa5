"""download: fetch every dataset the active profile trains on into data/raw/<name>/."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from cifarlab import dag
from cifarlab.config import Config, ConfigError
from cifarlab.io import atomic_path, write_json
from cifarlab.names import check_name
from cifarlab.steps._common import record


def run(cfg: Config, experiment: str | None, command: Sequence[str]) -> None:
    from cifarlab.data.download import fetch_dataset

    # All datasets land together or not at all: a failed md5 leaves no data/raw.
    with atomic_path(dag.RAW_DIR) as stage:
        for name in cfg.active_datasets:
            ds = cfg.datasets[name]
            if ds.kind == "imagefolder":
                _point_at_imagefolder(name, ds, stage)
                continue
            print(f"download: {name} ({ds.kind}) from {ds.local or ds.url}", flush=True)
            fetched = fetch_dataset(
                ds.kind, stage / check_name("datasets", name), url=ds.url, md5=ds.md5,
                files=ds.files, local=_local(name, ds.local),
            )
            write_json(stage / name / "download.json", fetched)
        record(cfg, "download", command, [], stage / "download.prov.json")


def _point_at_imagefolder(name: str, ds, stage: Path) -> None:
    """A local-only ImageFolder dataset: its layout checked and its place recorded, never
    copied. Not configured: skipped with a warning, so the other studies still run (its
    experiments stop at their first step, naming the key)."""
    from cifarlab.data.imagefolder import LAYOUT, pointer

    if not ds.local:
        print(f"download: warning: {name}: skipped: datasets.{name}.local is not set and {name} is "
              f"never downloaded (expected {LAYOUT})", flush=True)
        return
    info = pointer(name, _local(name, ds.local), ds.image_size or 224)
    write_json(stage / check_name("datasets", name) / "download.json", info)
    print(f"download: {name} (imagefolder) at {info['local']}: {info['classes']} classes", flush=True)


def _local(name: str, path: str | None) -> Path | None:
    """The configured local stand-in; one that is missing is an error, never a silent
    download (the log would name a file that was not used)."""
    if not path:
        return None
    local = Path(path).expanduser()
    if not local.exists():
        raise ConfigError(f"datasets.{name}.local: {path} does not exist; fix the path, or set "
                          f"it to null to download from the dataset's url")
    return local
