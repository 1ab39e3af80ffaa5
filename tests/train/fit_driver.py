"""A tiny model and a stand-in for DeviceLoader, and a CLI that runs fit() on them.

Used in-process by the tests (loaded by path) and as a subprocess by the resume test:

    python fit_driver.py OUT_DIR STATE_DIR [--epochs N] [--hang-at E --marker PATH]

``--hang-at E`` makes the loader write ``PATH`` and sleep when epoch E begins, i.e. after
epoch E-1's resume state is on disk, so the test can SIGKILL it at a known point.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch import nn

from cifarlab.train import TrainSettings, fit

NUM_CLASSES = 3
SHAPE = (3, 4, 4)  # C, H, W: an image batch in miniature


class TinyNet(nn.Module):
    """Two linear layers with dropout (so the RNG matters) and an ``fc`` head."""

    def __init__(self, hidden: int = 16) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(48, hidden), nn.ReLU(), nn.Dropout(0.2))
        self.fc = nn.Linear(hidden, NUM_CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.body(x))


class TinyLoader:
    """DeviceLoader's interface: ``len()``, ``set_epoch(e)``, yields (x, y) batches.

    Labels follow a fixed linear rule so the net can learn; ``label_shift`` relabels them
    (a val set that disagrees with training makes val loss rise); ``soft`` yields one-hot
    mixtures like MixUp; ``poison=(epoch, batch)`` puts NaN into that batch.
    """

    def __init__(self, n: int = 64, batch_size: int = 16, *, seed: int = 0, shuffle: bool = True,
                 label_shift: int = 0, soft: bool = False, poison: tuple[int, int] | None = None,
                 hang_at: int | None = None, marker: Path | None = None) -> None:
        g = torch.Generator().manual_seed(1234 + seed)
        self.x = torch.randn(n, *SHAPE, generator=g)
        rule = torch.randn(48, NUM_CLASSES, generator=torch.Generator().manual_seed(99))
        self.y = ((self.x.flatten(1) @ rule).argmax(1) + label_shift) % NUM_CLASSES
        self.batch_size, self.seed, self.shuffle, self.soft = batch_size, seed, shuffle, soft
        self.poison, self.hang_at, self.marker = poison, hang_at, marker
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.x) // self.batch_size

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        if epoch == self.hang_at:
            Path(self.marker).write_text(str(epoch))
            time.sleep(600)  # the test kills us here

    def __iter__(self):
        n = len(self) * self.batch_size
        order = torch.arange(len(self.x))
        if self.shuffle:
            order = torch.randperm(len(self.x), generator=torch.Generator().manual_seed(
                self.seed * 10_000 + self.epoch))
        for b, i in enumerate(range(0, n, self.batch_size), start=1):
            idx = order[i:i + self.batch_size]
            x, y = self.x[idx].clone(), self.y[idx]
            if self.poison == (self.epoch, b):
                x[0, 0, 0, 0] = float("nan")
            if self.soft:
                hard = nn.functional.one_hot(y, NUM_CLASSES).float()
                y = 0.7 * hard + 0.3 * hard.roll(1, dims=0)
            yield x, y


def settings(**overrides) -> TrainSettings:
    base = dict(optimizer="sgd", lr=0.2, momentum=0.9, max_epochs=4, seed=3, warmup_epochs=1)
    return TrainSettings(**{**base, **overrides})


def run(out_dir: Path, state_dir: Path, epochs: int = 4, hang_at: int | None = None,
        marker: Path | None = None):
    """The resume test's training: same model init, loaders and settings every time."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = TinyNet()
    train = TinyLoader(128, 16, seed=1, hang_at=hang_at, marker=marker)
    val = TinyLoader(48, 16, seed=2, shuffle=False)
    return fit(model, train, val, settings(max_epochs=epochs), out_dir=out_dir,
               state_dir=state_dir, device="cpu", progress=False), model


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("out_dir", type=Path)
    p.add_argument("state_dir", type=Path)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--hang-at", type=int)
    p.add_argument("--marker", type=Path)
    a = p.parse_args(argv)
    run(a.out_dir, a.state_dir, a.epochs, a.hang_at, a.marker)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
