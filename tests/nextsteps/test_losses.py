"""Focal loss and class weights (s004's next steps): the criterion the recipe's `loss` key names."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from cifarlab.train import TrainSettings
from cifarlab.train.losses import focal_loss, make_criterion

K = 5


def _batch(seed=0, n=16):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, K, generator=g) * 3
    labels = torch.randint(0, K, (n,), generator=g)
    soft = torch.softmax(torch.randn(n, K, generator=g), dim=1)
    weights = torch.rand(K, generator=g) + 0.5
    return logits, labels, soft, weights


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("soft", [False, True])
def test_focal_at_gamma_0_is_cross_entropy(smoothing, weighted, soft):
    logits, labels, soft_t, weights = _batch()
    y = soft_t if soft else labels
    w = weights if weighted else None
    got = focal_loss(logits, y, 0.0, label_smoothing=smoothing, weight=w)
    want = F.cross_entropy(logits, y, weight=w, label_smoothing=smoothing)
    # float32 sums of 16 x 5 terms of size ~10: a few ulp of the total
    assert got.item() == pytest.approx(want.item(), rel=8 * torch.finfo(torch.float32).eps * K)


def test_focal_gamma_2_matches_a_hand_computation():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 1.0]])
    labels = torch.tensor([0, 1])
    expected = 0.0
    for row, y in zip(logits.tolist(), labels.tolist()):
        z = sum(math.exp(v) for v in row)
        p = math.exp(row[y]) / z
        expected += -((1 - p) ** 2) * math.log(p)
    expected /= 2
    got = focal_loss(logits, labels, 2.0).item()
    assert got == pytest.approx(expected, rel=1e-6)


def test_focal_down_weights_confident_correct_examples():
    confident = torch.tensor([[6.0, 0.0, 0.0]])  # p(true) ~ 0.995
    unsure = torch.tensor([[0.5, 0.0, 0.0]])  # p(true) ~ 0.45
    y = torch.tensor([0])
    ratio = lambda x: (focal_loss(x, y, 2.0) / F.cross_entropy(x, y)).item()  # (1 - p)^2
    p_conf, p_unsure = (torch.softmax(x, 1)[0, 0].item() for x in (confident, unsure))
    assert ratio(confident) == pytest.approx((1 - p_conf) ** 2, rel=1e-4)
    assert ratio(confident) < 1e-4 < ratio(unsure) == pytest.approx((1 - p_unsure) ** 2, rel=1e-4)


def test_class_weights_raise_the_weighted_classes_share_of_the_gradient():
    logits = torch.zeros(2, 3, requires_grad=True)
    y = torch.tensor([0, 1])
    make_criterion("cross_entropy", class_weights=[1.0, 3.0, 1.0])(logits, y).backward()
    # d loss / d logit(true) = (p - 1) * w_y / sum w_y, p = 1/3
    assert logits.grad[0, 0].item() == pytest.approx(-2 / 3 * 1 / 4)
    assert logits.grad[1, 1].item() == pytest.approx(-2 / 3 * 3 / 4)


def test_settings_name_a_bad_loss():
    with pytest.raises(ValueError, match="TrainSettings.loss"):
        TrainSettings(loss="hinge")
    with pytest.raises(ValueError, match="focal_gamma.*needs loss 'focal'"):
        TrainSettings(focal_gamma=2.0)
    with pytest.raises(ValueError, match="class_weights"):
        TrainSettings(class_weights=(1.0, 0.0))


def test_fit_trains_and_validates_with_the_settings_loss(driver, tmp_path):
    """The recorded val loss of a model that does not move is its focal loss, not its CE."""
    import copy

    from cifarlab.train import fit

    torch.manual_seed(0)
    model = driver.TinyNet()
    train, val = driver.TinyLoader(96, 16, seed=1), driver.TinyLoader(48, 16, seed=2, shuffle=False)
    initial = copy.deepcopy(model).eval()
    s = driver.settings(max_epochs=1, warmup_epochs=0, lr=1e-12, loss="focal", focal_gamma=2.0,
                        label_smoothing=0.1, class_weights=(1.0, 2.0, 1.0))
    result = fit(model, train, val, s, out_dir=tmp_path / "out", state_dir=tmp_path / "state",
                 device="cpu", progress=False)
    with torch.no_grad():
        n, total = 0, 0.0
        for x, y in val:
            total += focal_loss(initial(x), y, 2.0, label_smoothing=0.1,
                                weight=torch.tensor([1.0, 2.0, 1.0])).item() * len(y)
            n += len(y)
    assert result.history[0]["val_loss"] == pytest.approx(total / n, rel=1e-5)
