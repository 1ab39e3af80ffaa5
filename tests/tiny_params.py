"""A `.test`-style tiny configuration: the repo's params.yaml on a few hundred images."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from tests.data.archives import write_fashion_gz
from tests.workflow_copy import REPO


def tiny_params(data_dir: Path, experiments=("cnn4", "resnet_20"), *, n_train=200, n_test=100,
                train_subset=120, max_epochs=2) -> dict:
    """Params that run the real workflow on tiny Fashion-MNIST files written to ``data_dir``."""
    _, files = write_fashion_gz(data_dir, n_train=n_train, n_test=n_test)
    raw = copy.deepcopy(yaml.safe_load((REPO / "params.yaml").read_text()))
    raw["datasets"]["fashion_mnist"].update(local=str(data_dir), files=files)
    for recipe in raw["recipes"].values():  # several batches per epoch even on tiny data
        recipe.update(batch_size=32, eval_batch_size=64)
    raw["experiments"] = {name: raw["experiments"][name] for name in experiments}
    raw["ensembles"] = {n: e for n, e in raw["ensembles"].items() if set(e["members"]) <= set(experiments)}
    if not raw["ensembles"]:  # at least one (params.schema.yaml): the first experiment's seeds
        first = experiments[0]
        raw["ensembles"] = {f"{first}_seeds": {"study": raw["experiments"][first]["study"], "members": [first],
                                               "over": "seeds"}}
    for profile in raw["profiles"].values():  # seed counts only for the experiments kept
        profile["extra_seeds"] = {k: v for k, v in (profile.get("extra_seeds") or {}).items() if k in experiments}
    raw["profiles"]["quick"].update(
        train_subset=train_subset, val_subset=None, test_subset=None, max_epochs=max_epochs,
        latency_repeats=1, progress=False,
    )
    return raw
