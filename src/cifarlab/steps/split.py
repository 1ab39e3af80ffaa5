"""split: official train set -> train/validation (seeded), test kept apart, as uint8 arrays."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from cifarlab import dag
from cifarlab.config import Config
from cifarlab.io import atomic_path
from cifarlab.names import check_name
from cifarlab.steps._common import record


def run(cfg: Config, experiment: str | None, command: Sequence[str]) -> None:
    from cifarlab.data.official import load_official
    from cifarlab.data.split import split_dataset

    p = cfg.profile
    subset = {"train": p.train_subset, "val": p.val_subset, "test": p.test_subset}
    with atomic_path(dag.SPLIT_DIR) as stage:
        for name in cfg.active_datasets:
            raw = Path(dag.RAW_DIR) / check_name("datasets", name)
            if not raw.is_dir():  # a local-only dataset the download step had to skip
                print(f"split: warning: {name}: no {raw}; skipped", flush=True)
                continue
            data = load_official(cfg.datasets[name].kind, raw)
            meta = split_dataset(
                stage / name, data, dataset=name, val_fraction=cfg.split.val_fraction,
                seed=cfg.split.seed, subset=subset,
            )
            print(f"split: {name}: {meta['sizes']}", flush=True)
        record(cfg, "split", command, [dag.RAW_DIR], stage / "split.prov.json")
