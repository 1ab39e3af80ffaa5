"""Issue 19, item 2: the seeds' per-GPU batch on one device.

s002 trained with DDP on 8 GPUs at 128 images each: BatchNorm saw 128 images, the gradient
1,024. Here, scaled down: 8 accumulated micro-batches of 16 must give the update of 8
DDP shards of 16 (each shard's mean-loss gradient, averaged, as DDP's all-reduce does),
and differ from one forward pass of 128 (BatchNorm normalising over all 128).

Everything runs in float64, so the two ways differ only in the order of summation; the
tolerance bounds that: for a sum of n terms, |rounding error| <= n * eps * sum|terms|.
"""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from cifarlab.train.loop import progress_bar, train_one_epoch
from cifarlab.train.precision import make_precision

N, SHARDS, LR = 128, 8, 0.1


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10)).double()


def _data():
    gen = torch.Generator().manual_seed(1)
    return (torch.randn(N, 3, 8, 8, generator=gen, dtype=torch.float64),
            torch.randint(0, 10, (N,), generator=gen))


def _fit_one_step(micro_batch: int | None) -> tuple[nn.Module, list[int]]:
    """One optimizer step of the real loop over one batch of N; the batch sizes BN saw."""
    model, (x, y) = _model(), _data()
    seen: list[int] = []
    model[1].register_forward_pre_hook(lambda m, inp: seen.append(inp[0].shape[0]))
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    train_one_epoch(model, [(x, y)], opt, make_precision(torch.device("cpu"), False, False),
                    epoch=1, label_smoothing=0.0, grad_clip=None, device=torch.device("cpu"),
                    bar=progress_bar(1, "", False), micro_batch=micro_batch)
    return model, seen


def _ddp_style_step() -> nn.Module:
    """8 replicas, one shard of N/8 each, mean loss per shard; gradients averaged."""
    model, (x, y) = _model(), _data()
    grads = []
    for xs, ys in zip(x.chunk(SHARDS), y.chunk(SHARDS)):
        replica = copy.deepcopy(model).train()
        nn.functional.cross_entropy(replica(xs), ys).backward()
        grads.append([p.grad for p in replica.parameters()])
    with torch.no_grad():
        for p, *gs in zip(model.parameters(), *grads):
            p -= LR * torch.stack(gs).mean(0)
    return model


def _bound(reference: nn.Module, start: nn.Module) -> float:
    # The update LR * g is a sum over N per-sample terms; |g| <= max|g| per term bounds
    # sum|terms| by N * max|g|, so the reorder error is below N * eps * N * LR * max|g|.
    step = max((r - s).abs().max().item() for r, s in zip(reference.parameters(), start.parameters()))
    return N * torch.finfo(torch.float64).eps * N * step


def test_accumulated_micro_batches_give_the_ddp_update_and_not_the_full_batch_one():
    start, ddp = _model(), _ddp_style_step()
    micro, seen_micro = _fit_one_step(N // SHARDS)
    full, seen_full = _fit_one_step(None)
    assert seen_micro == [N // SHARDS] * SHARDS and seen_full == [N]  # what BatchNorm saw
    bound = _bound(ddp, start)
    diff_ddp = max((a - b).abs().max().item() for a, b in zip(micro.parameters(), ddp.parameters()))
    diff_full = max((a - b).abs().max().item() for a, b in zip(full.parameters(), ddp.parameters()))
    assert diff_ddp <= bound, f"micro-batches differ from DDP shards by {diff_ddp:.3g} > {bound:.3g}"
    assert diff_full > 1e3 * bound, "one batch of 128 should differ: BatchNorm over 128, not 16"
    # BatchNorm's running statistics: 8 momentum updates from 16 images each vs one from 128.
    assert not torch.allclose(micro[1].running_var, full[1].running_var, rtol=1e-6)


def test_a_micro_batch_that_does_not_divide_the_batch_still_weights_images_equally():
    # 128 = 3 x 48 - 16: parts of 48, 48, 32. BatchNorm-free, so every split gives one gradient.
    torch.manual_seed(0)
    lin = nn.Linear(12, 10).double()
    x, y = torch.randn(N, 12, dtype=torch.float64), torch.randint(0, 10, (N,))
    results = []
    for micro in (None, 48):
        model = copy.deepcopy(lin)
        opt = torch.optim.SGD(model.parameters(), lr=LR)
        stats = train_one_epoch(model, [(x, y)], opt, make_precision(torch.device("cpu"), False, False),
                                epoch=1, label_smoothing=0.0, grad_clip=None, device=torch.device("cpu"),
                                bar=progress_bar(1, "", False), micro_batch=micro)
        results.append((model.weight.detach().clone(), stats.loss))
    (w_full, loss_full), (w_micro, loss_micro) = results
    step = (w_full - lin.weight).abs().max().item()
    assert (w_full - w_micro).abs().max().item() <= N * torch.finfo(torch.float64).eps * N * step
    assert loss_micro == pytest.approx(loss_full, rel=N * torch.finfo(torch.float64).eps)


def test_s002_takes_the_seeds_per_gpu_batch_and_a_bad_micro_batch_names_its_key():
    import yaml

    from cifarlab.config import ConfigError, build_config
    from tests.workflow_copy import REPO

    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    full = build_config({**raw, "profile": "full"})
    assert {(e.recipe.batch_size, e.recipe.micro_batch) for e in full.experiments.values()
            if e.study == "s002"} == {(1024, 128)}  # 8 GPUs x 128 (s002)
    raw["recipes"]["s002_sgd"]["micro_batch"] = 96
    with pytest.raises(ConfigError, match=r"^recipes\.s002_sgd\.micro_batch: 96 does not divide "
                                          r"batch_size 1024"):
        build_config(raw)
