"""Device-resident data loading in the spirit of airbench's ``CifarLoader``.

The whole split lives on the training device as one uint8 tensor (CIFAR train: 45k x 3 x
32 x 32 = 138 MB); each batch is indexed there, converted to float in [0, 1], resized,
augmented as a batch with per-sample random parameters, normalized and (optionally)
mixed. All randomness of an epoch comes from one ``torch.Generator`` seeded from
``(seed, epoch)``, so an epoch's batches are a pure function of those two numbers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np
import torch
from torch import Tensor

from cifarlab.data.augment import Augment, build_augment
from cifarlab.data.augment.basic import Normalize
from cifarlab.data.stats import Stats, resolve_stats
from cifarlab.data.tv_functional import normalize, resize_bilinear

AugmentFn = Callable[[Tensor, torch.Generator], Tensor]


def epoch_seed(seed: int, epoch: int) -> int:
    """A well-mixed 63-bit seed for ``(seed, epoch)`` (numpy's SeedSequence hashing)."""
    state = np.random.SeedSequence([int(seed) & (2**64 - 1), int(epoch)]).generate_state(2, np.uint32)
    return (int(state[0]) << 31 | int(state[1])) & (2**63 - 1)


def make_generator(seed: int, epoch: int, device: torch.device | str) -> torch.Generator:
    """A generator on ``device`` seeded by :func:`epoch_seed`."""
    gen = torch.Generator(device=torch.device(device))
    gen.manual_seed(epoch_seed(seed, epoch))
    return gen


def fixed_stats(augment: object) -> Stats | None:
    """Statistics of a ``normalize`` op with its own values in the pipeline, if any."""
    for op in getattr(augment, "ops", ()):
        if isinstance(op, Normalize) and op._fixed is not None:
            return op._fixed
    return None


def _as_tensor(a: object, dtype: torch.dtype, what: str) -> Tensor:
    t = torch.as_tensor(a)
    if t.dtype != dtype:
        raise ValueError(f"DeviceLoader: {what} must be {dtype}, got {t.dtype}")
    return t


@contextlib.contextmanager
def _threads(n: int | None) -> Iterator[None]:
    """Run with ``n`` intra-op threads (None: unchanged), restoring the setting after."""
    old = torch.get_num_threads()
    if n is None or n == old:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


class DeviceLoader:
    """Batches ``(x, y)`` from uint8 images held on ``device``.

    Args:
        images_uint8: (N, C, H, W) uint8 tensor or array.
        labels: (N,) int64.
        batch_size: samples per batch; ``len(loader)`` is the number of batches per epoch.
        train: shuffle, augment and mix (False: fixed order, no random op at all).
        augment: ``build_augment`` pipeline, any ``(x, gen) -> x`` callable on floats in
            [0, 1], a list of op specs (built here), or None.
        normalize: ``(mean, std)``, a preset name or ``{mean, std}``; applied after the
            augment ops unless the pipeline places ``{op: normalize}`` itself. Eval loaders
            use the pipeline's own normalize values when it has fixed ones.
        resize: square output size in pixels (bilinear, e.g. 32 -> 64) applied before the
            augment ops; None keeps the size.
        seed, set_epoch(e): shuffling and augmentation of epoch e depend only on (seed, e).
            Without ``set_epoch`` each pass over the loader moves on to the next epoch.
        mix: ``build_mix`` callable (train only); y then becomes float soft targets.
        num_classes: for ``mix`` one-hot targets (default: labels.max() + 1).
        channels_last: yield x in ``torch.channels_last`` memory format.
        cpu_threads: intra-op threads while augmenting on the CPU; None (default) keeps
            torch's setting, which Snakemake sets per job (OMP_NUM_THREADS = the rule's
            threads), so concurrent jobs do not oversubscribe the cores. Measured on an idle
            2-core CPU, s000's stack: 10.5k img/s on 1 thread, 15.0k on 2.
        rank, world_size: DDP sharding. Training: every rank draws the same permutation,
            ``batch_size`` is the global batch and rank r yields its r-th 1/world_size of
            each one (``len()`` stays the global batch count). With random augmentation
            or mixing every rank transforms the whole global batch and keeps its part, so
            each sample gets exactly the random parameters of a one-process run (costs
            world_size x the augmentation work, small beside the model's on a GPU).
            Evaluation: rank r takes a contiguous 1/world_size of the samples.
    """

    def __init__(self, images_uint8: Tensor | np.ndarray, labels: Tensor | np.ndarray, batch_size: int, *,
                 train: bool, augment: AugmentFn | Sequence[Mapping] | None = None,
                 normalize: Stats | str | Mapping | None = None, resize: int | None = None,
                 seed: int = 0, device: torch.device | str = "cpu", drop_last: bool = False,
                 mix: Callable | None = None, num_classes: int | None = None,
                 channels_last: bool = False, cpu_threads: int | None = None,
                 rank: int = 0, world_size: int = 1):
        images = _as_tensor(images_uint8, torch.uint8, "images_uint8")
        labels_t = _as_tensor(labels, torch.int64, "labels")
        if images.ndim != 4 or labels_t.shape != (images.shape[0],):
            raise ValueError(f"DeviceLoader: need images (N, C, H, W) and labels (N,), got "
                             f"{tuple(images.shape)} and {tuple(labels_t.shape)}")
        if batch_size < 1:
            raise ValueError(f"DeviceLoader: batch_size must be >= 1, got {batch_size}")
        self.device = torch.device(device)
        self.images = images.to(self.device)
        self.labels = labels_t.to(self.device)
        self.batch_size, self.train, self.drop_last = int(batch_size), bool(train), bool(drop_last)
        if augment is not None and not callable(augment):
            augment = build_augment(augment)
        self.augment = augment
        self.normalize = None if normalize is None else resolve_stats(normalize, channels=images.shape[1])
        self.resize = resize
        self.seed, self.epoch = int(seed), 0
        self.mix = mix
        self.num_classes = num_classes if num_classes is not None else (
            int(self.labels.max().item()) + 1 if len(self.labels) else 0)
        self.channels_last = channels_last
        self.cpu_threads = cpu_threads
        self.rank, self.world_size = int(rank), int(world_size)
        if self.world_size > 1 and self.train and (self.batch_size % self.world_size or not self.drop_last):
            raise ValueError(f"DeviceLoader: the global batch_size {self.batch_size} must split evenly "
                             f"over {self.world_size} processes, with drop_last")
        n = len(self.labels)  # this rank's contiguous share of an evaluation pass
        self._shard = slice(n * self.rank // self.world_size, n * (self.rank + 1) // self.world_size)

    def __len__(self) -> int:
        n, b = len(self.labels), self.batch_size
        if not self.train and self.world_size > 1:
            n = self._shard.stop - self._shard.start
        return n // b if self.drop_last else -(-n // b)

    @property
    def rank_samples(self) -> int:
        """Samples this rank yields per pass (weights for reducing epoch means)."""
        if self.train and self.world_size > 1:
            return len(self) * (self.batch_size // self.world_size)
        n = len(self.labels) if self.world_size == 1 else self._shard.stop - self._shard.start
        return min(n, len(self) * self.batch_size)

    @property
    def dataset_size(self) -> int:
        return len(self.labels)

    def set_epoch(self, epoch: int) -> None:
        """The next pass over the loader is epoch ``epoch`` (its randomness depends only on
        ``(seed, epoch)``)."""
        self.epoch = int(epoch)

    def transform(self, x_uint8: Tensor, gen: torch.Generator | None) -> Tensor:
        """uint8 batch -> float [0, 1] -> resize -> augment (train) -> normalize."""
        with _threads(self.cpu_threads if x_uint8.device.type == "cpu" else None):
            return self._transform(x_uint8, gen)

    def _transform(self, x_uint8: Tensor, gen: torch.Generator | None) -> Tensor:
        x = x_uint8.float().div_(255.0)
        if self.resize is not None:
            x = resize_bilinear(x, self.resize)
        placed = isinstance(self.augment, Augment) and self.augment.normalizes
        if self.train and self.augment is not None:
            if isinstance(self.augment, Augment):
                x = self.augment(x, gen, normalize=self.normalize)
            else:
                x = self.augment(x, gen)
        stats = self.normalize
        if not self.train and fixed_stats(self.augment) is not None:
            stats = fixed_stats(self.augment)
        if stats is not None and not (self.train and placed):
            x = normalize(x, *stats)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        epoch = self.epoch
        self.epoch = epoch + 1
        n = len(self.labels)
        gen = make_generator(self.seed, epoch, self.device) if self.train else None
        order = (torch.randperm(n, generator=gen, device=self.device) if self.train
                 else torch.arange(n, device=self.device)[self._shard])
        local = self.batch_size // self.world_size
        part = slice(self.rank * local, (self.rank + 1) * local)
        # Random ops draw per-sample parameters for the whole batch: transform all of it.
        whole = self.world_size == 1 or not self.train or self.augment is not None or self.mix is not None
        for b in range(len(self)):
            idx = order[b * self.batch_size:(b + 1) * self.batch_size]
            if not whole:
                idx = idx[part]
            # index_select copies whole rows (much faster than advanced indexing on CPU).
            x, y = self.transform(self.images.index_select(0, idx), gen), self.labels.index_select(0, idx)
            if self.train and self.mix is not None:
                x, y = self.mix(x, y, gen, num_classes=self.num_classes)
            if whole and self.train and self.world_size > 1:
                x, y = x[part], y[part]
            yield x, y


def preview_batch(images_uint8: Tensor | np.ndarray, labels: Tensor | np.ndarray,
                  augment: Sequence[Mapping] | AugmentFn | None, normalize: Stats | str | Mapping | None,
                  *, n: int = 4, seed: int = 0, resize: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``n`` randomly chosen training images after the train-time augmentation, undone
    normalization, as (n, H, W, C) float numpy in [0, 1] (clipped) plus their labels:
    the input of ``analysis.sample_figures.plot_augmentation_preview`` (s000's preview)."""
    images = torch.as_tensor(images_uint8)
    pick = torch.randperm(images.shape[0], generator=torch.Generator().manual_seed(int(seed)))[:n]
    loader = DeviceLoader(images[pick], torch.as_tensor(labels)[pick], n, train=True, augment=augment,
                          normalize=normalize, resize=resize, seed=seed)
    x, y = next(iter(loader))
    stats = fixed_stats(loader.augment) or loader.normalize
    if stats is not None:
        mean, std = (torch.tensor(v).view(1, -1, 1, 1) for v in stats)
        x = x * std + mean
    return x.clamp(0.0, 1.0).permute(0, 2, 3, 1).numpy(), y.numpy()
