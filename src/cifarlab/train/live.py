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


def _file_live():
    """dvclive's ``Live`` writing its files only.

    Its repository hooks are switched off: outside a DVC repo it would ``dvc init`` the
    enclosing git repository, in one it reads the git revision (which fails in a repo
    without commits) and names an experiment, and with a Studio token it posts every step
    over the network. Many training jobs run at once under Snakemake or ``dvc repro``;
    each must only write its folder. ``tests/train/test_live.py`` pins this.
    """
    from dvclive import Live

    class FileLive(Live):
        def _init_dvc(self) -> None:
            self._dvc_file = None

        def _init_studio(self) -> None:
            self._studio_events_to_skip.update({"start", "data", "done"})

    return FileLive


class EpochLog:
    """A dvclive log of epochs; a no-op without a folder."""

    def __init__(self, folder: Path | None, history: Iterable[Mapping[str, Any]] = ()):
        self.live = None
        if folder is None:
            return
        # No dvc.yaml edits, no DVC experiment of its own, no report: dvc.yaml declares it.
        self.live = _file_live()(str(folder), resume=False, save_dvc_exp=False, dvcyaml=None,
                                 report=None)
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
