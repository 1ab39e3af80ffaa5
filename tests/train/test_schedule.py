import pytest
import torch

from cifarlab.train import lr_at


def torch_lrs(scheduler_factory, base_lr, epochs):
    """The lr torch uses in each of ``epochs`` epochs (scheduler stepped once per epoch)."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base_lr)
    sched = scheduler_factory(opt)
    lrs = []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


@pytest.mark.parametrize("t_max, eta_min", [(10, 0.0), (7, 1e-3)])
def test_cosine_matches_cosine_annealing_lr(t_max, eta_min):
    expected = torch_lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(
        o, T_max=t_max, eta_min=eta_min), 0.1, t_max)
    ours = [lr_at(e, 0.1, schedule="cosine", t_max=t_max, eta_min=eta_min) for e in range(t_max)]
    assert ours == pytest.approx(expected, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("warmup, t_max", [(1, 5), (3, 12), (10, 30)])
def test_warmup_then_cosine_matches_linear_lr_then_cosine(warmup, t_max):
    def factory(o):
        return torch.optim.lr_scheduler.SequentialLR(o, [
            torch.optim.lr_scheduler.LinearLR(o, start_factor=1 / (warmup + 1), end_factor=1.0,
                                              total_iters=warmup),
            torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=t_max - warmup, eta_min=1e-4),
        ], milestones=[warmup])
    expected = torch_lrs(factory, 4e-3, t_max)
    ours = [lr_at(e, 4e-3, schedule="cosine", t_max=t_max, warmup_epochs=warmup, eta_min=1e-4)
            for e in range(t_max)]
    assert ours == pytest.approx(expected, rel=1e-9)
    assert ours[0] > 0 and ours[warmup] == pytest.approx(4e-3)


def test_constant_with_warmup_and_cosine_clamps_after_t_max():
    assert [lr_at(e, 0.3, schedule="constant", t_max=5, warmup_epochs=2) for e in range(5)] == \
        pytest.approx([0.1, 0.2, 0.3, 0.3, 0.3])
    assert lr_at(12, 0.1, schedule="cosine", t_max=10, eta_min=0.01) == pytest.approx(0.01)
