"""One DDP step is the one-process step, to float64 rounding: the precision claim behind
the end-to-end comparison in test_ddp.py.

Two gloo processes each take their rank's shard of one global batch through the real
sharding (``DeviceLoader(rank=, world_size=)``) and the real wrapper (``ddp.wrap``); the
all-reduced gradient must equal the gradient of one process on the whole batch. In float64
the two differ only by the order of the sums, so the bound is derived from the summation:
a sum of n terms computed in any order is within (n - 1) * u * sum|terms| of the exact one
(Higham, Accuracy and Stability of Numerical Algorithms, eq. 4.4), u = 2**-53. Here each
gradient component sums at most B (samples) x P (positions of the widest feature map)
terms, and sum|terms| <= B * P * max|term|; we bound max|term| by the largest per-sample
gradient component (each term is a part of one). A sharding or averaging bug (a rank
seeing the whole batch, a sum instead of a mean) moves the gradient by O(1) of its size,
orders of magnitude above this bound.
"""

from __future__ import annotations

import os
import socket

import pytest
import torch

pytestmark = pytest.mark.slow

BATCH, N_IMAGES, WORLD = 16, 64, 2


def _data():
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (N_IMAGES, 3, 32, 32), dtype=torch.uint8, generator=g)
    labels = torch.randint(0, 10, (N_IMAGES,), generator=g)
    return images, labels


def _model():
    from cifarlab.models import get_model

    torch.manual_seed(1)
    return get_model("simple_cnn", num_classes=10).double()


def _first_batch(rank: int, world: int):
    from cifarlab.data.loader import DeviceLoader

    images, labels = _data()
    loader = DeviceLoader(images, labels, BATCH, train=True, seed=3, drop_last=True,
                          normalize={"mean": [0.5] * 3, "std": [0.25] * 3}, rank=rank, world_size=world)
    loader.set_epoch(0)
    x, y = next(iter(loader))
    return x.double(), y


def _grads(model) -> torch.Tensor:
    return torch.cat([p.grad.reshape(-1) for p in model.parameters()])


def _rank_main(rank: int, port: int, out: str) -> None:
    import torch.distributed as dist

    from cifarlab.train import distributed as ddp

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=WORLD)
    try:
        model = _model()
        net = ddp.wrap(model, torch.device("cpu"))
        x, y = _first_batch(rank, WORLD)
        assert x.shape[0] == BATCH // WORLD  # each rank its own share, not the whole batch
        torch.nn.functional.cross_entropy(net(x), y).backward()
        if rank == 0:
            torch.save(_grads(model), out)
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_one_ddp_step_equals_one_process_step_in_float64(tmp_path):
    import torch.multiprocessing as mp

    out = tmp_path / "ddp_grads.pt"
    mp.spawn(_rank_main, args=(_free_port(), str(out)), nprocs=WORLD, join=True)
    ddp_grads = torch.load(out)

    model = _model()
    x, y = _first_batch(0, 1)
    assert x.shape[0] == BATCH
    torch.nn.functional.cross_entropy(model(x), y).backward()
    one = _grads(model)

    # The bound's max|term|: the largest per-sample gradient component, scaled by 1/B as
    # the mean loss scales it.
    largest = 0.0
    for i in range(BATCH):
        model.zero_grad()
        torch.nn.functional.cross_entropy(model(x[i:i + 1]), y[i:i + 1]).backward()
        largest = max(largest, _grads(model).abs().max().item() / BATCH)
    positions = 32 * 32  # the widest feature map of simple_cnn: the input's 32 x 32
    n = BATCH * positions
    bound = (n - 1) * 2.0 ** -53 * n * largest
    diff = (ddp_grads - one).abs().max().item()
    print(f"max |DDP - one process| gradient difference {diff:.3e}, derived bound {bound:.3e}, "
          f"gradient scale {one.abs().max().item():.3e}")
    assert diff <= bound
    # The bound is far below the gradient itself, so it can tell a wrong step apart.
    assert bound < 1e-6 * one.abs().max().item()
