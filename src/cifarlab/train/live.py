"""Per-epoch metrics while a run trains, through dvclive.

fit() writes each completed epoch's row (train/val loss and accuracy, lr, seconds) with
``dvclive.Live`` into ``results/live/<experiment>/seed_<k>/``: ``metrics.json`` (the latest
epoch, with its step) and ``plots/metrics/<name>.tsv`` (one line per epoch). dvc.yaml
declares ``results/live`` as top-level metrics and plots, so ``dvc exp show`` /
``dvc metrics show`` show where every run is now and ``dvc plots show`` draws its curves
while it trains (a 300-epoch run is visible after its first epoch, not at its end).

The folder lies outside the declared outputs (like the resume state), so Snakemake and
DVC never delete it before a rerun. A run that resumes replays its history into a fresh
log, so the log matches the resumed run whatever was written after the last saved epoch.
Only the main process (rank 0 under DDP) writes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping

LOGGED = ("train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds")


class EpochLog:
    """A dvclive log of epochs; a no-op without a folder."""

    def __init__(self, folder: Path | None, history: Iterable[Mapping[str, Any]] = ()):
        self.live = None
        if folder is None:
            return
        from dvclive import Live

        # No dvc.yaml edits, no DVC experiment of its own, no report: dvc.yaml declares it.
        self.live = Live(str(folder), resume=False, save_dvc_exp=False, dvcyaml=None, report=None)
        for row in history:
            self.log(row)

    def log(self, row: Mapping[str, Any]) -> None:
        """One epoch of history (HISTORY_COLUMNS): its metrics at step = epoch - 1."""
        if self.live is None:
            return
        for name in LOGGED:
            self.live.log_metric(name, float(row[name]))
        self.live.log_metric("epoch", int(row["epoch"]), plot=False)
        self.live.next_step()

    def close(self) -> None:
        if self.live is not None:
            self.live.end()
