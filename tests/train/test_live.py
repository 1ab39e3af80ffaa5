"""Issue 19, item 6: a run's per-epoch metrics are readable while it trains, through
dvclive, in the layout dvc.yaml's top-level metrics and plots declare (results/live)."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import pytest
import torch
import yaml

from cifarlab import dag
from cifarlab.train import fit
from tests.workflow_copy import BIN, REPO

torch.set_num_threads(1)


def _tsv(path: Path) -> list[dict[str, str]]:
    with path.open() as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_every_epoch_is_logged_as_it_ends_and_a_resume_replays_the_history(driver, tmp_path):
    live = tmp_path / "live"
    seen: list[int] = []

    class Watch(driver.TinyLoader):  # reads the log when each epoch begins, as a user would
        def set_epoch(self, epoch):
            super().set_epoch(epoch)
            if (live / "metrics.json").is_file():
                seen.append(json.loads((live / "metrics.json").read_text())["epoch"])

    torch.manual_seed(0)
    result = fit(driver.TinyNet(), Watch(96, 16, seed=1), driver.TinyLoader(48, 16, seed=2, shuffle=False),
                 driver.settings(max_epochs=3), out_dir=tmp_path / "out", state_dir=tmp_path / "state",
                 device="cpu", progress=False, live_dir=live)
    assert seen == [1, 2]  # epoch 2 began with epoch 1 on disk, epoch 3 with epoch 2
    rows = _tsv(live / "plots/metrics/val_acc.tsv")
    assert [float(r["val_acc"]) for r in rows] == [h["val_acc"] for h in result.history]
    assert [int(r["step"]) for r in rows] == [0, 1, 2]

    # A fresh log replays a resumed run's history first: the curve has no gap or repeat.
    from cifarlab.train.live import EpochLog

    log = EpochLog(tmp_path / "replayed", result.history[:2])
    log.log(result.history[2])
    log.close()
    assert _tsv(tmp_path / "replayed/plots/metrics/val_acc.tsv") == rows


def test_the_log_touches_no_repository(driver, tmp_path, monkeypatch):
    """In a git repository without commits (dvclive alone would fail reading its revision)
    and without DVC (dvclive alone would `dvc init` it), only the log folder appears."""
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    monkeypatch.chdir(tmp_path)
    from cifarlab.train.live import EpochLog

    log = EpochLog(tmp_path / "live", [{"epoch": 1, "train_loss": 1.0, "train_acc": 0.5,
                                        "val_loss": 1.1, "val_acc": 0.4, "lr": 0.1, "seconds": 2.0}])
    log.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".git", "live"]
    assert json.loads((tmp_path / "live/metrics.json").read_text())["val_acc"] == 0.4


@pytest.mark.slow
def test_dvc_metrics_and_plots_read_the_live_folder(driver, tmp_path):
    """The top-level metrics/plots of the repository's dvc.yaml, in a scratch DVC repo."""
    top = {k: v for k, v in yaml.safe_load((REPO / "dvc.yaml").read_text()).items()
           if k in ("metrics", "plots")}
    assert top == {"metrics": [dag.LIVE_DIR], "plots": [dag.LIVE_DIR]}
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump(top))
    for cmd in (["git", "init", "-q"], [str(BIN / "dvc"), "init", "-q"]):
        subprocess.run(cmd, cwd=tmp_path, check=True)
    torch.manual_seed(0)
    fit(driver.TinyNet(), driver.TinyLoader(64, 16, seed=1), driver.TinyLoader(32, 16, seed=2, shuffle=False),
        driver.settings(max_epochs=2), out_dir=tmp_path / "out", state_dir=tmp_path / "state",
        device="cpu", progress=False, live_dir=tmp_path / dag.LIVE_DIR / "cnn4" / "seed_0")
    shown = subprocess.run([str(BIN / "dvc"), "metrics", "show", "--json"], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout
    metrics = json.loads(shown)[""]["data"][f"{dag.LIVE_DIR}/cnn4/seed_0/metrics.json"]["data"]
    assert metrics["epoch"] == 2 and metrics["step"] == 1
    plots = subprocess.run([str(BIN / "dvc"), "plots", "show", "--json"], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout
    assert f"{dag.LIVE_DIR}/cnn4/seed_0/plots/metrics/val_loss.tsv" in json.loads(plots)["data"]
